/** Node-side helpers for the tests: decode the test pictures and run YOLOv8n with the demo's pipeline. */
import { readFile } from 'node:fs/promises';
import { InferenceSession } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import jpeg from 'jpeg-js';
import { type DetectionResult, detect } from '../src/pipeline.js';
import { type Box, type Detection, iou, type RgbaImage } from '../src/yolo.js';

export const TEST_IMAGES = ['test_object_detection_0.jpg', 'test_object_detection_1.jpg'] as const;

export async function decodeJpeg(path: string): Promise<RgbaImage> {
  const img = jpeg.decode(await readFile(path), { useTArray: true, formatAsRGBA: true });
  return { width: img.width, height: img.height, data: img.data };
}

/** A session on the shared YOLOv8n folder (reference backend, default provider). */
export function yoloSession(): Promise<InferenceSession> {
  return InferenceSession.create(testdata('yolov8n-onnxstream'), { backend: 'reference' });
}

/** Detections for a test picture, computed in Node exactly as the demo's worker does. */
export async function detectInNode(session: InferenceSession, image: string): Promise<DetectionResult> {
  return detect(session, await decodeJpeg(testdata('images', image)));
}

export interface Mismatch {
  readonly detection: Detection;
  readonly side: 'expected' | 'actual';
  readonly reason: string;
}

/**
 * Pairs detections of the same class whose boxes agree (IoU at least `minIou`). Confident
 * detections (score above `margin`) without a partner are mismatches; weaker ones may appear on one
 * side only, as pixels decoded by two JPEG decoders differ slightly.
 */
export function compareDetections(
  expected: readonly Detection[],
  actual: readonly Detection[],
  { minIou = 0.85, margin = 0.35 } = {},
): Mismatch[] {
  const used = new Set<number>();
  const out: Mismatch[] = [];
  for (const e of expected) {
    let best = -1;
    let bestIou = 0;
    actual.forEach((a, i) => {
      if (used.has(i) || a.classId !== e.classId) return;
      const v = iou(a.box, e.box);
      if (v > bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0 && bestIou >= minIou) used.add(best);
    else if (e.score > margin) {
      out.push({
        detection: e,
        side: 'expected',
        reason: `no ${e.label} box in the other set (best IoU ${bestIou.toFixed(2)})`,
      });
    }
  }
  actual.forEach((a, i) => {
    if (!used.has(i) && a.score > margin) {
      out.push({ detection: a, side: 'actual', reason: `an extra ${a.label} box` });
    }
  });
  return out;
}

export function formatBox(b: Box): string {
  return `(${b.x1.toFixed(1)}, ${b.y1.toFixed(1)})-(${b.x2.toFixed(1)}, ${b.y2.toFixed(1)})`;
}
