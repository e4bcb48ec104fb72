/**
 * YOLOv8n pre- and post-processing as pure functions (no DOM, no engine), shared by the browser
 * worker and the Node tests.
 *
 * Preprocessing follows OnnxStream's web demo: the picture is scaled so its longer side fills the
 * 640-pixel square input, aspect ratio kept, placed at the top-left corner; the rest stays black
 * (0). Channels are RGB, planar (NCHW), divided by 255.
 *
 * `output0` is [1, 84, 8400]: per anchor, rows 0-3 hold the box centre and size (cx, cy, w, h) in
 * input pixels and rows 4-83 the 80 class scores (already sigmoid). Each anchor's class is the
 * argmax of its scores; boxes then go through class-agnostic non-maximum suppression with the
 * semantics of TF.js `nonMaxSuppression` (score strictly above the threshold, IoU strictly above
 * the threshold suppresses, at most `maxDetections`).
 */
import { COCO_CLASSES } from './coco.js';

export const INPUT_SIZE = 640;

/** Pixels as canvas ImageData holds them: RGBA, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** How the picture was placed in the square input. */
export interface Placement {
  /** Input pixels per picture pixel. */
  readonly scale: number;
  /** Size of the scaled picture inside the input (the rest is padding). */
  readonly width: number;
  readonly height: number;
  /** The original picture size. */
  readonly imageWidth: number;
  readonly imageHeight: number;
}

/** A box as corners (x1, y1) top-left and (x2, y2) bottom-right. */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface Detection {
  readonly classId: number;
  readonly label: string;
  readonly score: number;
  /** In picture pixels. */
  readonly box: Box;
}

export interface DetectOptions {
  /** Keep boxes whose best class score is above this (default 0.2, as OnnxStream's demo). */
  readonly scoreThreshold?: number;
  /** Suppress boxes overlapping a better one with IoU above this (default 0.45). */
  readonly iouThreshold?: number;
  /** At most this many detections (default 500). */
  readonly maxDetections?: number;
}

/**
 * The picture as the model's `images` input: float32 [1, 3, size, size], RGB planes in 0..1, the
 * picture scaled to fit (longer side = size) at the top-left, black elsewhere. Downscaling averages
 * the covered source pixels (area resampling); upscaling interpolates bilinearly.
 */
export function letterbox(image: RgbaImage, size = INPUT_SIZE): { data: Float32Array; placement: Placement } {
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || data.length < width * height * 4) {
    throw new RangeError(`invalid image: ${width}x${height} with ${data.length} bytes`);
  }
  const scale = size / Math.max(width, height);
  const w = Math.min(size, Math.max(1, Math.round(width * scale)));
  const h = Math.min(size, Math.max(1, Math.round(height * scale)));
  const xs = resampleWeights(width, w);
  const ys = resampleWeights(height, h);
  // Horizontal pass: height rows of w pixels, 3 channels.
  const rows = new Float32Array(height * w * 3);
  for (let y = 0; y < height; y++) {
    const src = y * width * 4;
    for (let x = 0; x < w; x++) {
      const { first, weights } = xs[x];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const p = src + (first + k) * 4;
        const wt = weights[k];
        r += data[p] * wt;
        g += data[p + 1] * wt;
        b += data[p + 2] * wt;
      }
      const o = (y * w + x) * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  // Vertical pass into the planes.
  const out = new Float32Array(3 * size * size);
  const plane = size * size;
  for (let y = 0; y < h; y++) {
    const { first, weights } = ys[y];
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const o = ((first + k) * w + x) * 3;
        const wt = weights[k];
        r += rows[o] * wt;
        g += rows[o + 1] * wt;
        b += rows[o + 2] * wt;
      }
      const i = y * size + x;
      out[i] = clamp255(r) / 255;
      out[plane + i] = clamp255(g) / 255;
      out[2 * plane + i] = clamp255(b) / 255;
    }
  }
  return { data: out, placement: { scale, width: w, height: h, imageWidth: width, imageHeight: height } };
}

function clamp255(v: number): number {
  return Math.min(255, Math.max(0, v));
}

/** Per output pixel, the source pixels it reads and their weights (summing to 1). */
function resampleWeights(from: number, to: number): { first: number; weights: number[] }[] {
  const out: { first: number; weights: number[] }[] = [];
  const ratio = from / to;
  for (let i = 0; i < to; i++) {
    if (ratio >= 1) {
      // Area: the source interval [i*ratio, (i+1)*ratio) with partial pixels at its ends.
      const start = i * ratio;
      const end = Math.min(from, (i + 1) * ratio);
      const first = Math.floor(start);
      const weights: number[] = [];
      for (let s = first; s < end; s++)
        weights.push((Math.min(s + 1, end) - Math.max(s, start)) / (end - start));
      out.push({ first, weights });
    } else {
      // Bilinear with pixel centres aligned (half-pixel offset), clamped at the edges.
      const c = Math.min(from - 1, Math.max(0, (i + 0.5) * ratio - 0.5));
      const first = Math.min(from - 1, Math.floor(c));
      const t = c - first;
      out.push(first + 1 < from ? { first, weights: [1 - t, t] } : { first, weights: [1] });
    }
  }
  return out;
}

