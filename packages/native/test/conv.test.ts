import {
  type AttrInput,
  callTensorKernel,
  findOp,
  float32ToHalf,
  halfToFloat32,
  type Node,
  Tensor,
} from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

/** A node like the planner's, for prepareWeight (which reads attributes from the node). */
function nodeOf(opType: string, domain: string, attrs: Record<string, AttrInput>): Node {
  const attributes = new Map(
    Object.entries(attrs).map(([k, v]) => [
      k,
      typeof v === 'number'
        ? { type: 'int' as const, value: v }
        : typeof v === 'string'
          ? { type: 'string' as const, value: v }
          : { type: 'ints' as const, value: v as number[] },
    ]),
  );
  return { name: opType, opType, domain, inputs: ['x', 'w', 'b'], outputs: ['y'], attributes };
}

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias?: boolean;
  attrs: Record<string, AttrInput>;
}

const cases: Case[] = [
  { name: '3x3 pad 1', x: [1, 5, 9, 11], w: [7, 5, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1] } },
  {
    name: 'stride 2, dilation 2, uneven pads',
    x: [1, 4, 17, 15],
    w: [13, 4, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], dilations: [2, 2], pads: [1, 0, 2, 1] },
  },
  { name: 'strides 3x2, no pads', x: [2, 3, 20, 23], w: [5, 3, 4, 2], attrs: { strides: [3, 2] } },
  { name: 'pointwise', x: [1, 19, 7, 9], w: [33, 19, 1, 1], bias: true, attrs: {} },
  { name: 'pointwise, 2 images', x: [2, 8, 5, 5], w: [37, 8, 1, 1], attrs: {} },
  { name: '1x1 stride 2', x: [1, 6, 9, 10], w: [4, 6, 1, 1], attrs: { strides: [2, 2] } },
  { name: 'grouped', x: [1, 6, 8, 9], w: [10, 3, 3, 2], bias: true, attrs: { group: 2, pads: [1, 0, 1, 1] } },
  { name: 'grouped pointwise', x: [1, 12, 6, 6], w: [9, 4, 1, 1], attrs: { group: 3 } },
  {
    name: 'depthwise',
    x: [2, 8, 13, 12],
    w: [8, 1, 3, 3],
    bias: true,
    attrs: { group: 8, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise x2 channels',
    x: [1, 5, 11, 21],
    w: [10, 1, 5, 3],
    attrs: { group: 5, pads: [2, 1, 2, 1] },
  },
  {
    name: 'SAME_UPPER',
    x: [1, 3, 10, 7],
    w: [4, 3, 4, 3],
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
  },
  {
    name: 'SAME_LOWER',
    x: [1, 3, 10, 7],
    w: [4, 3, 4, 3],
    attrs: { auto_pad: 'SAME_LOWER', strides: [2, 1] },
  },
  { name: 'VALID', x: [1, 3, 10, 7], w: [4, 3, 3, 3], attrs: { auto_pad: 'VALID' } },
  {
    name: '1-D',
    x: [2, 3, 29],
    w: [5, 3, 4],
    bias: true,
    attrs: { strides: [3], pads: [2, 1], dilations: [2] },
  },
  {
    name: 'deep K (K blocks), M tails',
    x: [1, 40, 10, 9],
    w: [37, 40, 3, 3],
    bias: true,
    attrs: { pads: [1, 1, 1, 1] },
  },
  { name: 'deeper K (M blocks)', x: [1, 256, 5, 6], w: [40, 256, 3, 3], attrs: { pads: [1, 1, 1, 1] } },
  // Two K chunks per panel while every panel crosses an output row end (rows of 15 outputs in 16
  // computed columns): each keeps its scratch tile over the chunks, more panels than one group.
  {
    name: 'deep K, stride 2, tiles over row ends',
    x: [1, 72, 40, 30],
    w: [20, 72, 3, 3],
    bias: true,
    attrs: { pads: [1, 1, 1, 1], strides: [2, 2] },
  },
  { name: 'YOLO-like 3x3', x: [1, 16, 40, 40], w: [32, 16, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1] } },
  // 3x3 stride 1 with enough channels and tiles for the Winograd path where the ISA takes it per
  // call (AVX2 and AVX-512: WinogradKernels' shape rule, see table-avx2.cc); scalar runs them directly. Rows
  // of tiles that end inside a vector, 2 images, uneven pads, and rows too long for one block.
  {
    name: 'Winograd, odd sizes, 2 images',
    x: [2, 24, 37, 45],
    w: [40, 24, 3, 3],
    bias: true,
    attrs: { pads: [1, 1, 1, 1] },
  },
  { name: 'Winograd, pads 2 and 0', x: [1, 32, 50, 66], w: [32, 32, 3, 3], attrs: { pads: [2, 0, 0, 2] } },
  {
    name: 'Winograd, rows in column blocks',
    x: [1, 64, 6, 260],
    w: [16, 64, 3, 3],
    bias: true,
    attrs: { pads: [1, 1, 1, 1] },
  },
  // "Same" padding: plane rows share their padding columns, so tap reads run past a row's end
  // into the next row's left padding; 2 images of 2 bands, each in blocks of output channels.
  {
    name: '5x5 same padding, 2 images, channel blocks',
    x: [2, 7, 13, 11],
    w: [45, 7, 5, 5],
    bias: true,
    attrs: { pads: [2, 2, 2, 2] },
  },
  {
    name: 'dilated 3x3 same padding',
    x: [1, 6, 10, 17],
    w: [11, 6, 3, 3],
    attrs: { dilations: [2, 2], pads: [2, 2, 2, 2] },
  },
  // Taps shifted by more than a row: the last panel reads past the planes by the shift.
  {
    name: 'same padding, dilation past the rows',
    x: [1, 3, 4, 5],
    w: [4, 3, 3, 3],
    bias: true,
    attrs: { dilations: [1, 40], pads: [1, 40, 1, 40] },
  },
  // Large enough that tasks build the planes of bands of output rows.
  { name: 'by bands', x: [1, 25, 100, 97], w: [3, 25, 3, 3], bias: true, attrs: { pads: [1, 1, 1, 1] } },
  {
    name: 'by bands, stride 2, dilation 2',
    x: [1, 25, 161, 203],
    w: [9, 25, 3, 3],
    attrs: { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 2, 2] },
  },
  {
    // 3x3 depthwise convolutions with one output channel per input channel run a vector's lanes of
    // channels at a time (kernels/conv/dwconv3x3.h, dwconv3x3_block; on stride-1 rows up to the
    // table's bound, AVX2 256 columns); the others plane by plane, read in place on rows as wide as
    // the ISA's table says (AVX2: all; narrow "same" planes at stride 1 as one flat run of outputs
    // across rows). Two output channels per input channel: plane by plane.
    name: 'depthwise 3x3, narrow rows, stride 1',
    x: [2, 3, 7, 10],
    w: [6, 1, 3, 3],
    bias: true,
    attrs: { group: 3, pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise 3x3, narrow rows, stride 2',
    x: [1, 4, 9, 11],
    w: [4, 1, 3, 3],
    attrs: { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise 3x3, wide rows, stride 1',
    x: [2, 3, 5, 67],
    w: [6, 1, 3, 3],
    bias: true,
    attrs: { group: 3, pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise 3x3, wide rows, stride 2, uneven pads',
    x: [1, 4, 8, 133],
    w: [4, 1, 3, 3],
    attrs: { group: 4, strides: [2, 2], pads: [0, 1, 2, 2] },
  },
  {
    // Channel blocks: a full one and a partial one per image, split into bands of rows.
    name: 'depthwise 3x3, channel blocks, 2 images',
    x: [2, 11, 29, 23],
    w: [11, 1, 3, 3],
    bias: true,
    attrs: { group: 11, pads: [1, 1, 1, 1] },
  },
  {
    name: 'depthwise 3x3, channel blocks, stride 2, uneven pads',
    x: [1, 9, 17, 30],
    w: [9, 1, 3, 3],
    bias: true,
    attrs: { group: 9, strides: [2, 2], pads: [2, 0, 1, 2] },
  },
  // Dense 3x3 stride 2 over few channels: straight from the input planes where the ISA takes it
  // (AVX-512: conv3x3s2_max_channels), the first block of a row reading the left padding, the last
  // ones past the row's end, 16-channel tiles and a partial one; 9 channels take the GEMM.
  {
    name: 'first layer 3x3 stride 2, 2 images, channel tail',
    x: [2, 3, 37, 70],
    w: [21, 3, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: 'first layer 3x3 stride 2, 8 channels, uneven pads',
    x: [1, 8, 20, 45],
    w: [16, 8, 3, 3],
    attrs: { strides: [2, 2], pads: [0, 2, 2, 1] },
  },
  {
    name: '3x3 stride 2, 9 channels',
    x: [1, 9, 15, 33],
    w: [16, 9, 3, 3],
    bias: true,
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    // Past AVX2's bound for channel blocks at stride 1: plane by plane.
    name: 'depthwise 3x3, stride 1, rows of 300',
    x: [1, 3, 4, 300],
    w: [3, 1, 3, 3],
    attrs: { group: 3, pads: [1, 1, 1, 1] },
  },
];

/** Inputs in [-1, 1): sums of K products stay O(sqrt K), so a K-scaled tolerance fits every case. */
function inputs(c: Case, seed: number): [Tensor, Tensor, Tensor | undefined] {
  return [
    tensor(c.x, seed, -1, 1),
    tensor(c.w, seed + 1, -1, 1),
    c.bias ? tensor([c.w[0]], seed + 2, -1, 1) : undefined,
  ];
}

const tolerance = (w: number[]) => 2e-6 * w.slice(1).reduce((a, b) => a * b, 1);

describe.each(isas)('Conv kernels, %s', (isa) => {
  it.each(cases)('Conv $name matches the reference', async (c) => {
    useIsa(isa);
    const [x, w, b] = inputs(c, 11);
    const { native, reference } = await both('Conv', b ? [x, w, b] : [x, w], c.attrs);
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 1e-4, tolerance(c.w))).toBeLessThanOrEqual(1);
  });

  it.each(cases)('Conv $name with a prepared (packed) weight matches the reference', async (c) => {
    useIsa(isa);
    const [x, w, b] = inputs(c, 21);
    const op = findOp('', 'Conv')!;
    const packed = nativeBackend.prepareWeight!(nodeOf('Conv', '', c.attrs), 1, w) ?? w;
    expect(nativeBackend.isPrepared!(packed)).toBe(packed !== w);
    const given = b ? [x, packed, b] : [x, packed];
    const [native] = await callTensorKernel(op, given, c.attrs, { backend: nativeBackend });
    const [reference] = await callTensorKernel(op, b ? [x, w, b] : [x, w], c.attrs);
    expect(native.dims).toEqual(reference.dims);
    expect(worst(native, reference, 1e-4, tolerance(c.w))).toBeLessThanOrEqual(1);
  });

  it.each(['relu', 'sigmoid', 'silu'])('FusedConv with %s applies it in the epilogue', async (activation) => {
    useIsa(isa);
    for (const c of [
      cases[0],
      cases[3],
      cases[8],
      cases[14],
      ...cases.filter(
        (k) =>
          k.name.includes('wide rows') || k.name.startsWith('Winograd') || k.name.startsWith('first layer'),
      ),
    ]) {
      const [x, w, b] = inputs(c, 31);
      const attrs = { ...c.attrs, activation };
      const node = nodeOf('FusedConv', 'com.onnxstream', attrs);
      const packed = nativeBackend.prepareWeight!(node, 1, w) ?? w;
      const op = findOp('com.onnxstream', 'FusedConv')!;
      const given = b ? [x, packed, b] : [x, packed];
      const [native] = await callTensorKernel(op, given, attrs, { backend: nativeBackend });
      const [reference] = await callTensorKernel(op, b ? [x, w, b] : [x, w], attrs);
      expect(worst(native, reference, 1e-4, tolerance(c.w)), `${c.name}`).toBeLessThanOrEqual(1);
    }
  });

  it.each<{ name: string; x: number[]; w: number[]; attrs: Record<string, AttrInput> }>([
    {
      name: 'stride 2, pads',
      x: [1, 4, 5, 6],
      w: [4, 3, 3, 3],
      attrs: { strides: [2, 2], pads: [1, 1, 1, 1] },
    },
    {
      name: 'groups, dilation, output_padding',
      x: [2, 6, 4, 5],
      w: [6, 2, 3, 2],
      attrs: { group: 3, strides: [3, 2], dilations: [2, 1], output_padding: [1, 1] },
    },
    {
      name: 'output_shape',
      x: [1, 3, 4, 4],
      w: [3, 5, 3, 3],
      attrs: { strides: [2, 2], output_shape: [8, 8] },
    },
    {
      name: 'SAME_UPPER',
      x: [1, 3, 4, 3],
      w: [3, 2, 4, 3],
      attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' },
    },
    { name: '1-D', x: [1, 4, 9], w: [4, 3, 5], attrs: { strides: [2], pads: [1, 2] } },
  ])('ConvTranspose $name matches the reference', async (c) => {
    useIsa(isa);
    const x = tensor(c.x, 41, -1, 1);
    const w = tensor(c.w, 42, -1, 1);
    const m = c.w[1] * ((c.attrs.group as number | undefined) ?? 1);
    const b = tensor([m], 43, -1, 1);
    for (const given of [
      [x, w],
      [x, w, b],
    ]) {
      const { native, reference } = await both('ConvTranspose', given, c.attrs);
      expect(native.dims).toEqual(reference.dims);
      expect(worst(native, reference, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    }
  });
});

describe('Conv weight packing', () => {
  it('packs float16 and quantised uint8 weights like their float32 values', async () => {
    const x = tensor([1, 6, 7, 8], 51, -1, 1);
    const w32 = tensor([9, 6, 3, 3], 52, -1, 1);
    const half = float32ToHalf(w32.data as Float32Array);
    const rounded = halfToFloat32(half);
    const q = Uint8Array.from({ length: w32.size }, (_, i) => (i * 37) % 256);
    const scale = 0.01;
    const zero = 128;
    const dequantised = Float32Array.from(q, (v) => (v - zero) * scale);
    const op = findOp('', 'Conv')!;
    for (const [weight, values] of [
      [new Tensor('float16', half, w32.dims), rounded],
      [new Tensor('uint8', q, w32.dims, { scale, zeroPoint: zero }), dequantised],
    ] as const) {
      const packed = nativeBackend.prepareWeight!(nodeOf('Conv', '', { pads: [1, 1, 1, 1] }), 1, weight)!;
      expect(packed).toBeDefined();
      const [native] = await callTensorKernel(
        op,
        [x, packed],
        { pads: [1, 1, 1, 1] },
        { backend: nativeBackend },
      );
      const [reference] = await callTensorKernel(op, [x, new Tensor('float32', values, w32.dims)], {
        pads: [1, 1, 1, 1],
      });
      expect(worst(native, reference, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    }
  });

  it('rejects a weight packed for another ISA', async () => {
    if (isas.length < 2) return;
    useIsa(isas[isas.length - 1]);
    const w = tensor([16, 4, 3, 3], 61);
    const packed = nativeBackend.prepareWeight!(nodeOf('Conv', '', {}), 1, w)!;
    useIsa('scalar');
    const op = findOp('', 'Conv')!;
    await expect(
      callTensorKernel(op, [tensor([1, 4, 6, 6], 62), packed], {}, { backend: nativeBackend }),
    ).rejects.toThrow(/not packed for this ISA/);
  });
});
