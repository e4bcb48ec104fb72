/**
 * Every kernel family of the wasm builds against the reference backend, on random shapes, for each
 * of the four builds (plain: scalar kernels; simd: the wasmsimd table, and its scalar table too;
 * threads: SIMD128 with a pthreads pool of 2; relaxed: the same with relaxed SIMD's multiply-adds).
 */
import {
  type AttrInput,
  type Tensor as CoreTensor,
  callTensorKernel,
  findOp,
  float32ToHalf,
  halfToFloat32,
  type Node,
  Tensor,
} from '@onnxstream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend, type VARIANTS, type WasmBackend } from '../src/index.js';
import { threaded } from '../src/module.js';
import { both, dice, random, worst } from './helpers.js';

const int64 = (values: number[]): CoreTensor =>
  new Tensor('int64', BigInt64Array.from(values, BigInt), [values.length]);

const tensor = (dims: number[], seed: number, lo?: number, hi?: number) =>
  new Tensor(
    'float32',
    random(
      dims.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    dims,
  );

/** Each build, and the scalar table of the SIMD build (setIsa). */
const CASES: [string, (typeof VARIANTS)[number], string | undefined][] = [
  ['plain', 'plain', undefined],
  ['simd', 'simd', undefined],
  ['simd, scalar table', 'simd', 'scalar'],
  ['threads', 'threads', undefined],
  ['relaxed', 'relaxed', undefined],
];

describe.each(CASES)('wasm kernels: %s', (_label, variant, isa) => {
  let b: WasmBackend;
  beforeAll(async () => {
    b = createWasmBackend({ variant, threads: 2 });
    await b.init?.({});
    if (isa) b.kernels().setIsa(isa);
  });
  afterAll(() => b.dispose?.());

  it('reports its build, ISA and threads', () => {
    const info = b.kernels().info();
    expect(info.variant).toBe(variant);
    expect(info.isa).toBe(isa ?? (variant === 'plain' ? 'scalar' : 'wasmsimd'));
    expect(info.threads).toBe(threaded(variant) ? 2 : 1);
  });

  it('unary activations on random lengths', async () => {
    const roll = dice(11);
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Abs', 'Neg', 'Sqrt', 'HardSwish', 'LeakyRelu']) {
      const n = roll(1, 70_000);
      const x = tensor([n], n, op === 'Sqrt' ? 0 : -6, 6);
      const { got, want } = await both(b, op, [x]);
      expect(got[0].ownsMemory, op).toBe(true);
      expect(worst(got[0], want[0], 2e-6, 1e-7), `${op} n=${n}`).toBeLessThanOrEqual(1);
    }
  });

  it('binary operators with broadcasting on random shapes', async () => {
    const roll = dice(12);
    for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) {
      for (let k = 0; k < 3; k++) {
        const dims = [roll(1, 3), roll(1, 40), roll(1, 60)];
        const bd = dims.map((d) => (roll(0, 2) === 0 ? 1 : d)).slice(roll(0, 2));
        const x = tensor(dims, k + 1);
        const y = tensor(bd, k + 7, op === 'Div' ? 0.5 : -4, 4);
        const { got, want } = await both(b, op, [x, y]);
        expect(got[0].dims).toEqual(want[0].dims);
        expect(worst(got[0], want[0], 1e-6, 0), `${op} ${dims} ${bd}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('softmax and norms on random shapes', async () => {
    const roll = dice(13);
    for (let k = 0; k < 3; k++) {
      const dims = [roll(1, 4), roll(1, 30), roll(2, 300)];
      const x = tensor(dims, 20 + k);
      for (const axis of [-1, 1]) {
        const { got, want } = await both(b, 'Softmax', [x], { axis });
        expect(worst(got[0], want[0], 1e-5, 1e-7), `softmax ${dims} axis ${axis}`).toBeLessThanOrEqual(1);
      }
      const c = dims[2];
      const ln = await both(b, 'LayerNormalization', [x, tensor([c], 30 + k), tensor([c], 40 + k)], {
        axis: -1,
      });
      expect(worst(ln.got[0], ln.want[0], 1e-4, 1e-5)).toBeLessThanOrEqual(1);
      const img = tensor([roll(1, 2), 4, roll(3, 20), roll(3, 20)], 50 + k);
      const inst = await both(b, 'InstanceNormalization', [img, tensor([4], 1), tensor([4], 2)]);
      expect(worst(inst.got[0], inst.want[0], 1e-4, 2e-5)).toBeLessThanOrEqual(1);
    }
  });

  it('pooling and resize on random shapes', async () => {
    const roll = dice(14);
    for (let k = 0; k < 3; k++) {
      const x = tensor([1, roll(1, 8), roll(4, 40), roll(4, 40)], 60 + k);
      const kernel = [roll(1, 3), roll(1, 3)];
      for (const op of ['MaxPool', 'AveragePool']) {
        const { got, want } = await both(b, op, [x], {
          kernel_shape: kernel,
          strides: [roll(1, 2), roll(1, 2)],
          pads: [roll(0, kernel[0] - 1), roll(0, kernel[1] - 1), 0, 0],
        });
        expect(worst(got[0], want[0], 1e-6, 1e-6), `${op} ${x.dims} k ${kernel}`).toBeLessThanOrEqual(1);
      }
      const g = await both(b, 'GlobalAveragePool', [x]);
      expect(worst(g.got[0], g.want[0], 1e-5, 1e-6)).toBeLessThanOrEqual(1);
      const scales = new Tensor('float32', [1, 1, 2, 2], [4]);
      for (const mode of ['nearest', 'linear']) {
        const r = await both(b, 'Resize', [x, undefined, scales], { mode });
        expect(worst(r.got[0], r.want[0], 1e-6, 1e-6), `Resize ${mode}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('transpose, concat, split and slice on random shapes', async () => {
    const roll = dice(15);
    for (let k = 0; k < 3; k++) {
      const dims = [roll(1, 5), roll(1, 20), roll(1, 20), roll(1, 30)];
      const x = tensor(dims, 70 + k);
      const perm = [
        [0, 2, 3, 1],
        [3, 2, 1, 0],
        [0, 1, 3, 2],
      ][k];
      const t = await both(b, 'Transpose', [x], { perm });
      expect(worst(t.got[0], t.want[0], 0, 0)).toBeLessThanOrEqual(1);
      const y = tensor([dims[0], roll(1, 9), dims[2], dims[3]], 80 + k);
      const c = await both(b, 'Concat', [x, y, x], { axis: 1 });
      expect(worst(c.got[0], c.want[0], 0, 0)).toBeLessThanOrEqual(1);
      const sizes = new Tensor('int64', [BigInt(dims[1]), BigInt(dims[1] + y.dims[1])], [2]);
      const s = await both(b, 'Split', [c.want[0], sizes], { axis: 1 }, { outputCount: 2 });
      expect(worst(s.got[1], s.want[1], 0, 0)).toBeLessThanOrEqual(1);
      const starts = new Tensor('int64', [0n, BigInt(roll(0, dims[3] - 1))], [2]);
      const ends = new Tensor('int64', [BigInt(dims[1]), 1000n], [2]);
      const axes = new Tensor('int64', [1n, 3n], [2]);
      const steps = new Tensor('int64', [1n, BigInt(roll(1, 3))], [2]);
      const sl = await both(b, 'Slice', [x, starts, ends, axes, steps]);
      expect(worst(sl.got[0], sl.want[0], 0, 0)).toBeLessThanOrEqual(1);
    }
  });

  it('Gemm and batched MatMul on random shapes', async () => {
    const roll = dice(16);
    for (let k = 0; k < 4; k++) {
      const [m, n, kk] = [roll(1, 70), roll(1, 90), roll(1, 300)];
      const transB = k % 2;
      const a = tensor([m, kk], 90 + k, -1, 1);
      const w = tensor(transB ? [n, kk] : [kk, n], 100 + k, -1, 1);
      const g = await both(b, 'Gemm', [a, w, tensor([n], 110 + k)], { transB, alpha: 0.5, beta: 2 });
      expect(worst(g.got[0], g.want[0], 1e-4, 4e-6 * kk), `Gemm ${m}x${n}x${kk}`).toBeLessThanOrEqual(1);
      const batch = roll(1, 3);
      const x = tensor([batch, 2, m, kk], 120 + k, -1, 1);
      const mm = await both(b, 'MatMul', [x, tensor([kk, n], 130 + k, -1, 1)]);
      expect(worst(mm.got[0], mm.want[0], 1e-4, 4e-6 * kk), `MatMul ${m}x${n}x${kk}`).toBeLessThanOrEqual(1);
    }
  });

  it('Conv (grouped, depthwise, strided, dilated) and ConvTranspose on random shapes', async () => {
    const roll = dice(17);
    for (let k = 0; k < 5; k++) {
      const group = [1, 1, 2, 0, 1][k];
      const c = group === 0 ? roll(2, 16) : roll(1, 8) * (group || 1);
      const g = group === 0 ? c : group;
      const m = group === 0 ? c : roll(1, 8) * g;
      const kh = roll(1, 3) * 2 - 1;
      const x = tensor([roll(1, 2), c, roll(kh, 30), roll(kh, 30)], 140 + k, -1, 1);
      const w = tensor([m, c / g, kh, kh], 150 + k, -1, 1);
      const attrs = {
        group: g,
        kernel_shape: [kh, kh],
        strides: [roll(1, 2), roll(1, 2)],
        dilations: k === 4 ? [2, 1] : [1, 1],
        pads: [kh >> 1, kh >> 1, kh >> 1, kh >> 1],
      };
      if (k === 4 && x.dims[2] < 2 * kh) continue;
      const r = await both(b, 'Conv', [x, w, tensor([m], 160 + k)], attrs);
      const atol = 4e-6 * (c / g) * kh * kh;
      expect(worst(r.got[0], r.want[0], 1e-4, atol), `Conv ${x.dims} ${w.dims}`).toBeLessThanOrEqual(1);
    }
    // Depthwise 3x3 rows of 64 outputs and more read the input in place (kernels/conv/dwconv3x3.h);
    // narrower ones go through phase planes.
    for (const [s, [h, wd, stride, pads]] of (
      [
        [5, 67, 1, [1, 1, 1, 1]],
        [8, 133, 2, [0, 1, 2, 2]],
        [7, 10, 1, [1, 1, 1, 1]],
        [9, 11, 2, [1, 1, 1, 1]],
      ] as const
    ).entries()) {
      const x = tensor([1, 3, h, wd], 175 + s, -1, 1);
      const w = tensor([3, 1, 3, 3], 177 + s, -1, 1);
      const attrs = { group: 3, strides: [stride, stride], pads: [...pads] };
      const r = await both(b, 'Conv', [x, w, tensor([3], 179 + s)], attrs);
      expect(worst(r.got[0], r.want[0], 1e-4, 4e-6 * 9), `depthwise ${x.dims}`).toBeLessThanOrEqual(1);
    }
    const x = tensor([1, 6, 9, 11], 170, -1, 1);
    const w = tensor([6, 4, 3, 3], 171, -1, 1);
    const t = await both(b, 'ConvTranspose', [x, w, tensor([4], 172)], {
      strides: [2, 2],
      pads: [1, 1, 1, 1],
    });
    expect(worst(t.got[0], t.want[0], 1e-4, 1e-4)).toBeLessThanOrEqual(1);
  });

  it('Conv 3x3 stride 1 (Winograd F(4x4, 3x3) on the SIMD128 table) on edge shapes', async () => {
    // [N, C, H, W, M, pads (top, left, bottom, right)]: sizes of every remainder by 4 (partial 4x4 tiles),
    // channel counts off the tile sizes, no/asymmetric/wide padding, rows wider than a block (C 64,
    // W 150), a batch of two.
    const shapes: [number, number, number, number, number, number[]][] = [
      [1, 3, 7, 9, 5, [1, 1, 1, 1]],
      [2, 5, 8, 8, 6, [1, 1, 1, 1]],
      [1, 4, 9, 6, 7, [0, 0, 0, 0]],
      [1, 6, 5, 11, 9, [2, 1, 0, 2]],
      [1, 1, 3, 3, 1, [1, 1, 1, 1]],
      [1, 17, 12, 13, 19, [1, 2, 1, 0]],
      [1, 64, 6, 150, 10, [1, 1, 1, 1]],
    ];
    const winograd = variant !== 'plain' && isa === undefined;
    const conv = findOp('', 'Conv')!;
    for (const [s, [n, c, h, wd, m, pads]] of shapes.entries()) {
      const x = tensor([n, c, h, wd], 190 + s, -1, 1);
      const w = tensor([m, c, 3, 3], 200 + s, -1, 1);
      const bias = tensor([m], 210 + s);
      const attrs = { kernel_shape: [3, 3], pads };
      const r = await both(b, 'Conv', [x, w, bias], attrs);
      const atol = 4e-6 * c * 9;
      expect(
        worst(r.got[0], r.want[0], 1e-4, atol),
        `Conv ${x.dims} ${w.dims} pads ${pads}`,
      ).toBeLessThanOrEqual(1);
      // The weight as a keeping provider holds it (transformed once where the table has Winograd),
      // and as a streaming one hands it over (float16, transformed per call from its stored form).
      const node: Node = {
        name: 'Conv',
        opType: 'Conv',
        domain: '',
        inputs: ['x', 'w', 'b'],
        outputs: ['y'],
        attributes: new Map([
          ['kernel_shape', { type: 'ints' as const, value: [3, 3] }],
          ['pads', { type: 'ints' as const, value: pads }],
        ]),
      };
      const kept = b.prepareWeight!(node, 1, w, true)!;
      const mp = Math.ceil(m / 4) * 4;
      expect(kept.size, 'prepared weight size').toBe(16 + (winograd ? 36 * mp * c : mp * c * 9));
      const half = new Tensor('float16', float32ToHalf(w.data as Float32Array), w.dims);
      const stored = b.prepareWeight!(node, 1, half, false)!;
      const rounded = new Tensor('float32', halfToFloat32(half.data as Uint16Array), w.dims);
      for (const [form, given, want] of [
        ['prepared', kept, w],
        ['float16', stored, rounded],
      ] as [string, CoreTensor, CoreTensor][]) {
        const [got] = await callTensorKernel(conv, [x, given, bias], attrs, { backend: b });
        const [ref] = await callTensorKernel(conv, [x, want, bias], attrs);
        expect(
          worst(got, ref, 1e-4, atol),
          `Conv ${x.dims} ${w.dims} pads ${pads}, ${form} weight`,
        ).toBeLessThanOrEqual(1);
      }
    }
  });

  it('attention (ScaledDotProductAttention) on a random shape', async () => {
    const q = tensor([1, 4, 37, 16], 180, -1, 1);
    const kk = tensor([1, 2, 90, 16], 181, -1, 1);
    const v = tensor([1, 2, 90, 24], 182);
    const scale = new Tensor('float32', [4], [1]);
    const mask = tensor([37, 90], 183, -2, 2);
    const { got, want } = await both(b, 'ScaledDotProductAttention', [q, kk, scale, mask, v]);
    expect(worst(got[0], want[0], 1e-4, 1e-5)).toBeLessThanOrEqual(1);
  });

  it('fp16 arithmetic: attention, MatMulGeglu, Softmax, data movement, pooling and Resize on float16', async () => {
    const half = (dims: number[], seed: number, lo = -1, hi = 1) =>
      new Tensor('float16', float32ToHalf(tensor(dims, seed, lo, hi).data as Float32Array), dims);
    const asFloat = (t: CoreTensor) => new Tensor('float32', halfToFloat32(t.data as Uint16Array), t.dims);
    const scales = new Tensor('float16', float32ToHalf(Float32Array.from([1, 1, 2, 2])), [4]);
    const noRoi = new Tensor('float16', new Uint16Array(0), [0]);
    // [operator, inputs, attributes, domain, atol, rtol]: exact where values only move; elsewhere
    // one float16 step (rtol 2^-10) over the float32 kernels' bounds, as the native fp16 tests.
    const cases: [string, CoreTensor[], Record<string, AttrInput>, string, number, number][] = [
      ['Transpose', [half([2, 3, 40, 33], 1)], { perm: [0, 2, 3, 1] }, '', 0, 0],
      ['Concat', [half([1, 3, 5, 5], 2), half([1, 6, 5, 5], 3)], { axis: 1 }, '', 0, 0],
      ['Slice', [half([4, 9], 4), int64([1]), int64([8]), int64([1]), int64([2])], {}, '', 0, 0],
      ['MaxPool', [half([1, 4, 13, 11], 5)], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }, '', 0, 0],
      ['Resize', [half([1, 3, 5, 7], 6), noRoi, scales], { mode: 'nearest' }, '', 0, 0],
      ['Resize', [half([1, 3, 5, 7], 7), noRoi, scales], { mode: 'linear' }, '', 2e-6, 1e-5],
      ['Softmax', [half([3, 333], 8, -8, 8)], { axis: -1 }, '', 1e-6, 2e-5],
      [
        'AttentionFusedOps',
        [
          half([2, 70, 16], 9),
          half([2, 16, 300], 10),
          new Tensor('float16', float32ToHalf(Float32Array.from([0.25])), []),
          half([2, 300, 24], 11),
        ],
        {},
        '',
        1e-4,
        1e-5,
      ],
      ['Geglu', [half([2, 7, 64], 12, -3, 3)], {}, 'com.onnxstream', 1e-5, 1e-5],
    ];
    for (const [type, inputs, attrs, domain, atol, rtol] of cases) {
      const { got, want } = await both(b, type, inputs, attrs, { domain });
      expect(got[0].type, type).toBe('float16');
      // Computed in float32 and rounded once: one float16 step apart where the sums round apart.
      const step = atol > 0 ? 2 ** -10 : 0;
      expect(
        worst(asFloat(got[0]), asFloat(want[0]), rtol + step, atol),
        `${type} ${JSON.stringify(attrs)}`,
      ).toBeLessThanOrEqual(1);
    }
  });

  it('reports a kernel error as an exception and keeps working', async () => {
    const k = b.kernels();
    const id = k.kernelNames().indexOf('unary_f32');
    expect(() => k.runSync(id, [new Float32Array(4)], Float64Array.from([0, 0, 0, 4]))).toThrow(
      /unary_f32: expects 2 buffers, got 1/,
    );
    const { got, want } = await both(b, 'Relu', [tensor([100], 1)]);
    expect(worst(got[0], want[0], 0, 0)).toBe(0);
  });
});
