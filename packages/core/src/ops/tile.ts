import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { check, input, type OpDef } from './op.js';
import { cyclicMap, remapAxes } from './support/tensor-remap.js';

export const Tile: OpDef = {
  type: 'Tile',
  infer(ctx) {
    const x = ctx.inputs[0];
    const r = ctx.inputs[1]?.value;
    if (!x?.dims) return [{ type: x?.type }];
    if (!r) return [{ type: x.type, dims: x.dims.map((): Dim => null) }];
    const reps = asInts(r);
    check(
      reps.length === x.dims.length,
      () => `repeats has ${reps.length} values for rank ${x.dims!.length}`,
    );
    return [{ type: x.type, dims: x.dims.map((d, i) => (typeof d === 'number' ? d * reps[i] : null)) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const reps = asInts(input(ctx, 1));
    check(reps.length === x.dims.length, () => `repeats has ${reps.length} values for rank ${x.dims.length}`);
    check(
      reps.every((r) => r >= 0),
      () => `repeats [${reps}] must not be negative`,
    );
    const outDims = x.dims.map((d, i) => d * reps[i]);
    return [
      remapAxes(
        x,
        outDims,
        outDims.map((d, a) => cyclicMap(x.dims[a], d)),
      ),
    ];
  },
};
