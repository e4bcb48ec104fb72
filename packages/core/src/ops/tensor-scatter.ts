import { normalizeAxis, shapeSize } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { copyElements, elementsOf, indexValues, tensorOf } from './support/tensor-data.js';

/**
 * TensorScatter (opset 24, KV-cache update): for each batch b, update[b] is written along `axis` of
 * past_cache[b] starting at write_indices[b] (0 when omitted); mode 'circular' wraps around the axis.
 */
export const TensorScatter: OpDef = {
  type: 'TensorScatter',
  infer: sameAsInput,
  run(ctx) {
    const past = input(ctx, 0);
    const update = input(ctx, 1);
    const rank = past.dims.length;
    check(
      update.type === past.type,
      () => `update type ${update.type} differs from past_cache type ${past.type}`,
    );
    const axis = normalizeAxis(ctx.attrs.int('axis', -2), rank);
    check(axis > 0, 'axis cannot be the batch axis 0');
    check(
      update.dims.length === rank &&
        update.dims.every((d, i) => (i === axis ? d <= past.dims[i] : d === past.dims[i])),
      () => `update shape [${update.dims}] does not fit past_cache shape [${past.dims}] along axis ${axis}`,
    );
    const mode = ctx.attrs.string('mode', 'linear');
    check(mode === 'linear' || mode === 'circular', () => `unknown mode '${mode}'`);
    const batch = past.dims[0];
    const wi = ctx.inputs[2] ? indexValues(ctx.inputs[2], 'write_indices') : new Array<number>(batch).fill(0);
    check(wi.length === batch, () => `write_indices has ${wi.length} values for batch ${batch}`);
    const maxLen = past.dims[axis];
    const len = update.dims[axis];
    const inner = shapeSize(past.dims.slice(axis + 1));
    const mid = shapeSize(past.dims.slice(1, axis));
    const out = copyElements(past);
    const u = elementsOf(update);
    for (let b = 0; b < batch; b++) {
      for (let m = 0; m < mid; m++) {
        const row = b * mid + m;
        for (let s = 0; s < len; s++) {
          let at = wi[b] + s;
          if (mode === 'circular') at %= maxLen;
          check(
            at >= 0 && at < maxLen,
            () => `write index ${at} is out of range for a sequence of ${maxLen}`,
          );
          const dst = (row * maxLen + at) * inner;
          const src = (row * len + s) * inner;
          for (let j = 0; j < inner; j++) out[dst + j] = u[src + j];
        }
      }
    }
    return [tensorOf(past.type, out, past.dims, past.quant)];
  },
};