/** A candidate box in input pixels with its best class. */
export interface Candidate {
  readonly box: Box;
  readonly classId: number;
  readonly score: number;
}

/**
 * Every anchor of `output0` (dims [1, 4 + classes, anchors]) whose best class score is above
 * `scoreThreshold`, its box turned from centre/size into corners.
 */
export function decodeOutput(
  output: Float32Array,
  dims: readonly number[],
  scoreThreshold: number,
): Candidate[] {
  const [batch, rows, anchors] = dims;
  if (batch !== 1 || dims.length !== 3 || rows < 5 || output.length !== rows * anchors) {
    throw new RangeError(`expected output0 of shape [1, 4 + classes, anchors], got [${dims.join(', ')}]`);
  }
  const out: Candidate[] = [];
  for (let a = 0; a < anchors; a++) {
    let best = -1;
    let score = Number.NEGATIVE_INFINITY;
    for (let c = 4; c < rows; c++) {
      const s = output[c * anchors + a];
      if (s > score) {
        score = s;
        best = c - 4;
      }
    }
    if (!(score > scoreThreshold)) continue;
    const cx = output[a];
    const cy = output[anchors + a];
    const w = output[2 * anchors + a];
    const h = output[3 * anchors + a];
    out.push({
      box: { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 },
      classId: best,
      score,
    });
  }
  return out;
}

/** Intersection over union; 0 when either box has no area. */
export function iou(a: Box, b: Box): number {
  const ax1 = Math.min(a.x1, a.x2);
  const ax2 = Math.max(a.x1, a.x2);
  const ay1 = Math.min(a.y1, a.y2);
  const ay2 = Math.max(a.y1, a.y2);
  const bx1 = Math.min(b.x1, b.x2);
  const bx2 = Math.max(b.x1, b.x2);
  const by1 = Math.min(b.y1, b.y2);
  const by2 = Math.max(b.y1, b.y2);
  const areaA = (ax2 - ax1) * (ay2 - ay1);
  const areaB = (bx2 - bx1) * (by2 - by1);
  if (areaA <= 0 || areaB <= 0) return 0;
  const iw = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1));
  const ih = Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const inter = iw * ih;
  return inter / (areaA + areaB - inter);
}

/**
 * Greedy non-maximum suppression over all boxes together: indices of the kept boxes, best score
 * first. Boxes at or below `scoreThreshold` are dropped; a box whose IoU with a kept one is above
 * `iouThreshold` is suppressed. Equal scores keep the earlier box first.
 */
export function nonMaxSuppression(
  boxes: readonly Box[],
  scores: readonly number[],
  maxOutput: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const order = scores
    .map((s, i) => ({ s, i }))
    .filter((c) => c.s > scoreThreshold)
    .sort((a, b) => b.s - a.s || a.i - b.i);
  const kept: number[] = [];
  for (const { i } of order) {
    if (kept.length >= maxOutput) break;
    if (kept.every((k) => iou(boxes[k], boxes[i]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}

/** A box in input pixels back in picture pixels, clipped to the picture. */
export function toImageBox(box: Box, p: Placement): Box {
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  return {
    x1: clip(box.x1 / p.scale, p.imageWidth),
    y1: clip(box.y1 / p.scale, p.imageHeight),
    x2: clip(box.x2 / p.scale, p.imageWidth),
    y2: clip(box.y2 / p.scale, p.imageHeight),
  };
}

/** Detections in picture pixels from `output0`, best first. */
export function detectionsFromOutput(
  output: Float32Array,
  dims: readonly number[],
  placement: Placement,
  options: DetectOptions = {},
): Detection[] {
  const scoreThreshold = options.scoreThreshold ?? 0.2;
  const candidates = decodeOutput(output, dims, scoreThreshold);
  const kept = nonMaxSuppression(
    candidates.map((c) => c.box),
    candidates.map((c) => c.score),
    options.maxDetections ?? 500,
    options.iouThreshold ?? 0.45,
    scoreThreshold,
  );
  return kept.map((i) => {
    const c = candidates[i];
    return {
      classId: c.classId,
      label: COCO_CLASSES[c.classId] ?? `class ${c.classId}`,
      score: c.score,
      box: toImageBox(c.box, placement),
    };
  });
}
