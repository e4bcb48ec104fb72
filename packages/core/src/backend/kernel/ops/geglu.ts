/**
 * com.onnxstream::Geglu (fuse.ts: Split -> GELU -> Mul) on float32, or float16 under fp16 arithmetic
 * (each row read into float32, its result rounded once): one pass over the halves in place.
 */
import type { Tensor } from '../../../index.js';
import { ElemType } from '../kernels.js';
import { isFloat, type KernelOp, outputDims, outputTensor, runKernel } from './kernel-op.js';
import { view } from './support.js';

export const gegluOps: KernelOp = {
  types: ['com.onnxstream::Geglu'],
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const width = x.dims[x.dims.length - 1];
    const half = x.type === 'float16';
    const y = outputTensor(binding, outputDims(call), half ? 'float16' : 'float32');
    const type = half ? ElemType.float16 : ElemType.float32;
    await runKernel(
      binding,
      'geglu_f32',
      x.size,
      [view(x), view(y)],
      [x.size / Math.max(width, 1), width / 2, type, type],
    );
    return [y];
  },
};
