/**
 * com.onnxstream::MatMulGeglu (fuse.ts: MatMul -> Add -> Geglu) on float32: the projection is made a
 * block of rows at a time (gemm_f32 with the bias per column) and gated into the output at once
 * (geglu_f32), so only one block of it exists at a time. A large streamed weight may arrive sliced
 * (KernelCall `sliced`): blocks of its rows, each a product adding onto the projection.
 */
import type { KernelCall, Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { PackedKind } from '../kernels.js';
import {
  gemmWork,
  inferDims,
  isPackedWeight,
  packedDims,
  packWeight,
  slicedGemm,
  weightParams,
} from './gemm.js';
import { allFloat32, type KernelOp, outputTensor, runKernel } from './kernel-op.js';
import { wholeWeight } from './sliced.js';

/**
 * Bytes of projection per block: small next to the 40 MiB a whole one takes at SD's 64x64 blocks,
 * large enough that each block is one efficient GEMM (hundreds of rows).
 */
const BLOCK_BYTES = 8 << 20;

export const matmulGegluOps: KernelOp = {
  types: ['com.onnxstream::MatMulGeglu'],
  supports: (_node, types) => types[0] === 'float32' && types[1] === 'float32' && allFloat32(types),
  prepareWeight(_node, input, weight, kept, binding) {
    if (input !== 1 || weight.dims.length !== 2) return undefined;
    const [k, n] = weight.dims;
    return packWeight(binding, weight, kept, PackedKind.b, 1, n, k, false);
  },
  // The weight [K, 2N]: a block of its rows (a range of K) at a time, see run().
  slicedWeight: () => 1,
  async run(call: KernelCall, binding: KernelBinding) {
    const [x, given, bias] = call.inputs as [Tensor, Tensor | undefined, Tensor | undefined];
    const outDims = inferDims(call);
    const sliced = call.sliced?.input === 1 ? call.sliced : undefined;
    if (!sliced) return blocksOfRows(binding, x, given!, bias, outDims);
    const [k, wide] = sliced.dims;
    const rows = x.size / Math.max(k, 1);
    // Blocks of K need the whole projection at once: worth it while that and two blocks of the
    // weight take less than the whole weight and the projection's block of rows (the other way).
    const projectionBytes = rows * wide * 4;
    if (
      projectionBytes + 2 * sliced.rows * wide * 4 >=
      k * wide * 4 + Math.min(projectionBytes, BLOCK_BYTES)
    ) {
      const w = await wholeWeight(sliced);
      try {
        return await blocksOfRows(binding, x, w, bias, outDims);
      } finally {
        w.dispose();
      }
    }
    const y = outputTensor(binding, outDims);
    const projected = outputTensor(binding, [rows, wide]);
    try {
      const ps = projected.data as Float32Array;
      await slicedGemm(
        binding,
        sliced,
        x.data as Float32Array,
        rows,
        ps,
        bias?.data as Float32Array | undefined,
      );
      await runKernel(binding, 'geglu_f32', rows * wide, [ps, y.data as Float32Array], [rows, wide / 2]);
    } catch (e) {
      y.dispose();
      throw e;
    } finally {
      projected.dispose();
    }
    return [y];
  },
};

/** The projection a block of rows at a time, each block gated into the output at once. */
async function blocksOfRows(
  binding: KernelBinding,
  x: Tensor,
  given: Tensor,
  bias: Tensor | undefined,
  outDims: number[],
): Promise<Tensor[]> {
  const [k, wide] = packedDims(given) ?? given.dims;
  const half = wide / 2;
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
  const y = outputTensor(binding, outDims);
  const projected = outputTensor(binding, [block, wide]);
  try {
    const xs = x.data as Float32Array;
    const ys = y.data as Float32Array;
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
        [m, wide, k, 0, 0, 1, 1, bias ? 1 : 0, 0, 0, ...weightParams(weight), 0, 0],
      );
      await runKernel(
        binding,
        'geglu_f32',
        m * wide,
        [ps.subarray(0, m * wide), ys.subarray(r0 * half, (r0 + m) * half)],
        [m, half],
      );
    }
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    projected.dispose();
    if (weight !== given) weight.dispose();
  }
  return [y];
}
