import { scalarOf } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import type { Value } from '../tensor/value.js';
import { check, type OpDef, type ValueMeta } from './op.js';
import { stackAlong } from './support/control-slices.js';
import {
  boolScalar,
  declaredDims,
  declaredMeta,
  declaredStackShape,
  int64Scalar,
  mergeDims,
  runBody,
  tensorsOnly,
} from './support/control-subgraph.js';

/**
 * Loop: runs `body(iteration, cond, carried...) -> (cond, carried..., scan...)` while the
 * iteration is below the trip count M and the condition holds (either input may be omitted).
 * Carried values (tensors, sequences or optionals) feed the next iteration; scan outputs are
 * tensors stacked along a new axis 0.
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
        const d = declaredMeta(declared);
        // The body's declaration wins: a carried optional may come back as the sequence it holds.
        if (d.kind) metas.push(d);
        else if (initial?.kind)
          metas.push({ kind: initial.kind, optionalOf: initial.optionalOf, type: initial.type });
        else metas.push({ type: initial?.type ?? d.type, dims: mergeDims(initial?.dims, d.dims) });
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
    const initial = ctx.values.slice(2);
    check(
      initial.every((v) => v !== undefined),
      'loop-carried inputs cannot be omitted',
    );
    let carried = initial as Value[];
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
      const condOut = outs[0];
      check(condOut instanceof Tensor, () => `the body condition output must be a tensor, got ${condOut}`);
      cond = scalarOf(condOut, 'the body condition output') !== 0;
      carried = outs.slice(1, 1 + carried.length);
      const scanned = tensorsOnly(outs.slice(1 + carried.length), 'scan output');
      for (let k = 0; k < scanCount; k++) scans[k].push(scanned[k]);
    }
    const stacked = scans.map((parts, k) => {
      const shape = parts[0] ?? declaredStackShape(body.outputs[1 + carried.length + k]);
      return stackAlong(parts, 0, shape);
    });
    return [...carried, ...stacked].slice(0, ctx.outputCount);
  },
};
