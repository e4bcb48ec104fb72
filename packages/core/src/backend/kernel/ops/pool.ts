/**
 * MaxPool / AveragePool over 1-D and 2-D NCHW float32, or float16 under fp16 arithmetic (read into
 * float32 a row at a time, each result rounded once) (pads, strides, dilations, ceil_mode,
 * auto_pad, count_include_pad) and the global pools. Output sizes come from core's window rules;
 * the begin/end pads are derived here the same way.
 */
import { type KernelCall, shapeSize, type Tensor } from '../../../index.js';
import { PoolOp } from '../kernels.js';
import { elemParam, isFloat, type KernelOp, outputDims, outputTensor, runKernel } from './kernel-op.js';
import { attrsOf, reference, usesOnlyOutputs, view } from './support.js';

/** Begin and end padding of each spatial axis (auto_pad SAME_* splits the total like core). */
function pads(
  call: KernelCall,
  inSizes: number[],
  outSizes: number[],
  kernel: readonly number[],
): number[][] {
  const n = inSizes.length;
  const a = call.attrs;
  const autoPad = a.string('auto_pad', 'NOTSET');
  const strides = a.ints('strides', new Array(n).fill(1));
  const dilations = a.ints('dilations', new Array(n).fill(1));
  const explicit = a.ints('pads', new Array(2 * n).fill(0));
  return inSizes.map((size, i) => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (outSizes[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
      const half = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
    }
    return autoPad === 'VALID' ? [0, 0] : [explicit[i], explicit[i + n]];
  });
}

export const poolOps: KernelOp = {
  types: ['MaxPool', 'AveragePool'],
  placesOutputs: true,
  replayable: true,
  supports: (node, types) => {
    const rank = attrsOf(node).ints('kernel_shape', [1, 1]).length;
    // MaxPool's Indices output stays with the reference.
    return isFloat(types[0]) && (rank === 1 || rank === 2) && usesOnlyOutputs(node, 1);
  },
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const kernel = call.attrs.ints('kernel_shape');
    if (x.dims.length !== 2 + kernel.length) return reference(call);
    const dims = outputDims(call);
    const [inSp, outSp] = [x.dims.slice(2), dims.slice(2)];
    const strides = call.attrs.ints(
      'strides',
      kernel.map(() => 1),
    );
    const dilations = call.attrs.ints(
      'dilations',
      kernel.map(() => 1),
    );
    const p = pads(call, inSp, outSp, kernel);
    // 1-D pooling is 2-D pooling of height 1.
    const two = <T>(v: readonly T[], one: T): T[] => (v.length === 1 ? [one, v[0]] : [v[0], v[1]]);
    const [ih, iw] = two(inSp, 1);
    const [oh, ow] = two(outSp, 1);
    const [kh, kw] = two(kernel, 1);
    const [sh, sw] = two(strides, 1);
    const [dh, dw] = two(dilations, 1);
    const [[pt, pb], [pl, pr]] = two(p, [0, 0]);
    const y = outputTensor(binding, dims, x.type as 'float32' | 'float16', call);
    const max = call.node.opType === 'MaxPool';
    const includePad = !max && call.attrs.int('count_include_pad', 0) !== 0;
    await runKernel(
      binding,
      'pool2d_f32',
      y.size * kh * kw,
      [view(x), view(y)],
      [
        max ? PoolOp.max : PoolOp.avg,
        includePad ? 1 : 0,
        dims[0] * dims[1],
        ih,
        iw,
        oh,
        ow,
        kh,
        kw,
        sh,
        sw,
        dh,
        dw,
        pt,
        pl,
        pb,
        pr,
        ...elemParam(x),
      ],
    );
    return [y];
  },
};

export const globalPoolOps: KernelOp = {
  types: ['GlobalAveragePool', 'GlobalMaxPool'],
  placesOutputs: true,
  replayable: true,
  supports: (_node, types) => isFloat(types[0]),
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const size = shapeSize(x.dims.slice(2));
    if (x.dims.length < 3 || size === 0) return reference(call);
    const y = outputTensor(binding, outputDims(call), x.type as 'float32' | 'float16', call);
    const op = call.node.opType === 'GlobalMaxPool' ? PoolOp.max : PoolOp.avg;
    await runKernel(
      binding,
      'global_pool_f32',
      x.size,
      [view(x), view(y)],
      [op, x.dims[0] * x.dims[1], size, ...elemParam(x)],
    );
    return [y];
  },
};
