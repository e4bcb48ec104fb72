/** com.onnxstream::Geglu (fuse.ts: Split -> GELU -> Mul) on float32: one pass over the halves in place. */
import type { Tensor } from '../../../index.js';
import { type KernelOp, outputDims, outputTensor, runKernel } from './kernel-op.js';

export const gegluOps: KernelOp = {
  types: ['com.onnxstream::Geglu'],
  supports: (_node, types) => types[0] === 'float32',
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const width = x.dims[x.dims.length - 1];
    const y = outputTensor(binding, outputDims(call));
    await runKernel(
      binding,
      'geglu_f32',
      x.size,
      [x.data as Float32Array, y.data as Float32Array],
      [x.size / Math.max(width, 1), width / 2],
    );
    return [y];
  },
};
