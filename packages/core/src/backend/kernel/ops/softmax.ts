/**
 * Softmax and LogSoftmax on float32, and on float16 under fp16 arithmetic (each line read into
 * float32 and rounded once): one axis from opset 13, the 2-D coercion at `axis` before.
 */
import { normalizeAxis, shapeSize, type Tensor } from '../../../index.js';
import { elemParam, isFloat, type KernelOp, outputDims, outputTensor, runKernel } from './kernel-op.js';
import { view } from './support.js';

export const softmaxOps: KernelOp = {
  types: ['Softmax', 'LogSoftmax'],
  placesOutputs: true,
  replayable: true,
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const dims = x.dims;
    let outer: number;
    let n: number;
    let inner: number;
    if (call.opset < 13) {
      const axis = normalizeAxis(call.attrs.int('axis', 1), Math.max(dims.length, 1));
      [outer, n, inner] = [shapeSize(dims.slice(0, axis)), shapeSize(dims.slice(axis)), 1];
    } else {
      const axis = normalizeAxis(call.attrs.int('axis', -1), dims.length);
      [outer, n, inner] = [shapeSize(dims.slice(0, axis)), dims[axis], shapeSize(dims.slice(axis + 1))];
    }
    const y = outputTensor(binding, outputDims(call), x.type as 'float32' | 'float16', call);
    const log = call.node.opType === 'LogSoftmax' ? 1 : 0;
    await runKernel(
      binding,
      'softmax_f32',
      x.size,
      [view(x), view(y)],
      [log, outer, n, inner, ...elemParam(x)],
    );
    return [y];
  },
};
