/**
 * com.onnxstream::MatMulGeglu (fuse.ts: MatMul -> Add -> Geglu [-> MatMul -> Add]) on float32, or
 * on float16 under fp16 arithmetic (x read and the output written as float16 by the kernels; the
 * projection block and the gated block stay float32, rounded once at the output): the
 * projection is made a block of rows at a time (gemm_f32 with the bias per column) and gated at once
 * (geglu_f32), into the output or, with an output layer, into a block that layer multiplies into the
 * output; so only one block of the projection and of the gated activation exists at a time. A large
 * streamed first weight may arrive sliced (KernelCall `sliced`): blocks of its rows, each a product
 * adding onto the whole projection.
 */
import type { KernelCall, Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { ElemType, PackedKind } from '../kernels.js';
import {
  gemmWork,
  inferDims,
  isPackedWeight,
  packedDims,
  packWeight,
  slicedGemm,
  weightParams,
} from './gemm.js';
import {
  allFloat16,
  allFloat32,
  float16ToFloat32,
  float32Weight,
  type KernelOp,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { wholeWeight } from './sliced.js';

/**
 * Bytes of projection per block: small next to the 40 MiB a whole one takes at SD's 64x64 blocks,
 * large enough that each block is one efficient GEMM (tens to hundreds of rows). SD 1.5's UNet,
 * lowest-memory run: 8 MiB blocks (and their gated halves, and a weight packed once per call) held
 * 12 MiB more during its 64x64 feed-forwards than 2 MiB ones, in the same time.
 */
const BLOCK_BYTES = 2 << 20;

export const matmulGegluOps: KernelOp = {
  types: ['com.onnxstream::MatMulGeglu'],
  supports: (_node, types) =>
    (types[0] === 'float32' && types[1] === 'float32' && allFloat32(types)) || allFloat16(types),
  prepareWeight(_node, input, weight, kept, binding) {
    // Biases are read in float32: a float16 one is converted once here rather than per call.
    if ((input === 2 || input === 4) && weight.type === 'float16') return float32Weight(binding, weight);
    if ((input !== 1 && input !== 3) || weight.dims.length !== 2) return undefined;
    const [k, n] = weight.dims;
    return packWeight(binding, weight, kept, PackedKind.b, 1, n, k, false);
  },
  // The weight [K, 2N]: a block of its rows (a range of K) at a time, see run().
  slicedWeight: () => 1,
  async run(call: KernelCall, binding: KernelBinding) {
    const [x, given, bias16, out, outBias16] = call.inputs as (Tensor | undefined)[];
    // Biases not prepared (shared weights) are converted per call.
    const bias = bias16?.type === 'float16' ? await float16ToFloat32(binding, bias16) : bias16;
    const outBias = outBias16?.type === 'float16' ? await float16ToFloat32(binding, outBias16) : outBias16;
    try {
      return [
        await matmulGeglu(call, binding, { x: x!, bias, out, outBias, outDims: inferDims(call) }, given),
      ];
    } finally {
      if (bias !== bias16) bias?.dispose();
      if (outBias !== outBias16) outBias?.dispose();
    }
  },
};

/** The output of a call whose float16 biases are float32 (`layer`). */
async function matmulGeglu(
  call: KernelCall,
  binding: KernelBinding,
  layer: Layers,
  given: Tensor | undefined,
): Promise<Tensor> {
  const { x, bias } = layer;
  const sliced = call.sliced?.input === 1 ? call.sliced : undefined;
  if (!sliced) return blocksOfRows(binding, layer, given!);
  const [k, wide] = sliced.dims;
  const rows = x.size / Math.max(k, 1);
  // Blocks of K need the whole projection at once: worth it while that and two blocks of the
  // weight take less than the whole weight and the projection's block of rows (the other way).
  const projectionBytes = rows * wide * 4;
  if (projectionBytes + 2 * sliced.rows * wide * 4 >= k * wide * 4 + Math.min(projectionBytes, BLOCK_BYTES)) {
    const w = await wholeWeight(sliced);
    try {
      return await blocksOfRows(binding, layer, w);
    } finally {
      w.dispose();
    }
  }
  const projected = outputTensor(binding, [rows, wide]);
  try {
    const ps = projected.data as Float32Array;
    await slicedGemm(
      binding,
      sliced,
      x.data as Float32Array | Uint16Array,
      rows,
      ps,
      bias?.data as Float32Array | undefined,
    );
    return await gateAndOutput(binding, layer, ps, rows, wide);
  } finally {
    projected.dispose();
  }
}

/** A call's tensors besides the first weight (biases in float32), and its output dims. */
interface Layers {
  readonly x: Tensor;
  readonly bias: Tensor | undefined;
  readonly out: Tensor | undefined;
  readonly outBias: Tensor | undefined;
  readonly outDims: readonly number[];
}

/**
 * The output of `rows` rows of projection `ps` [rows, wide]: gated, then through the output layer
 * when there is one (in blocks of rows, the gated activation of one block at a time).
 */
async function gateAndOutput(
  binding: KernelBinding,
  layer: Layers,
  ps: Float32Array,
  rows: number,
  wide: number,
): Promise<Tensor> {
  const y = outputOf(binding, layer);
  try {
    await gatedRows(binding, layer, ps, rows, wide, y.data as Float32Array | Uint16Array, 0, undefined);
  } catch (e) {
    y.dispose();
    throw e;
  }
  return y;
}

/**
 * Rows [r0, r0 + m) of the output from their projection `ps` [m, wide]: gated into y directly, or,
 * with an output layer, into `gated` (m x wide / 2; a scratch tensor made here when not given) and
 * multiplied by the output weight into y.
 */
async function gatedRows(
  binding: KernelBinding,
  layer: Layers,
  ps: Float32Array,
  m: number,
  wide: number,
  ys: Float32Array | Uint16Array,
  r0: number,
  gated: Float32Array | undefined,
): Promise<void> {
  const half = wide / 2;
  const { out, outBias } = layer;
  // fp16 arithmetic: the output is float16, rounded by the last kernel from float32.
  const yType = ys instanceof Uint16Array ? ElemType.float16 : ElemType.float32;
  if (!out) {
    await runKernel(
      binding,
      'geglu_f32',
      m * wide,
      [ps, ys.subarray(r0 * half, (r0 + m) * half)],
      [m, half, ElemType.float32, yType],
    );
    return;
  }
  const width = (packedDims(out) ?? out.dims)[1];
  const scratch = gated ? undefined : outputTensor(binding, [m, half]);
  try {
    const gs = gated ?? (scratch!.data as Float32Array);
    await runKernel(binding, 'geglu_f32', m * wide, [ps, gs.subarray(0, m * half)], [m, half]);
    await runKernel(
      binding,
      'gemm_f32',
      gemmWork(m, width, half),
      [
        gs.subarray(0, m * half),
        out.data as ArrayBufferView,
        (outBias?.data as Float32Array | undefined) ?? new Float32Array(0),
        ys.subarray(r0 * width, (r0 + m) * width),
      ],
      [
        m,
        width,
        half,
        0,
        0,
        1,
        1,
        outBias ? 1 : 0,
        0,
        0,
        ...weightParams(out),
        0,
        0,
        ElemType.float32,
        yType,
      ],
    );
  } finally {
    scratch?.dispose();
  }
}

/** The output tensor: of x's type. */
const outputOf = (binding: KernelBinding, layer: Layers): Tensor =>
  outputTensor(binding, layer.outDims, layer.x.type === 'float16' ? 'float16' : 'float32');

/** The projection a block of rows at a time, each block gated (and output) at once. */
async function blocksOfRows(binding: KernelBinding, layer: Layers, given: Tensor): Promise<Tensor> {
  const { x, bias } = layer;
  const [k, wide] = packedDims(given) ?? given.dims;
  const rows = x.size / Math.max(k, 1);
  // Rows per block, a multiple of 16 (whole register tiles) when there are that many.
  const fit = Math.max(1, Math.floor(BLOCK_BYTES / (wide * 4)));
  const block = rows <= 2 * fit ? rows : fit >= 16 ? fit - (fit % 16) : fit;
  // A weight streamed in its stored form is packed once here rather than once per block, while its
  // packed copy is no larger than a block.
  const packHere = block < rows && !isPackedWeight(given) && k * wide * 4 <= BLOCK_BYTES;
  const weight = packHere
    ? (packWeight(binding, given, true, PackedKind.b, 1, wide, k, false) ?? given)
    : given;
  const y = outputOf(binding, layer);
  const projected = outputTensor(binding, [block, wide]);
  const gated = layer.out ? outputTensor(binding, [block, wide / 2]) : undefined;
  try {
    const xs = x.data as Float32Array | Uint16Array;
    const ys = y.data as Float32Array | Uint16Array;
    const xType = x.type === 'float16' ? ElemType.float16 : ElemType.float32;
    const ps = projected.data as Float32Array;
    const biasData = bias ? (bias.data as Float32Array) : new Float32Array(0);
    for (let r0 = 0; r0 < rows; r0 += block) {
      const m = Math.min(block, rows - r0);
      await runKernel(
        binding,
        'gemm_f32',
        gemmWork(m, wide, k),
        [
          xs.subarray(r0 * k, (r0 + m) * k),
          weight.data as ArrayBufferView,
          biasData,
          ps.subarray(0, m * wide),
        ],
        [m, wide, k, 0, 0, 1, 1, bias ? 1 : 0, 0, 0, ...weightParams(weight), 0, 0, xType, ElemType.float32],
      );
      await gatedRows(
        binding,
        layer,
        ps.subarray(0, m * wide),
        m,
        wide,
        ys,
        r0,
        gated?.data as Float32Array | undefined,
      );
    }
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    projected.dispose();
    gated?.dispose();
    if (weight !== given) weight.dispose();
  }
  return y;
}
