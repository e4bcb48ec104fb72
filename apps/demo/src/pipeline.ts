/**
 * One YOLOv8n detection with the engine: preprocessing, the run, decoding and NMS. Used by the
 * browser worker and by the Node tests, so both apply exactly the same code.
 */
import { type InferenceSession, type RunOptions, Tensor } from '@onnxstream/core';
import {
  type Detection,
  type DetectOptions,
  detectionsFromOutput,
  INPUT_SIZE,
  letterbox,
  type RgbaImage,
} from './yolo.js';

export interface DetectionResult {
  readonly detections: Detection[];
  /** Milliseconds spent in preprocessing, the model run and postprocessing. */
  readonly timings: { readonly preprocess: number; readonly run: number; readonly postprocess: number };
}

export async function detect(
  session: InferenceSession,
  image: RgbaImage,
  options: DetectOptions & Pick<RunOptions, 'onProgress' | 'signal'> = {},
): Promise<DetectionResult> {
  const t0 = performance.now();
  const { data, placement } = letterbox(image, INPUT_SIZE);
  const images = new Tensor('float32', data, [1, 3, INPUT_SIZE, INPUT_SIZE]);
  const t1 = performance.now();
  const { output0 } = await session.run(
    { images },
    { outputs: ['output0'], onProgress: options.onProgress, signal: options.signal },
  );
  const t2 = performance.now();
  const detections = detectionsFromOutput(output0.data as Float32Array, output0.dims, placement, options);
  const t3 = performance.now();
  return { detections, timings: { preprocess: t1 - t0, run: t2 - t1, postprocess: t3 - t2 } };
}
