import type { Dim } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';

/** Resolves a Reshape target: 0 copies the input dim (unless allowzero), one -1 is inferred. */
function reshapeDims(inDims: readonly Dim[], target: readonly number[], allowZero: boolean): Dim[] {
  const out: Dim[] = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      check(
        i < inDims.length,
        () => `shape ${formatShape(target)}: 0 at axis ${i} copies a dimension the input lacks`,
      );
      return inDims[i];
    }
    return d;
  });
  const minus = out.filter((d) => d === -1).length;
  check(minus <= 1, () => `shape ${formatShape(target)} has more than one -1`);
  check(
    out.every((d) => d === null || typeof d === 'string' || d >= -1),
    () => `invalid shape ${formatShape(target)}`,
  );
  if (minus === 1) {
    const known = inDims.every((d) => typeof d === 'number');
    const rest = out.filter((d) => d !== -1);
    if (known && rest.every((d) => typeof d === 'number')) {
      const total = shapeSize(inDims as number[]);
      const part = shapeSize(rest as number[]);
      check(
        part !== 0 && total % part === 0,
        () => `cannot reshape ${formatShape(inDims)} to ${formatShape(target)}`,
      );
      out[out.indexOf(-1)] = total / part;
    } else out[out.indexOf(-1)] = null;
  }
  return out;
}

export const Reshape: OpDef = {
  type: 'Reshape',
  infer(ctx) {
    const x = ctx.inputs[0];
    const shape = ctx.inputs[1];
    const target = shape?.value
      ? asInts(shape.value)
      : ctx.attrs.has('shape')
        ? [...ctx.attrs.ints('shape')]
        : undefined;
    if (!target)
      return [
        {
          type: x?.type,
          dims:
            shape?.dims && typeof shape.dims[0] === 'number'
              ? new Array(shape.dims[0]).fill(null)
              : undefined,
        },
      ];
    if (!x?.dims) return [{ type: x?.type, dims: target.some((d) => d <= 0) ? undefined : target }];
    return [{ type: x.type, dims: reshapeDims(x.dims, target, ctx.attrs.int('allowzero', 0) === 1) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const target = ctx.inputs[1] ? asInts(ctx.inputs[1]) : [...ctx.attrs.ints('shape')];
    const dims = reshapeDims(x.dims, target, ctx.attrs.int('allowzero', 0) === 1) as number[];
    check(
      shapeSize(dims) === x.size,
      () => `cannot reshape ${formatShape(x.dims)} to ${formatShape(target)}`,
    );
    return [x.reshape(dims)];
  },
};
