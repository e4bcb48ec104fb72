import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { broadcastShapes } from '../tensor/shape.js';
import { input, type OpDef } from './op.js';
import { broadcastDims } from './support/infer.js';
import { cyclicMap, remapAxes } from './support/tensor-remap.js';

/** Expand: numpy broadcasting of the input against `shape` (the output may be larger than `shape`). */
export const Expand: OpDef = {
  type: 'Expand',
  infer(ctx) {
    const x = ctx.inputs[0];
    const shape = ctx.inputs[1];
    if (shape?.value) return [{ type: x?.type, dims: broadcastDims([x?.dims, asInts(shape.value)]) }];
    const n = shape?.dims?.[0];
    if (!x?.dims || typeof n !== 'number') return [{ type: x?.type }];
    return [{ type: x.type, dims: new Array<Dim>(Math.max(n, x.dims.length)).fill(null) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const outDims = broadcastShapes(x.dims, asInts(input(ctx, 1)));
    const lead = outDims.length - x.dims.length;
    const xr = x.reshape([...new Array<number>(lead).fill(1), ...x.dims]);
    return [
      remapAxes(
        xr,
        outDims,
        outDims.map((d, a) => cyclicMap(xr.dims[a], d)),
      ),
    ];
  },
};
