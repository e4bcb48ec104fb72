import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { allocData } from '../tensor/dtype.js';
import { shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { knownDims } from './support/infer.js';

/** ai.onnx.ml ArrayFeatureExtractor: the elements at indices Y of X's last axis; a 1-D X gives [1, k]. */
export const ArrayFeatureExtractor: OpDef = {
  type: 'ArrayFeatureExtractor',
  domain: 'ai.onnx.ml',
  infer(ctx) {
    const x = ctx.inputs[0];
    const indexDims = knownDims(ctx.inputs[1]?.dims);
    const k = indexDims ? shapeSize(indexDims) : null;
    const dims: Dim[] | undefined = x?.dims && (x.dims.length <= 1 ? [1, k] : [...x.dims.slice(0, -1), k]);
    return [{ type: x?.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const idx = asInts(input(ctx, 1));
    const last = x.dims.length === 0 ? 1 : x.dims[x.dims.length - 1];
    for (const i of idx) check(i >= 0 && i < last, () => `index ${i} is outside [0, ${last})`);
    const rows = last === 0 ? 0 : x.size / last;
    const src = x.data as Float32Array;
    const out = allocData(x.type, rows * idx.length) as Float32Array;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < idx.length; j++) out[r * idx.length + j] = src[r * last + idx[j]];
    const dims = x.dims.length <= 1 ? [1, idx.length] : [...x.dims.slice(0, -1), idx.length];
    return [new Tensor(x.type, out as never, dims)];
  },
};
