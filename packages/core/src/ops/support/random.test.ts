import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

/** Expected values are numpy's: np.random.RandomState(seed).<method>(...).tolist(). */
describe('Random (numpy legacy RandomState)', () => {
  it('uniform: random_sample(3) for seed 0', () => {
    const r = new Random(0);
    expect([r.uniform(), r.uniform(), r.uniform()]).toEqual([
      0.5488135039273248, 0.7151893663724195, 0.6027633760716439,
    ]);
  });

  it('stays in step across state refills (seed 42, samples 0, 623, 624, 999)', () => {
    const r = new Random(42);
    const all = Array.from({ length: 1000 }, () => r.uniform());
    expect([all[0], all[623], all[624], all[999]]).toEqual([
      0.3745401188473625, 0.4845229851910213, 0.618254771530296, 0.44600577295795574,
    ]);
  });

  it('seeds are truncated and wrapped to 32 bits: 2^32 - 1 and 4294967295.5 give the same stream', () => {
    const a = new Random(2 ** 32 - 1);
    expect([a.uniform(), a.uniform()]).toEqual([0.0976320289940138, 0.9123828453026218]);
    const b = new Random(4294967295.5);
    expect(b.uniform()).toBe(0.0976320289940138);
  });

  it('normal: randn(5) for seed 0', () => {
    const r = new Random(0);
    const v = Array.from({ length: 5 }, () => r.normal());
    expect(v).toEqual([
      1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675,
    ]);
  });

  it('normal keeps the second deviate of a pair across other draws (randn, random_sample, randn; seed 3)', () => {
    const r = new Random(3);
    expect([r.normal(), r.uniform(), r.normal()]).toEqual([
      1.7886284734303186, 0.2909047389129443, 0.43650985051198943,
    ]);
  });

  it('bernoulli: binomial(1, p) for seed 1, one draw per element (p = 0 and 1 too)', () => {
    const r = new Random(1);
    const p = [0, 1, 0.3, 0.7, 0.5, 0.9, 0.1, 0.5, 0.25, 0.75];
    expect(p.map((pi) => r.bernoulli(pi))).toEqual([0, 1, 0, 1, 0, 1, 0, 0, 0, 1]);
    // The eleventh draw of the stream comes next.
    expect(r.uniform()).toBe(0.4191945144032948);
  });
});
