/**
 * MatMul on float32 with numpy semantics (1-D operands promoted, batch dims broadcast), as one
 * batched GEMM kernel call. A constant 2-D right operand (a linear layer's weight) is packed once by
 * prepareWeight when a provider keeps it; any other B shared by every batch (a streamed weight, in
 * its stored type) is packed per call on the C++ side, in column slices. A large streamed one may
 * arrive sliced (KernelCall `sliced`): blocks of its rows, each a product adding onto the output.
 */
import {
  broadcastShapes,
  broadcastStrides,
  type KernelCall,
  shapeSize,
  type Tensor,
} from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import { ElemType, PackedKind } from '../kernels.js';
import { gemmWork, inferDims, packedDims, packWeight, slicedGemm, weightParams } from './gemm.js';
import type { KernelOp } from './kernel-op.js';
import { allFloat16, float32ToFloat16, outputTensor, runKernel } from './kernel-op.js';
import { wholeWeight } from './sliced.js';

/** Element offsets of each output batch's A and B matrices, from numpy broadcasting of batch dims. */
function batchOffsets(
  aBatch: readonly number[],
  bBatch: readonly number[],
  aMat: number,
  bMat: number,
): [number[], number[]] {
  const batch = broadcastShapes(aBatch, bBatch);
  const count = shapeSize(batch);
  const sa = broadcastStrides(aBatch, batch);
  const sb = broadcastStrides(bBatch, batch);
  const aOff: number[] = [];
  const bOff: number[] = [];
  const index = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < count; i++) {
    let oa = 0;
    let ob = 0;
    for (let d = 0; d < batch.length; d++) {
      oa += index[d] * sa[d];
      ob += index[d] * sb[d];
    }
    aOff.push(oa * aMat);
    bOff.push(ob * bMat);
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++index[d] < batch[d]) break;
      index[d] = 0;
    }
  }
  return [aOff, bOff];
}

export const matmulOp: KernelOp = {
  types: ['MatMul'],
  replayable: true,
  supports: (_node, types) => (types[0] === 'float32' && types[1] === 'float32') || allFloat16(types),
  prepareWeight(_node, input: number, weight: Tensor, kept: boolean, binding: KernelBinding) {
    if (input !== 1 || weight.dims.length !== 2) return undefined;
    const [k, n] = weight.dims;
    return packWeight(binding, weight, kept, PackedKind.b, 1, n, k, false);
  },
  // A linear layer's weight [K, N]: a block of its rows (a range of K) at a time.
  slicedWeight: () => 1,
  async run(call: KernelCall, binding: KernelBinding) {
    const [a, b] = call.inputs as [Tensor, Tensor | undefined];
    const sliced = call.sliced?.input === 1 ? call.sliced : undefined;
    const outDims = inferDims(call);
    if (!sliced) return [await product(binding, a, b!, outDims)];
    if (sliced.dims.length !== 2) {
      // A batched weight is taken whole.
      const w = await wholeWeight(sliced);
      try {
        return [await product(binding, a, w, outDims)];
      } finally {
        w.dispose();
      }
    }
    // B shared by every row of A: one product over all of A's rows per block of B, added up in
    // float32 (a float16 result is rounded once, at the end).
    const y = outputTensor(binding, outDims);
    let result = y;
    try {
      await slicedGemm(
        binding,
        sliced,
        a.data as Float32Array | Uint16Array,
        a.size / sliced.dims[0],
        y.data as Float32Array,
      );
      if (a.type === 'float16') result = await float32ToFloat16(binding, y);
    } catch (e) {
      y.dispose();
      throw e;
    }
    if (result !== y) y.dispose();
    return [result];
  },
};

/** A . B as one batched GEMM kernel call. */
async function product(
  binding: KernelBinding,
  a: Tensor,
  b: Tensor,
  outDims: readonly number[],
): Promise<Tensor> {
  const bDims = packedDims(b) ?? b.dims;
  const pa = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
  const pb = bDims.length === 1 ? [bDims[0], 1] : bDims;
  const m = pa[pa.length - 2];
  const k = pa[pa.length - 1];
  const n = pb[pb.length - 1];
  const [aOff, bOff] = batchOffsets(pa.slice(0, -2), pb.slice(0, -2), m * k, k * n);
  const half = a.type === 'float16';
  const y = outputTensor(binding, outDims, half ? 'float16' : 'float32');
  // fp16 arithmetic: A and Y are float16, converted by the kernel as it packs and stores.
  const types = half ? [ElemType.float16, 1] : [];
  try {
    await runKernel(
      binding,
      'matmul_f32',
      gemmWork(m * aOff.length, n, k),
      [a.data as ArrayBufferView, b.data as ArrayBufferView, y.data as ArrayBufferView],
      [m, k, n, aOff.length, ...weightParams(b), ...aOff, ...bOff, ...types],
    );
  } catch (e) {
    y.dispose();
    throw e;
  }
  return y;
}
