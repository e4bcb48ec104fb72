import { type AttrInput, callTensorKernel, findOp, float32ToHalf, Tensor } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { random, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

/** Like helpers' both(), with the attributes visible to supports() (Cast claims by its `to`). */
async function both(type: string, inputs: (Tensor | undefined)[], attrs: Record<string, AttrInput> = {}) {
  const op = findOp('', type)!;
  const attributes = new Map(
    Object.entries(attrs).map(([k, v]) => [
      k,
      typeof v === 'number'
        ? { type: 'int' as const, value: v }
        : { type: 'string' as const, value: String(v) },
    ]),
  );
  const node = {
    name: type,
    opType: type,
    domain: '',
    inputs: inputs.map((_, i) => `in${i}`),
    outputs: ['y'],
    attributes,
  };
  expect(
    nativeBackend.supports(
      node,
      inputs.map((t) => t?.type),
      21,
    ),
    `native claims ${type}`,
  ).toBe(true);
  const [native] = await callTensorKernel(op, inputs, attrs, { backend: nativeBackend });
  const [reference] = await callTensorKernel(op, inputs, attrs);
  return { native, reference };
}

/** Bitwise equality of two tensors' data. */
function sameBits(a: Tensor, b: Tensor): boolean {
  const x = new Uint8Array(
    (a.data as Uint8Array).buffer,
    (a.data as Uint8Array).byteOffset,
    (a.data as Uint8Array).byteLength,
  );
  const y = new Uint8Array(
    (b.data as Uint8Array).buffer,
    (b.data as Uint8Array).byteOffset,
    (b.data as Uint8Array).byteLength,
  );
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

describe.each(isas)('conversion kernels, %s', (isa) => {
  it.each([1, 7, 8, 9, 100003])(
    'Cast float32 -> float16 -> float32 of %i values matches the reference bit for bit',
    async (n) => {
      useIsa(isa);
      // Normal, subnormal and overflowing halves, ties, zeros and infinities.
      const v = random(n, n, -70000, 70000);
      const special = [
        0,
        -0,
        1e-8,
        -3e-5,
        6.1e-5,
        65504,
        65520,
        1e6,
        Number.POSITIVE_INFINITY,
        -Number.POSITIVE_INFINITY,
        1 + 2 ** -11,
        2 ** -24,
        2 ** -25,
        3 * 2 ** -26,
      ];
      for (let i = 0; i < n; i += 5) v[i] /= 4096;
      special.slice(0, n).forEach((s, i) => {
        v[i] = s;
      });
      const x = new Tensor('float32', v, [n]);
      const h = await both('Cast', [x], { to: 10 });
      expect(h.native.type).toBe('float16');
      expect(h.native.ownsMemory).toBe(true);
      expect(sameBits(h.native, h.reference)).toBe(true);
      const f = await both('Cast', [h.reference], { to: 1 });
      expect(f.native.type).toBe('float32');
      expect(sameBits(f.native, f.reference)).toBe(true);
    },
  );

  it('Cast float16 -> float32 covers every half bit pattern but NaNs', async () => {
    useIsa(isa);
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i).filter(
      (h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0,
    );
    const x = new Tensor('float16', all, [all.length]);
    const { native, reference } = await both('Cast', [x], { to: 1 });
    expect(sameBits(native, reference)).toBe(true);
    const nan = await both('Cast', [new Tensor('float16', Uint16Array.from([0x7e00, 0xfc01]), [2])], {
      to: 1,
    });
    expect(Array.from(nan.native.data as Float32Array).every(Number.isNaN)).toBe(true);
    const back = await both('Cast', [new Tensor('float32', Float32Array.from([Number.NaN]), [1])], {
      to: 10,
    });
    expect(Array.from(back.native.data as Uint16Array)).toEqual(Array.from(float32ToHalf([Number.NaN])));
  });

  it.each([
    ['uint8', 0.05, 128],
    ['uint8', 0.5, 0],
    ['int8', 0.03, -3],
    ['int8', 1, 0],
  ] as const)(
    'QuantizeLinear and DequantizeLinear to %s (scale %f, zero point %i) match the reference',
    async (type, s, z) => {
      useIsa(isa);
      for (const n of [1, 15, 16, 17, 70001]) {
        const v = random(n, n + 1, -20, 20);
        // Exact ties round half to even.
        for (let i = 0; i < n; i += 7) v[i] = (Math.round(v[i] / s) + 0.5) * s;
        if (n > 3) v[3] = Number.NaN;
        const x = new Tensor('float32', v, [n]);
        const scale = new Tensor('float32', Float32Array.from([s]), []);
        const zp = new Tensor(type, type === 'uint8' ? Uint8Array.from([z]) : Int8Array.from([z]), []);
        const q = await both('QuantizeLinear', [x, scale, zp]);
        expect(q.native.type).toBe(type);
        expect(q.native.ownsMemory).toBe(true);
        expect(sameBits(q.native, q.reference), `quantize n=${n}`).toBe(true);
        const d = await both('DequantizeLinear', [q.reference, scale, zp]);
        expect(d.native.ownsMemory).toBe(true);
        expect(worst(d.native, d.reference, 0, 0), `dequantize n=${n}`).toBeLessThanOrEqual(1);
      }
    },
  );

  it('QuantizeLinear without a zero point gives uint8, and per-axis scales use the reference', async () => {
    useIsa(isa);
    const x = tensor([4, 33], 3);
    const scale = new Tensor('float32', Float32Array.from([0.1]), []);
    const q = await both('QuantizeLinear', [x, scale]);
    expect(q.native.type).toBe('uint8');
    expect(sameBits(q.native, q.reference)).toBe(true);
    const perAxis = tensor([33], 4, 0.01, 0.1);
    const p = await both('QuantizeLinear', [x, perAxis], { axis: 1 });
    expect(p.native.ownsMemory).toBe(false);
    expect(sameBits(p.native, p.reference)).toBe(true);
  });
});

/** Runs com.onnxstream `type` natively (the backend must claim it) and with the reference kernel. */
async function bothFused(type: string, inputs: Tensor[], attrs: Record<string, AttrInput>) {
  const op = findOp('com.onnxstream', type)!;
  const node = {
    name: type,
    opType: type,
    domain: 'com.onnxstream',
    inputs: ['x'],
    outputs: ['y'],
    attributes: new Map(),
  };
  expect(nativeBackend.supports(node, [inputs[0].type], 21), `native claims ${type}`).toBe(true);
  const [native] = await callTensorKernel(op, inputs, attrs, { backend: nativeBackend });
  const [reference] = await callTensorKernel(op, inputs, attrs);
  return { native, reference };
}

describe.each(isas)('uint8 activation storage (StoreUint8 / LoadUint8), %s', (isa) => {
  // [min, max] of uint8 arithmetic's range data, or none: the tensor's own percentiles (uint8 storage).
  // [-64, 63.5] has scale 0.5 exactly, so the values at k / 2 + 1 / 4 are exact ties.
  const ranges = [[-64, 63.5], [-1.7, 3.2], [0.25, 9], [-5, -1], undefined] as const;
  it.each([1, 7, 15, 16, 17, 33, 100003])(
    'n=%i: the native bytes, scale and zero point, and the loaded float32 and float16 values are the reference bits',
    async (n) => {
      useIsa(isa);
      for (const range of ranges) {
        const v = random(n, n + 5, -80, 80);
        for (let i = 1; i < n; i += 4) v[i] = (Math.round(v[i] * 2) + 0.5) / 2;
        for (let i = 2; i < n; i += 9) v[i] /= 64;
        const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e-30];
        special.forEach((s, k) => {
          if (5 * k + 3 < n) v[5 * k + 3] = s;
        });
        const attrs: Record<string, AttrInput> = range
          ? { min: { type: 'float', value: range[0] }, max: { type: 'float', value: range[1] } }
          : {};
        for (const x of [new Tensor('float32', v, [n]), new Tensor('float16', float32ToHalf(v), [n])]) {
          const what = `${x.type} n=${n} range=${range ?? 'percentiles'}`;
          const q = await bothFused('StoreUint8', [x], attrs);
          expect(q.native.type, what).toBe('uint8');
          expect(q.native.ownsMemory, what).toBe(true);
          expect(q.native.quant, what).toEqual(q.reference.quant);
          expect(sameBits(q.native, q.reference), what).toBe(true);
          for (const to of [1, 10]) {
            const d = await bothFused('LoadUint8', [q.reference], { to });
            expect(d.native.type, what).toBe(to === 1 ? 'float32' : 'float16');
            expect(d.native.ownsMemory, what).toBe(true);
            expect(sameBits(d.native, d.reference), `${what} to ${to}`).toBe(true);
            d.native.dispose();
          }
          q.native.dispose();
        }
      }
    },
  );

  it('a stored tensor frees its native memory when disposed', async () => {
    useIsa(isa);
    const x = new Tensor('float32', random(1 << 16, 3), [1 << 16]);
    const before = nativeInfo().bytesInUse;
    const { native } = await bothFused('StoreUint8', [x], { min: -4, max: 4 });
    expect(nativeInfo().bytesInUse - before).toBeGreaterThanOrEqual(1 << 16);
    native.dispose();
    expect(nativeInfo().bytesInUse).toBe(before);
  });
});
