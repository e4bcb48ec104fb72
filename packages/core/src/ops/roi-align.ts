import type { Dim } from '../graph/graph.js';
import { asInts, asNumbers, encodeNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/**
 * RoiAlign (opset 10, 16): for each region of interest, an output_height x output_width grid of
 * bins; each bin averages (or maxes) bilinear samples at sampling_ratio^2 points (adaptive when 0).
 * Opset 16 added coordinate_transformation_mode (default half_pixel); opset 10 behaves as
 * output_half_pixel. Max mode takes the largest weighted corner, as onnxruntime does.
 */
export const RoiAlign: OpDef = {
  type: 'RoiAlign',
  infer(ctx) {
    const x = ctx.inputs[0];
    const rois = ctx.inputs[1]?.dims?.[0] ?? ctx.inputs[2]?.dims?.[0] ?? null;
    const dims: Dim[] = [
      rois,
      x?.dims?.[1] ?? null,
      ctx.attrs.int('output_height', 1),
      ctx.attrs.int('output_width', 1),
    ];
    return [{ type: x?.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const rois = input(ctx, 1);
    const batchIndices = asInts(input(ctx, 2));
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    check(x.dims.length === 4, () => `X must be [N, C, H, W], got ${formatShape(x.dims)}`);
    const r = batchIndices.length;
    check(
      rois.dims.length === 2 && rois.dims[0] === r && rois.dims[1] === 4,
      () => `rois must be [${r}, 4], got ${formatShape(rois.dims)}`,
    );
    const [n, c, height, width] = x.dims;
    const ph = ctx.attrs.int('output_height', 1);
    const pw = ctx.attrs.int('output_width', 1);
    const ratio = ctx.attrs.int('sampling_ratio', 0);
    const scale = ctx.attrs.float('spatial_scale', 1);
    const isMax = ctx.attrs.string('mode', 'avg') === 'max';
    const ctm = ctx.attrs.string(
      'coordinate_transformation_mode',
      ctx.opset < 16 ? 'output_half_pixel' : 'half_pixel',
    );
    check(
      ctm === 'half_pixel' || ctm === 'output_half_pixel',
      () => `unknown coordinate_transformation_mode '${ctm}'`,
    );
    const halfPixel = ctm === 'half_pixel';
    const xv = asNumbers(x);
    const rv = asNumbers(rois);
    const out = new Float64Array(r * c * ph * pw);
    for (let roi = 0; roi < r; roi++) {
      const b = batchIndices[roi];
      check(b >= 0 && b < n, () => `batch index ${b} is outside [0, ${n})`);
      const offset = halfPixel ? 0.5 : 0;
      const startW = rv[roi * 4] * scale - offset;
      const startH = rv[roi * 4 + 1] * scale - offset;
      let roiW = rv[roi * 4 + 2] * scale - offset - startW;
      let roiH = rv[roi * 4 + 3] * scale - offset - startH;
      if (!halfPixel) {
        // Malformed regions are forced to 1x1.
        roiW = Math.max(roiW, 1);
        roiH = Math.max(roiH, 1);
      }
      const binH = roiH / ph;
      const binW = roiW / pw;
      const gridH = ratio > 0 ? ratio : Math.ceil(roiH / ph);
      const gridW = ratio > 0 ? ratio : Math.ceil(roiW / pw);
      const count = Math.max(gridH * gridW, 1);
      // Sample positions and weights shared by every channel: 4 corners per sample.
      const samples = ph * pw * gridH * gridW;
      const pos = new Int32Array(samples * 4);
      const wt = new Float64Array(samples * 4);
      let s = 0;
      for (let py = 0; py < ph; py++) {
        for (let px = 0; px < pw; px++) {
          for (let iy = 0; iy < gridH; iy++) {
            const y = startH + py * binH + ((iy + 0.5) * binH) / gridH;
            for (let ix = 0; ix < gridW; ix++, s++) {
              let xx = startW + px * binW + ((ix + 0.5) * binW) / gridW;
              if (y < -1 || y > height || xx < -1 || xx > width) continue;
              let yy = Math.max(y, 0);
              xx = Math.max(xx, 0);
              let y0 = Math.trunc(yy);
              let x0 = Math.trunc(xx);
              let y1 = y0 + 1;
              let x1 = x0 + 1;
              if (y0 >= height - 1) {
                y0 = y1 = height - 1;
                yy = y0;
              }
              if (x0 >= width - 1) {
                x0 = x1 = width - 1;
                xx = x0;
              }
              const ly = yy - y0;
              const lx = xx - x0;
              const j = s * 4;
              pos[j] = y0 * width + x0;
              pos[j + 1] = y0 * width + x1;
              pos[j + 2] = y1 * width + x0;
              pos[j + 3] = y1 * width + x1;
              wt[j] = (1 - ly) * (1 - lx);
              wt[j + 1] = (1 - ly) * lx;
              wt[j + 2] = ly * (1 - lx);
              wt[j + 3] = ly * lx;
            }
          }
        }
      }
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * height * width;
        const outBase = (roi * c + ch) * ph * pw;
        const per = gridH * gridW;
        for (let bin = 0; bin < ph * pw; bin++) {
          let acc = isMax ? Number.NEGATIVE_INFINITY : 0;
          for (let q = bin * per; q < (bin + 1) * per; q++) {
            const j = q * 4;
            if (isMax) {
              for (let corner = 0; corner < 4; corner++)
                acc = Math.max(acc, wt[j + corner] * xv[base + pos[j + corner]]);
            } else {
              for (let corner = 0; corner < 4; corner++) acc += wt[j + corner] * xv[base + pos[j + corner]];
            }
          }
          out[outBase + bin] = isMax ? (per > 0 ? acc : 0) : acc / count;
        }
      }
    }
    return [new Tensor(x.type, encodeNumbers(x.type, out) as never, [r, c, ph, pw])];
  },
};
