import { asFloat32, asNumbers } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Box corners (y1, x1, y2, x2 with y1 <= y2, x1 <= x2) from either box encoding. */
function corners(b: Float32Array, i: number, centerPoint: boolean): [number, number, number, number] {
  const o = i * 4;
  if (centerPoint) {
    const [xc, yc, w, h] = [b[o], b[o + 1], b[o + 2], b[o + 3]];
    return [yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2];
  }
  return [
    Math.min(b[o], b[o + 2]),
    Math.min(b[o + 1], b[o + 3]),
    Math.max(b[o], b[o + 2]),
    Math.max(b[o + 1], b[o + 3]),
  ];
}

/** Whether two boxes overlap by more than `threshold` (intersection over union); degenerate boxes never do. */
function overlaps(a: readonly number[], b: readonly number[], threshold: number): boolean {
  const ih = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const iw = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (ih <= 0 || iw <= 0) return false;
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return false;
  const inter = ih * iw;
  return inter / (areaA + areaB - inter) > threshold;
}

/**
 * NonMaxSuppression: per batch and class, greedily keeps the highest-scoring boxes (score above
 * score_threshold, ties by lower index) that overlap no kept box by more than iou_threshold, up to
 * max_output_boxes_per_class (0 or absent: none). Output rows are [batch, class, box], int64.
 */
export const NonMaxSuppression: OpDef = {
  type: 'NonMaxSuppression',
  infer: () => [{ type: 'int64', dims: [null, 3] }],
  run(ctx) {
    const boxes = input(ctx, 0);
    const scores = input(ctx, 1);
    check(
      boxes.dims.length === 3 && boxes.dims[2] === 4,
      () => `boxes must be [batch, boxes, 4], got [${boxes.dims}]`,
    );
    const [batches, n] = boxes.dims;
    check(
      scores.dims.length === 3 && scores.dims[0] === batches && scores.dims[2] === n,
      () => `scores must be [${batches}, classes, ${n}], got [${scores.dims}]`,
    );
    const classes = scores.dims[1];
    const scalar = (i: number) =>
      ctx.inputs[i] && ctx.inputs[i].size > 0 ? asNumbers(ctx.inputs[i])[0] : undefined;
    const maxPerClass = scalar(2) ?? 0;
    const iouThreshold = scalar(3) ?? 0;
    const scoreThreshold = scalar(4);
    check(
      iouThreshold >= 0 && iouThreshold <= 1,
      () => `iou_threshold must be in [0, 1], got ${iouThreshold}`,
    );
    const centerPoint = ctx.attrs.int('center_point_box', 0) === 1;
    const b = asFloat32(boxes);
    const s = asFloat32(scores);
    const selected: number[] = [];
    for (let bi = 0; bi < batches; bi++) {
      const boxCorners = Array.from({ length: n }, (_, i) => corners(b, bi * n + i, centerPoint));
      for (let c = 0; c < classes; c++) {
        const base = (bi * classes + c) * n;
        const candidates: number[] = [];
        for (let i = 0; i < n; i++)
          if (scoreThreshold === undefined || s[base + i] > scoreThreshold) candidates.push(i);
        // Stable sort: equal scores keep the lower box index first.
        candidates.sort((p, q) => s[base + q] - s[base + p]);
        const kept: number[] = [];
        for (const i of candidates) {
          if (kept.length >= maxPerClass) break;
          if (kept.every((k) => !overlaps(boxCorners[k], boxCorners[i], iouThreshold))) kept.push(i);
        }
        for (const i of kept) selected.push(bi, c, i);
      }
    }
    return [new Tensor('int64', BigInt64Array.from(selected, BigInt), [selected.length / 3, 3])];
  },
};
