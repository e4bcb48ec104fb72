/**
 * Conv / FusedConv (com.onnxstream, `activation` fused into the GEMM epilogue) and ConvTranspose on
 * float32, 1-D and 2-D. Weights (except depthwise ones, which a direct kernel reads as they are) are
 * packed into GEMM panels by prepareWeight when a provider keeps them (transformed for Winograd
 * instead where the ISA's table runs 3x3 stride-1 convolutions so); streamed ones are packed per
 * call from their stored type, a block of output channels at a time, and a large one may arrive
 * sliced (KernelCall `sliced`): read and run a block of output channels at a time. Output shapes come
 * from the operators' own shape rules; 3-D convolutions run the reference kernel. A FusedConv with
 * uint8 loads and stores folded in (planner/fuse-uint8-io.ts) hands the kernel its quantised uint8
 * input and gets its uint8 output, quantised a band at a time.
 */
import { Attributes, type KernelCall, type Node, type Quantization, type Tensor } from '../../../index.js';
import { foldedStoreQuantization, quantizeStoredScale } from '../../../ops/fused/uint8-storage.js';
import type { KernelBinding } from '../binding.js';
import { PackedKind } from '../kernels.js';
import { activationCode } from './elementwise.js';
import {
  gemmWork,
  inferDims,
  isPreparedWeight,
  layout,
  packedDims,
  packWeight,
  weightParams,
} from './gemm.js';
import {
  allFloat16,
  allFloat32,
  type Derived,
  derived,
  elemParam,
  float16ToFloat32,
  float32Weight,
  type KernelOp,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { forEachBlock, wholeWeight } from './sliced.js';
import { quantised } from './uint8-storage.js';

/** Begin pads of a convolution's spatial axes (auto_pad as core's windowGeometry splits them). */
function padsBegin(attrs: Attributes, spatial: readonly number[], kernel: readonly number[]): number[] {
  const n = spatial.length;
  const strides = attrs.ints('strides', new Array(n).fill(1));
  const dilations = attrs.ints('dilations', new Array(n).fill(1));
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return new Array(n).fill(0);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    return spatial.map((size, i) => {
      const ek = (kernel[i] - 1) * dilations[i] + 1;
      const total = Math.max(0, (Math.ceil(size / strides[i]) - 1) * strides[i] + ek - size);
      const half = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? half : total - half;
    });
  }
  return attrs.ints('pads', new Array(2 * n).fill(0)).slice(0, n);
}

