import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { check, input, type OpDef } from './op.js';
import { uniqueAxes } from './support/tensor-data.js';
import { padTensor } from './support/tensor-pad.js';

/** The target size per axis (other axes keep theirs). */
function targetDims<D extends Dim>(
  dims: readonly D[],
  shape: readonly number[],
  axesAttr: readonly number[] | undefined,
): (D | number)[] {
  const axes = axesAttr ? uniqueAxes(axesAttr, dims.length) : [...dims.keys()];
  check(shape.length === axes.length, () => `shape has ${shape.length} values for ${axes.length} axes`);
  const out: (D | number)[] = [...dims];
  axes.forEach((a, i) => {
    out[a] = shape[i];
  });
  return out;
}

/** Crops or zero-pads each axis around its centre; an odd difference puts the extra element at the end. */
export const CenterCropPad: OpDef = {
  type: 'CenterCropPad',
  infer(ctx) {
    const x = ctx.inputs[0];
    const shape = ctx.inputs[1]?.value;
    if (!x?.dims) return [{ type: x?.type }];
    if (!shape) return [{ type: x.type, dims: x.dims.map((): Dim => null) }];
    const axes = ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined;
    return [{ type: x.type, dims: targetDims(x.dims, asInts(shape), axes) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const axes = ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined;
    const target = targetDims(x.dims, asInts(input(ctx, 1)), axes);
    check(
      target.every((d) => d >= 0),
      () => `shape [${target}] has negative dimensions`,
    );
    const begins = target.map((t, a) => Math.trunc((t - x.dims[a]) / 2));
    const ends = target.map((t, a) => t - x.dims[a] - begins[a]);
    return [padTensor(x, begins, ends, 'constant')];
  },
};
