import { type InferenceSession, Tensor } from '@onnxstream/core';
import { readFloat32, testdata } from '@onnxstream/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Box,
  decodeOutput,
  detectionsFromOutput,
  iou,
  letterbox,
  nonMaxSuppression,
  type Placement,
  toImageBox,
} from '../src/yolo.js';
import { compareDetections, detectInNode, TEST_IMAGES, yoloSession } from './node-detect.js';

/** An RGBA picture whose pixel (x, y) is f(x, y) = [r, g, b]. */
function picture(width: number, height: number, f: (x: number, y: number) => number[]) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set([...f(x, y), 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

const box = (x1: number, y1: number, x2: number, y2: number): Box => ({ x1, y1, x2, y2 });

describe('letterbox', () => {
  it('scales the longer side to the input, keeps the aspect ratio, pads at the bottom-right with 0', () => {
    const { data, placement } = letterbox(
      picture(40, 20, () => [255, 51, 0]),
      8,
    );
    expect(placement).toEqual({ scale: 0.2, width: 8, height: 4, imageWidth: 40, imageHeight: 20 });
    const plane = 64;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const i = y * 8 + x;
        const inside = y < 4;
        expect(data[i]).toBeCloseTo(inside ? 1 : 0, 6);
        expect(data[plane + i]).toBeCloseTo(inside ? 0.2 : 0, 6);
        expect(data[2 * plane + i]).toBe(0);
      }
    }
  });

  it('averages the covered pixels when downscaling (area resampling)', () => {
    // 4x4 blocks of a checkerboard of 0 and 255 pixels average to 127.5.
    const { data } = letterbox(
      picture(16, 8, (x, y) => [(x + y) % 2 ? 255 : 0, x < 8 ? 0 : 255, 0]),
      4,
    );
    expect(Array.from(data.subarray(0, 8))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(data.subarray(16, 24))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(data.subarray(8, 16))).toEqual(new Array(8).fill(0));
  });

  it('interpolates when upscaling and puts a tall picture on the left', () => {
    const { data, placement } = letterbox(
      picture(1, 2, (_x, y) => [y * 255, 0, 0]),
      4,
    );
    expect(placement).toMatchObject({ scale: 2, width: 2, height: 4 });
    // Rows: 0, 0.25, 0.75, 1 (pixel centres aligned, clamped at the edges); columns 2-3 padding.
    const rows = [0, 1, 2, 3].map((y) => Array.from(data.subarray(y * 4, y * 4 + 4)));
    expect(rows).toEqual([
      [0, 0, 0, 0],
      [0.25, 0.25, 0, 0],
      [0.75, 0.75, 0, 0],
      [1, 1, 0, 0],
    ]);
  });

  it('rejects a malformed picture', () => {
    expect(() => letterbox({ width: 2, height: 2, data: new Uint8Array(4) })).toThrow(/invalid image/);
  });
});

