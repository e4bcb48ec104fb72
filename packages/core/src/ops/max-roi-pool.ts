import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/**
 * MaxRoiPool: rois [R, 5] rows (batch, x1, y1, x2, y2) in input coordinates times spatial_scale,
 * rounded; each region is split into pooled_shape bins and each bin takes its maximum (0 if empty).
 */
export const MaxRoiPool: OpDef = {
  type: 'MaxRoiPool',
  infer(ctx) {
    const [ph, pw] = ctx.attrs.ints('pooled_shape');
    const dims: Dim[] = [ctx.inputs[1]?.dims?.[0] ?? null, ctx.inputs[0]?.dims?.[1] ?? null, ph, pw];
    return [{ type: ctx.inputs[0]?.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const rois = input(ctx, 1);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    check(x.dims.length === 4, () => `X must be [N, C, H, W], got ${formatShape(x.dims)}`);
    check(
      rois.dims.length === 2 && rois.dims[1] === 5,
      () => `rois must be [R, 5], got ${formatShape(rois.dims)}`,
    );
    const pooled = ctx.attrs.ints('pooled_shape');
    check(pooled.length === 2, 'pooled_shape must have 2 values');
    const [ph, pw] = pooled;
    const scale = ctx.attrs.float('spatial_scale', 1);
    const [n, c, height, width] = x.dims;
    const r = rois.dims[0];
    const xv = asNumbers(x);
    const rv = asNumbers(rois);
    const out = new Float64Array(r * c * ph * pw);
    for (let roi = 0; roi < r; roi++) {
      const b = rv[roi * 5];
      check(Number.isInteger(b) && b >= 0 && b < n, () => `batch index ${b} is outside [0, ${n})`);
      const x1 = Math.round(rv[roi * 5 + 1] * scale);
      const y1 = Math.round(rv[roi * 5 + 2] * scale);
      const x2 = Math.round(rv[roi * 5 + 3] * scale);
      const y2 = Math.round(rv[roi * 5 + 4] * scale);
      const binH = Math.max(y2 - y1 + 1, 1) / ph;
      const binW = Math.max(x2 - x1 + 1, 1) / pw;
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * height * width;
        for (let py = 0; py < ph; py++) {
          const hs = Math.min(Math.max(Math.floor(py * binH) + y1, 0), height);
          const he = Math.min(Math.max(Math.ceil((py + 1) * binH) + y1, 0), height);
          for (let px = 0; px < pw; px++) {
            const ws = Math.min(Math.max(Math.floor(px * binW) + x1, 0), width);
            const we = Math.min(Math.max(Math.ceil((px + 1) * binW) + x1, 0), width);
            let max = Number.NEGATIVE_INFINITY;
            for (let yy = hs; yy < he; yy++)
              for (let xx = ws; xx < we; xx++) max = Math.max(max, xv[base + yy * width + xx]);
            out[((roi * c + ch) * ph + py) * pw + px] = he <= hs || we <= ws ? 0 : max;
          }
        }
      }
    }
    return [new Tensor(x.type, encodeNumbers(x.type, out) as never, [r, c, ph, pw])];
  },
};
