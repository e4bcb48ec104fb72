import { type AttrInput, callTensorKernel, findOp, Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { both, random, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;
const scalar = (v: number, dims: number[] = []) => new Tensor('float32', Float32Array.from([v]), dims);

/** An additive mask: -inf on a causal pattern shifted by `shift`, rows `dead` fully masked. */
function additiveMask(tq: number, tkv: number, shift: number, dead: number[] = []): Float32Array {
  const m = random(tq * tkv, tq + tkv, -2, 2);
  for (let i = 0; i < tq; i++) {
    for (let j = 0; j < tkv; j++)
      if (j > i + shift || dead.includes(i)) m[i * tkv + j] = Number.NEGATIVE_INFINITY;
  }
  return m;
}

describe.each(isas)('attention kernel, %s', (isa) => {
  it.each([
    [2, 70, 40, 300, 40, true],
    [1, 5, 8, 7, 3, false],
    [3, 33, 64, 257, 80, true],
    // K^T copied a chunk of heads at a time (a head of 64 x 2100 is past the kernel's 1 MiB).
    [3, 5, 64, 2100, 16, true],
  ])(
    'AttentionFusedOps (n %i, rows %i, d %i, kv %i, dv %i, scale %s) matches the reference',
    async (n, rows, d, kv, dv, scaled) => {
      useIsa(isa);
      const q = tensor([n, rows, d], 1, -1, 1);
      const kt = tensor([n, d, kv], 2, -1, 1);
      const v = tensor([n, kv, dv], 3);
      const s = scaled ? scalar(1 / Math.sqrt(d)) : undefined;
      const { native, reference } = await both('AttentionFusedOps', [q, kt, s, v]);
      expect(native.ownsMemory).toBe(true);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
      // The 4-D form with a leading 1.
      const four = await both('AttentionFusedOps', [
        q.reshape([1, n, rows, d]),
        kt.reshape([1, n, d, kv]),
        s,
        v.reshape([1, n, kv, dv]),
      ]);
      expect(four.native.dims).toEqual([1, n, rows, dv]);
      expect(worst(four.native, four.reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    },
  );

  it.each([
    [1, 4, 2, 37, 300, 16, 24, 2],
    [2, 3, 3, 9, 9, 8, 8, 4],
    [1, 8, 1, 70, 513, 64, 64, 2],
    [2, 4, 2, 3, 2100, 64, 16, 4],
  ])(
    'ScaledDotProductAttention (B %i, H %i, Hkv %i, Tq %i, Tkv %i, C %i, Cv %i, mask rank %i) matches the reference',
    async (b, h, hkv, tq, tkv, c, cv, maskRank) => {
      useIsa(isa);
      const q = tensor([b, h, tq, c], 4, -1, 1);
      const k = tensor([b, hkv, tkv, c], 5, -1, 1);
      const v = tensor([b, hkv, tkv, cv], 6);
      const m = additiveMask(tq, tkv, tkv - tq, [1]);
      const mask = new Tensor('float32', m, maskRank === 2 ? [tq, tkv] : [1, 1, tq, tkv]);
      const plain = await both('ScaledDotProductAttention', [q, k, scalar(Math.sqrt(c), [1]), mask, v]);
      expect(plain.native.ownsMemory).toBe(true);
      expect(worst(plain.native, plain.reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
      const two = await both('ScaledDotProductAttention', [q, k, scalar(0.5), mask, v, scalar(0.3)]);
      expect(worst(two.native, two.reference, 1e-4, 1e-5)).toBeLessThanOrEqual(1);
    },
  );

  /** ONNX Attention on both backends with the outputs count the node declares. */
  async function attention(inputs: (Tensor | undefined)[], attrs: Record<string, AttrInput>) {
    const op = findOp('', 'Attention')!;
    const [native] = await callTensorKernel(op, inputs, attrs, { backend: nativeBackend });
    const [reference] = await callTensorKernel(op, inputs, attrs);
    return { native, reference };
  }

  it.each([
    ['4-D', false],
    ['3-D', true],
  ])(
    'Attention in %s form with masks, causality, softcap and GQA matches the reference',
    async (_form, is3d) => {
      useIsa(isa);
      const [b, hq, hkv, tq, tkv, d, dv] = [2, 6, 2, 19, 45, 12, 20];
      const q4 = tensor([b, hq, tq, d], 7, -1, 1);
      const k4 = tensor([b, hkv, tkv, d], 8, -1, 1);
      const v4 = tensor([b, hkv, tkv, dv], 9);
      // (B, T, H * D) forms of the same values.
      const to3 = async (t: Tensor) => {
        const [tb, th, tt, td] = t.dims;
        const [r] = await callTensorKernel(findOp('', 'Transpose')!, [t], { perm: [0, 2, 1, 3] });
        return r.reshape([tb, tt, th * td]);
      };
      const [q, k, v] = is3d ? await Promise.all([q4, k4, v4].map(to3)) : [q4, k4, v4];
      const heads: Record<string, AttrInput> = is3d ? { q_num_heads: hq, kv_num_heads: hkv } : {};
      const masks: [string, Tensor | undefined][] = [
        ['none', undefined],
        ['additive (Tq, Tkv)', new Tensor('float32', additiveMask(tq, tkv, 30, [4]), [tq, tkv])],
        ['additive (B, 1, Tq, L < Tkv)', tensor([b, 1, tq, 40], 10)],
        [
          'boolean (H, Tq, Tkv)',
          new Tensor(
            'bool',
            Uint8Array.from(random(hq * tq * tkv, 11), (x) => (x > -3 ? 1 : 0)),
            [hq, tq, tkv],
          ),
        ],
      ];
      for (const [name, mask] of masks) {
        const extras: Record<string, AttrInput>[] = [{}, { is_causal: 1 }, { softcap: 2.5, scale: 0.4 }];
        for (const extra of extras) {
          const { native, reference } = await attention([q, k, v, mask], { ...heads, ...extra });
          expect(native.ownsMemory, name).toBe(true);
          expect(native.dims).toEqual(reference.dims);
          expect(
            worst(native, reference, 1e-4, 1e-5),
            `${name} ${JSON.stringify(extra)}`,
          ).toBeLessThanOrEqual(1);
        }
      }
    },
  );

  it('Attention honours nonpad_kv_seqlen with causal bottom-right alignment', async () => {
    useIsa(isa);
    const q = tensor([2, 2, 5, 8], 12, -1, 1);
    const k = tensor([2, 2, 30, 8], 13, -1, 1);
    const v = tensor([2, 2, 30, 8], 14);
    const lens = new Tensor('int64', BigInt64Array.from([17n, 3n]), [2]);
    for (const is_causal of [0, 1]) {
      const { native, reference } = await attention([q, k, v, undefined, undefined, undefined, lens], {
        is_causal,
      });
      expect(native.ownsMemory).toBe(true);
      expect(worst(native, reference, 1e-4, 1e-5), `causal ${is_causal}`).toBeLessThanOrEqual(1);
    }
  });

  it('gives zeros for query rows that see no key', async () => {
    useIsa(isa);
    const q = tensor([1, 1, 4, 8], 15);
    const k = tensor([1, 1, 6, 8], 16);
    const v = tensor([1, 1, 6, 8], 17);
    const none = new Tensor('bool', new Uint8Array(4 * 6), [4, 6]);
    const { native, reference } = await attention([q, k, v, none], {});
    expect(Array.from(native.data as Float32Array).every((x) => x === 0)).toBe(true);
    expect(worst(native, reference, 0, 0)).toBeLessThanOrEqual(1);
  });

  it('leaves past key/values to the reference', () => {
    const node = {
      name: 'a',
      opType: 'Attention',
      domain: '',
      inputs: ['q', 'k', 'v', '', 'pk', 'pv'],
      outputs: ['y'],
      attributes: new Map(),
    };
    const f = 'float32';
    expect(nativeBackend.supports(node, [f, f, f, undefined, f, f], 23)).toBe(false);
    expect(
      nativeBackend.supports({ ...node, inputs: ['q', 'k', 'v'], outputs: ['y', 'pk'] }, [f, f, f], 23),
    ).toBe(false);
    expect(nativeBackend.supports({ ...node, inputs: ['q', 'k', 'v'] }, [f, f, f], 23)).toBe(true);
  });
});

describe('attention entry point', () => {
  it('rejects views that reach past their buffers', async () => {
    const { binding } = await import('../src/binding.js');
    const b = binding();
    const id = b.info().kernels.indexOf('attention_f32');
    const [t, d] = [4, 8];
    const q = new Float32Array(t * d);
    const params = [
      1,
      1,
      1,
      t,
      t,
      d,
      d,
      0,
      t * d,
      d,
      0,
      t * d,
      d,
      1,
      0,
      t * d,
      d,
      0,
      t * d,
      d,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ];
    const run = (bufs: ArrayBufferView[], p: number[]) => () => b.runSync(id, bufs, Float64Array.from(p));
    expect(run([q, q, q, new Float32Array(0), new Float32Array(t * d - 1)], params)).toThrow(
      'attention_f32: buffer 4 holds 124 bytes, 128 needed',
    );
    // A row stride one too long makes q reach past its end.
    const long = [...params];
    long[9] = d + 1;
    expect(run([q, q, q, new Float32Array(0), q], long)).toThrow(
      'attention_f32: buffer 0 holds 128 bytes, 140 needed',
    );
    const masked = [...params];
    masked[23] = 1;
    masked[27] = t;
    masked[26] = t;
    expect(run([q, q, q, new Float32Array(t * t - 1), q.slice()], masked)).toThrow(
      'attention_f32: buffer 3 holds 60 bytes, 64 needed',
    );
    expect(
      run([q, q, q, new Float32Array(0), q.slice()], [...params.slice(0, 2), 3, ...params.slice(3)]),
    ).toThrow('attention_f32: query heads must be a multiple of key/value heads');
  });
});
