import { scalarOf } from '../tensor/convert.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, type OpDef, type ValueMeta } from './op.js';
import { stackAlong } from './support/control-slices.js';
import {
  boolScalar,
  declaredDims,
  declaredStackShape,
  int64Scalar,
  mergeDims,
  runBody,
} from './support/control-subgraph.js';

/**
 * Loop: runs `body(iteration, cond, carried...) -> (cond, carried..., scan...)` while the
 * iteration is below the trip count M and the condition holds (either input may be omitted).
 * Carried values feed the next iteration; scan outputs are stacked along a new axis 0.
 * As in onnxruntime and the ONNX reference, the body's condition output is always honoured.
 */
export const Loop: OpDef = {
  type: 'Loop',
  infer(ctx) {
    const body = ctx.attrs.graph('body');
    const carried = ctx.inputs.length - 2;
    const metas: ValueMeta[] = [];
    for (let i = 0; i < ctx.outputCount; i++) {
      const declared = body.outputs[i + 1];
      if (i < carried) {
        const initial = ctx.inputs[i + 2];
        metas.push({
          type: initial?.type ?? declared?.type,
          dims: mergeDims(initial?.dims, declaredDims(declared)),
        });
      } else {
        const dims = declaredDims(declared);
        metas.push({ type: declared?.type, dims: dims && [null, ...dims] });
      }
    }
    return metas;
  },
  async run(ctx) {
    const body = ctx.attrs.graph('body');
    const [tripCount, condInput] = ctx.inputs;
    const initial = ctx.inputs.slice(2);
    check(
      initial.every((t) => t !== undefined),
      'loop-carried inputs cannot be omitted',
    );
    let carried = initial as Tensor[];
    const scanCount = body.outputs.length - 1 - carried.length;
    check(
      scanCount >= 0 && body.inputs.length === carried.length + 2,
      () =>
        `the body has ${body.inputs.length} inputs and ${body.outputs.length} outputs for ${carried.length} loop-carried values`,
    );
    check(
      ctx.outputCount <= carried.length + scanCount,
      () => `the node has ${ctx.outputCount} outputs, the body ${carried.length + scanCount}`,
    );
    // int64 trip counts beyond 2^53 are "unbounded" in practice.
    const max = tripCount ? scalarOf(tripCount, 'trip count M') : Number.POSITIVE_INFINITY;
    let cond = condInput ? scalarOf(condInput, 'cond') !== 0 : true;
    const scans: Tensor[][] = Array.from({ length: scanCount }, () => []);
    for (let i = 0; i < max && cond; i++) {
      const outs = await runBody(ctx, body, [int64Scalar(i), boolScalar(cond), ...carried]);
      cond = scalarOf(outs[0], 'the body condition output') !== 0;
      carried = outs.slice(1, 1 + carried.length);
      for (let k = 0; k < scanCount; k++) scans[k].push(outs[1 + carried.length + k]);
    }
    const stacked = scans.map((parts, k) => {
      const shape = parts[0] ?? declaredStackShape(body.outputs[1 + carried.length + k]);
      return stackAlong(parts, 0, shape);
    });
    return [...carried, ...stacked].slice(0, ctx.outputCount);
  },
};
