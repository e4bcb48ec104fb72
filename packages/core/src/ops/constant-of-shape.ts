import { asInts } from '../tensor/convert.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { allocElements, elementsOf, tensorOf } from './support/tensor-data.js';

/** The fill value: a one-element tensor attribute, float32 0 by default (model.txt text values are float32 too). */
function fillValue(attrs: Attributes): Tensor | undefined {
  const v = attrs.tensor('value');
  check(!v || v.size === 1, () => `value must have exactly one element, has ${v?.size}`);
  return v;
}

export const ConstantOfShape: OpDef = {
  type: 'ConstantOfShape',
  infer(ctx) {
    const type = fillValue(ctx.attrs)?.type ?? 'float32';
    const shape = ctx.inputs[0];
    if (shape?.value) return [{ type, dims: asInts(shape.value) }];
    const n = shape?.dims?.[0];
    return [{ type, dims: typeof n === 'number' ? new Array(n).fill(null) : undefined }];
  },
  run(ctx) {
    const dims = asInts(input(ctx, 0));
    check(
      dims.every((d) => d >= 0),
      () => `shape [${dims}] has negative dimensions`,
    );
    const v = fillValue(ctx.attrs);
    const type = v?.type ?? 'float32';
    const n = dims.reduce((a, b) => a * b, 1);
    const out = allocElements(type, n);
    if (v) {
      const x = elementsOf(v)[0];
      for (let i = 0; i < n; i++) out[i] = x;
    }
    return [tensorOf(type, out, dims)];
  },
};
