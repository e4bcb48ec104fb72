/**
 * Browser platform layer. There is no file system: models come as bytes, `ModelFiles`
 * implementations (HTTP, user-picked folders) or URLs.
 */
import { OnnxStreamError } from '../errors.js';
import type { ModelFiles } from '../files/model-files.js';

export const platformName = 'browser';

export async function openModelPath(
  path: string,
): Promise<{ files: ModelFiles; entry: string; format: 'onnx' | 'onnxstream' }> {
  throw new OnnxStreamError(
    `cannot open '${path}' in a browser: pass the model as bytes or a ModelFiles (e.g. an HTTP provider's files)`,
  );
}