describe('decoding and NMS', () => {
  it('decodes centre/size boxes and the best class of each anchor above the threshold', () => {
    // 2 classes, 3 anchors: rows cx, cy, w, h, class0, class1.
    const out = Float32Array.from([
      ...[100, 200, 300],
      ...[50, 60, 70],
      ...[20, 40, 60],
      ...[10, 20, 30],
      ...[0.9, 0.1, 0.3],
      ...[0.2, 0.3, 0.3],
    ]);
    const c = decodeOutput(out, [1, 6, 3], 0.25);
    expect(c.map((x) => [x.classId, x.score])).toEqual([
      [0, expect.closeTo(0.9, 6)],
      [1, expect.closeTo(0.3, 6)],
      [0, expect.closeTo(0.3, 6)],
    ]);
    expect(c[0].box).toEqual(box(90, 45, 110, 55));
    // The threshold is exclusive.
    expect(decodeOutput(out, [1, 6, 3], 0.9).length).toBe(0);
    expect(() => decodeOutput(out, [1, 84, 3], 0.2)).toThrow(/expected output0 of shape/);
  });

  it('computes IoU, 0 for empty boxes', () => {
    expect(iou(box(0, 0, 10, 10), box(5, 0, 15, 10))).toBeCloseTo(1 / 3, 10);
    expect(iou(box(10, 10, 0, 0), box(0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 0, 10), box(0, 0, 10, 10))).toBe(0);
  });

  it('suppresses overlaps above the IoU threshold across classes, best first', () => {
    const boxes = [box(0, 0, 10, 10), box(1, 0, 11, 10), box(5, 0, 15, 10), box(50, 50, 60, 60)];
    const scores = [0.8, 0.9, 0.7, 0.2];
    // IoU(1, 0) = 0.82 -> 0 suppressed; IoU(1, 2) = 6/14 = 0.43 <= 0.45 -> 2 kept; 3 is at the threshold.
    expect(nonMaxSuppression(boxes, scores, 500, 0.45, 0.2)).toEqual([1, 2]);
    expect(nonMaxSuppression(boxes, scores, 500, 0.45, 0.1)).toEqual([1, 2, 3]);
    expect(nonMaxSuppression(boxes, scores, 1, 0.45, 0.1)).toEqual([1]);
    // An IoU equal to the threshold does not suppress.
    expect(nonMaxSuppression([box(0, 0, 10, 10), box(5, 0, 15, 10)], [0.5, 0.5], 9, 1 / 3, 0)).toEqual([
      0, 1,
    ]);
  });

  it('maps boxes back to the picture and clips them', () => {
    const p: Placement = { scale: 0.5, width: 320, height: 160, imageWidth: 640, imageHeight: 320 };
    expect(toImageBox(box(-10, 10, 100, 200), p)).toEqual(box(0, 20, 200, 320));
  });
});

describe('YOLOv8n detections in Node', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await yoloSession();
  });
  afterAll(() => session?.release());

  it("decode OnnxStream's own output0 and the engine's alike (synthetic input)", {
    timeout: 300_000,
  }, async () => {
    const input = await readFloat32(testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32'));
    const native = await readFloat32(
      testdata('yolov8n-onnxstream-reference', 'synthetic_output0_onnxstream_fp32.f32'),
    );
    const { output0 } = await session.run({ images: new Tensor('float32', input, [1, 3, 640, 640]) });
    const p: Placement = { scale: 1, width: 640, height: 640, imageWidth: 640, imageHeight: 640 };
    const options = { scoreThreshold: 0.01 };
    const ours = detectionsFromOutput(output0.data as Float32Array, output0.dims, p, options);
    const theirs = detectionsFromOutput(native, [1, 84, 8400], p, options);
    expect(theirs.length).toBeGreaterThan(0);
    expect(ours.map((d) => d.classId)).toEqual(theirs.map((d) => d.classId));
    ours.forEach((d, i) => {
      expect(d.score).toBeCloseTo(theirs[i].score, 3);
      for (const k of ['x1', 'y1', 'x2', 'y2'] as const)
        expect(Math.abs(d.box[k] - theirs[i].box[k])).toBeLessThan(0.05);
    });
  });

  it.each([
    [TEST_IMAGES[0], ['person', 'dog', 'car']],
    [TEST_IMAGES[1], ['person', 'bicycle']],
  ])('finds the objects of %s', { timeout: 300_000 }, async (image, labels) => {
    const { detections } = await detectInNode(session, image);
    const found = new Set(detections.filter((d) => d.score > 0.5).map((d) => d.label));
    for (const label of labels) expect(found, `${label} in ${[...found].join(', ')}`).toContain(label);
    for (const d of detections) {
      expect(d.box.x2).toBeGreaterThan(d.box.x1);
      expect(d.box.y2).toBeGreaterThan(d.box.y1);
    }
    // Deterministic: the same picture gives the same detections.
    expect(compareDetections(detections, detections)).toEqual([]);
  });
});
