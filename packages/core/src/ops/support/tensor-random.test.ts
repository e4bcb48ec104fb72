import { describe, expect, it } from 'vitest';
import { uniformSource } from './tensor-random.js';

describe('uniformSource', () => {
  it('reproduces numpy: np.random.seed(0); np.random.random_sample(3)', () => {
    const u = uniformSource(0);
    expect([u(), u(), u()]).toEqual([0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
  });

  it('stays in step with numpy across several state refills (seed 42, samples 0, 623, 624, 999)', () => {
    const u = uniformSource(42);
    const all = Array.from({ length: 1000 }, () => u());
    expect([all[0], all[623], all[624], all[999]]).toEqual([
      0.3745401188473625, 0.4845229851910213, 0.618254771530296, 0.44600577295795574,
    ]);
  });

  it('falls back to Math.random without a seed', () => {
    expect(uniformSource(undefined)).toBe(Math.random);
  });
});