/** Begin pads of ConvTranspose (core's transposedWindowGeometry). */
function transposedPadsBegin(
  attrs: Attributes,
  spatial: readonly number[],
  kernel: readonly number[],
  out: readonly number[],
): number[] {
  const n = spatial.length;
  const strides = attrs.ints('strides', new Array(n).fill(1));
  const dilations = attrs.ints('dilations', new Array(n).fill(1));
  const outputPadding = attrs.ints('output_padding', new Array(n).fill(0));
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (attrs.has('output_shape') || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    return spatial.map((size, i) => {
      const full = strides[i] * (size - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
      const total = full - out[i];
      const half = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? half : total - half;
    });
  }
  return attrs.ints('pads', new Array(2 * n).fill(0)).slice(0, n);
}

/** [N, C, H, W] of a 1-D (H = 1) or 2-D input, or undefined for other ranks. */
const as2d = (dims: readonly number[]): number[] | undefined =>
  dims.length === 4 ? [...dims] : dims.length === 3 ? [dims[0], dims[1], 1, dims[2]] : undefined;

/**
 * The kernel [kh, kw] of a convolution weight against a `rank`-D input (OnnxStream stores Conv1D
 * weights as (O, I, K, 1)), or undefined when the weight's layout is not a 1-D/2-D kernel.
 */
function kernelOf(rank: number, w: readonly number[]): [number, number] | undefined {
  const spatial = w.length === rank + 1 && w[w.length - 1] === 1 ? w.slice(2, -1) : w.slice(2);
  if (spatial.length !== rank - 2) return undefined;
  return rank === 4 ? [spatial[0], spatial[1]] : rank === 3 ? [1, spatial[0]] : undefined;
}

const isDepthwise = (wDims: readonly number[], group: number) => wDims[1] === 1 && group > 1;

/**
 * Bytes of Winograd weights above which the kernels convolve directly (WinogradKernels'
 * max_weight_bytes of the tables that keep weights transformed: SIMD128's).
 */
const WINOGRAD_MAX_BYTES = 16 << 20;

/**
 * Whether the kernels run this convolution by Winograd where the ISA has it (conv.cc's
 * winograd_fits): 3x3, stride and dilation 1, one group, no upsampling, begin pads up to 2 (at
 * stride 1 "same" pads do not depend on the input size, so any size stands for it), and its
 * transformed weights (`positions` x M x C floats) within the bound.
 */
function winogradFits(node: Node, w: readonly number[], positions: number): boolean {
  const attrs = new Attributes(node.attributes);
  const ones = (name: string) => attrs.ints(name, [1, 1]).every((v) => v === 1);
  return (
    w.length === 4 &&
    w[2] === 3 &&
    w[3] === 3 &&
    attrs.int('group', 1) === 1 &&
    ones('strides') &&
    ones('dilations') &&
    (!node.domain || attrs.int('upsample', 1) === 1) &&
    padsBegin(attrs, [3, 3], [3, 3]).every((p) => p <= 2) &&
    positions * w[0] * w[1] * 4 <= WINOGRAD_MAX_BYTES
  );
}

/** Geometry parameters shared by conv2d_f32 and conv_transpose2d_f32. */
function windowParams(attrs: Attributes, rank: number, pads: number[]): number[] {
  const n = rank - 2;
  const strides = attrs.ints('strides', new Array(n).fill(1));
  const dilations = attrs.ints('dilations', new Array(n).fill(1));
  return n === 2
    ? [strides[0], strides[1], dilations[0], dilations[1], pads[0], pads[1]]
    : [1, strides[0], 1, dilations[0], 0, pads[0]];
}

/** Whether the kernels cover this call; else the reference kernel runs it. */
function kernel2d(call: KernelCall, xDims: readonly number[], wDims: readonly number[]): boolean {
  const kernel = kernelOf(xDims.length, wDims);
  if (!kernel) return false;
  // An explicit kernel_shape that disagrees with the weight is left to the reference's checks.
  return (
    !call.attrs.has('kernel_shape') ||
    call.attrs.ints('kernel_shape').join() === wDims.slice(2, 2 + xDims.length - 2).join()
  );
}

/** The shapes and window of a convolution the kernels run (upsampled by `up`). */
interface ConvGeometry {
  readonly outDims: readonly number[];
  readonly n: number;
  readonly c: number;
  readonly storedH: number;
  readonly storedW: number;
  /** The input's height and width as the kernel reads it (upsampled). */
  readonly h: number;
  readonly wd: number;
  readonly m: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly group: number;
  /** The fused activation's UnaryOp, or -1. */
  readonly act: number;
  readonly window: readonly number[];
  readonly up: number;
}

const NO_BIAS = new Float32Array(0);

/** Elements [from, to) of `a`: `a` itself when that is all of it (no view made per call). */
const span = <T extends Float32Array | Uint16Array | Uint8Array>(a: T, from: number, to: number): T =>
  from === 0 && to === a.length ? a : (a.subarray(from, to) as T);

/** conv2d_f32's form, scale and zero point of one side: float32, uint8 with `quant`, or float16. */
const sideParams = (quant: Quantization | undefined, half = false): number[] =>
  quant ? [1, quantizeStoredScale(quant), quant.zeroPoint] : half ? [2, 0, 0] : [0, 0, 0];

const geometries = new WeakMap<Node, Derived<ConvGeometry | undefined>>();

/** The geometry of a call the kernels cover, else undefined (the reference kernel runs it). */
function convGeometry(
  call: KernelCall,
  xDims: readonly number[],
  wDims: readonly number[],
): ConvGeometry | undefined {
  // FusedConv `upsample`: the kernel reads x through a nearest upsampling (2-D only).
  const up = call.node.domain ? call.attrs.int('upsample', 1) : 1;
  if (!kernel2d(call, xDims, wDims) || (up !== 1 && (up !== 2 || xDims.length !== 4))) return undefined;
  const outDims = inferDims(call);
  const [n, c, storedH, storedW] = as2d(xDims)!;
  const [, m, oh, ow] = as2d(outDims)!;
  const [kh, kw] = kernelOf(xDims.length, wDims)!;
  const spatial = xDims.slice(2).map((d) => d * up);
  const pads = padsBegin(call.attrs, spatial, xDims.length === 4 ? [kh, kw] : [kw]);
  return {
    outDims,
    n,
    c,
    storedH,
    storedW,
    h: storedH * up,
    wd: storedW * up,
    m,
    oh,
    ow,
    kh,
    kw,
    group: call.attrs.int('group', 1),
    act: call.node.domain ? activationCode(call) : -1,
    window: windowParams(call.attrs, xDims.length, pads),
    up,
  };
}

export const convOps: KernelOp = {
  types: ['Conv', 'com.onnxstream::FusedConv'],
  placesOutputs: true,
  replayable: true,
  // A uint8 input is a folded LoadUint8's (FusedConv only); float16 throughout is fp16 arithmetic.
  supports: (node, types) =>
    ((types[0] === 'float32' || (types[0] === 'uint8' && node.domain !== '')) &&
      types[1] === 'float32' &&
      allFloat32(types.slice(1))) ||
    allFloat16(types),
  prepareWeight(node: Node, input: number, weight: Tensor, kept: boolean, binding: KernelBinding) {
    // The kernel reads the bias, and a depthwise weight as it is, in float32: a float16 one is
    // converted once here rather than per call.
    if (input === 2 && weight.type === 'float16') return float32Weight(binding, weight);
    if (input !== 1 || weight.dims.length < 3 || weight.dims.length > 4) return undefined;
    const group = new Attributes(node.attributes).int('group', 1);
    const m = weight.dims[0];
    if (isDepthwise(weight.dims, group))
      return weight.type === 'float16' ? float32Weight(binding, weight) : undefined;
    if (group < 1 || m % group !== 0) return undefined;
    // Kept weights go to the Winograd path transformed once, not per run.
    const positions = kept ? layout(binding).winograd : 0;
    const kind =
      positions > 0 && winogradFits(node, weight.dims, positions) ? PackedKind.winograd : PackedKind.a;
    return packWeight(binding, weight, kept, kind, group, m / group, weight.size / m, false);
  },
  // Output channels are rows of the weight: a block of them makes a block of output planes.
  slicedWeight: (node: Node) => (new Attributes(node.attributes).int('group', 1) === 1 ? 1 : undefined),
  async run(call: KernelCall, binding: KernelBinding) {
    // Indexing, not destructuring or spreading, in this per-call code: each iterator is garbage.
    const x = call.inputs[0] as Tensor;
    const given = call.inputs[1];
    const b = call.inputs[2];
    const sliced = call.sliced?.input === 1 ? call.sliced : undefined;
    const wDims = sliced?.dims ?? packedDims(given) ?? given!.dims;
    const g = derived(geometries, call, [x.dims, wDims], () => convGeometry(call, x.dims, wDims));
    if (!g) {
      if (given && isPreparedWeight(given))
        throw new Error('a prepared Conv weight needs a 1-D or 2-D convolution');
      if (!sliced) return (await call.op.run(call)) as Tensor[];
      // The reference kernel takes the whole weight.
      const w = await wholeWeight(sliced);
      try {
        const inputs = call.inputs.map((t, i) => (i === 1 ? w : t));
        return (await call.op.run({ ...call, inputs, values: inputs })) as Tensor[];
      } finally {
        w.dispose();
      }
    }
    const { n, c, storedH, storedW, h, wd, m, oh, ow, kh, kw, group, act, window, up } = g;
    if (x.type === 'uint8' && !x.quant) throw new Error('a uint8 input must be a quantised tensor');
    const store = call.node.domain ? foldedStoreQuantization(call.attrs) : undefined;
    // fp16 arithmetic: the kernel converts as it reads and stores, and computes in float32.
    const half = x.type === 'float16';
    const y = store
      ? quantised(binding.allocTensor('uint8', g.outDims), store)
      : outputTensor(binding, g.outDims, half ? 'float16' : 'float32', call);
    const io = [...sideParams(x.type === 'uint8' ? x.quant : undefined, half), ...sideParams(store, half)];
    const xs = x.data as Float32Array | Uint16Array | Uint8Array;
    const ys = y.data as Float32Array | Uint16Array | Uint8Array;
    // The kernel takes the bias, and a depthwise weight (read as it is), in float32: converted once
    // by prepareWeight, or here when not prepared (a weight several nodes share).
    const b32 = b?.type === 'float16' ? await float16ToFloat32(binding, b) : b;
    const w32 =
      given?.type === 'float16' && !isPreparedWeight(given) && isDepthwise(wDims, group)
        ? await float16ToFloat32(binding, given)
        : given;
    const bias = (b32?.data as Float32Array | undefined) ?? NO_BIAS;
    /** Output channels [m0, m0 + mb) of images [n0, n0 + nb) (contiguous in y when nb is 1 or mb is m). */
    const conv = (w: Tensor, n0: number, nb: number, m0: number, mb: number) => {
      const form = weightParams(w);
      return runKernel(
        binding,
        'conv2d_f32',
        gemmWork(nb * mb * oh * ow, 1, (c / group) * kh * kw),
        [
          span(xs, n0 * c * storedH * storedW, (n0 + nb) * c * storedH * storedW),
          w.data as ArrayBufferView,
          span(bias, b ? m0 : 0, b ? m0 + mb : 0),
          span(ys, (n0 * m + m0) * oh * ow, ((n0 + nb - 1) * m + m0 + mb) * oh * ow),
        ],
        [
          nb,
          c,
          h,
          wd,
          mb,
          kh,
          kw,
          window[0],
          window[1],
          window[2],
          window[3],
          window[4],
          window[5],
          oh,
          ow,
          group,
          act,
          b ? 1 : 0,
          form[0],
          form[1],
          form[2],
          up,
          ...io,
        ],
      );
    };
    try {
      if (sliced) {
        // A block of output channels at a time (the next block is read while this one runs).
        await forEachBlock(sliced, async (w, m0, mb) => {
          for (let i = 0; i < n; i++) await conv(w, i, 1, m0, mb);
        });
      } else {
        await conv(w32!, 0, n, 0, m);
      }
      return [y];
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (b32 !== b) b32?.dispose();
      if (w32 !== given) w32?.dispose();
    }
  },
};

export const convTransposeOp: KernelOp = {
  types: ['ConvTranspose'],
  placesOutputs: true,
  replayable: true,
  // float16 throughout is fp16 arithmetic: x, the weight and y are read and written as float16.
  supports: (_node, types) =>
    (types[0] === 'float32' && types[1] === 'float32' && allFloat32(types)) || allFloat16(types),
  // The kernel reads the bias in float32: a float16 one is converted once here rather than per call.
  prepareWeight: (_node, input, weight, _kept, binding) =>
    input === 2 && weight.type === 'float16' ? float32Weight(binding, weight) : undefined,
  async run(call: KernelCall, binding: KernelBinding) {
    const [x, w, b] = call.inputs as [Tensor, Tensor, Tensor | undefined];
    const rank = x.dims.length;
    if ((rank !== 3 && rank !== 4) || w.dims.length !== rank || !kernel2d(call, x.dims, w.dims)) {
      return (await call.op.run(call)) as Tensor[];
    }
    const outDims = inferDims(call);
    const [n, c, h, wd] = as2d(x.dims)!;
    const [, m, oh, ow] = as2d(outDims)!;
    const [kh, kw] = kernelOf(rank, w.dims)!;
    const pads = transposedPadsBegin(
      call.attrs,
      x.dims.slice(2),
      rank === 4 ? [kh, kw] : [kw],
      outDims.slice(2),
    );
    // An output_shape larger than the full transposed extent means negative pads: the reference's.
    if (pads.some((p) => p < 0)) return (await call.op.run(call)) as Tensor[];
    const half = x.type === 'float16';
    const y = outputTensor(binding, outDims, half ? 'float16' : 'float32', call);
    // A bias not prepared (a shared weight) is converted here.
    const b32 = b?.type === 'float16' ? await float16ToFloat32(binding, b) : b;
    try {
      await runKernel(
        binding,
        'conv_transpose2d_f32',
        gemmWork(n * m * h * wd, kh * kw, c / call.attrs.int('group', 1)),
        [
          x.data as ArrayBufferView,
          w.data as ArrayBufferView,
          (b32?.data as Float32Array | undefined) ?? NO_BIAS,
          y.data as ArrayBufferView,
        ],
        [
          n,
          c,
          h,
          wd,
          m,
          kh,
          kw,
          ...windowParams(call.attrs, rank, pads),
          oh,
          ow,
          call.attrs.int('group', 1),
          b ? 1 : 0,
          ...elemParam(x),
        ],
      );
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      if (b32 !== b) b32?.dispose();
    }
    return [y];
  },
};
