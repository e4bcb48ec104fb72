/** Helpers shared by the providers that read weights from a model's files. */
import { errorMessage, type ModelFiles, type WeightRef, WeightsError } from '@onnxstream/core';

/** The files a provider got from `init`; a clear error when it is used before (or after `dispose`). */
export function requireFiles(files: ModelFiles | undefined, provider: string): ModelFiles {
  if (!files) {
    throw new WeightsError(
      `weights provider '${provider}' has no model files: init() was not called (pass it to InferenceSession.create)`,
    );
  }
  return files;
}

/**
 * Reads one weight's bytes through the sandboxed ModelFiles (which refuses paths leaving the model
 * folder). Failures name the weight and its file, since low-level I/O errors may not.
 */
export async function readWeightBytes(files: ModelFiles, ref: WeightRef): Promise<Uint8Array> {
  try {
    return await files.read(ref.file, ref.offset, ref.byteLength);
  } catch (e) {
    throw new WeightsError(`cannot read weight '${ref.name}' from '${ref.file}': ${errorMessage(e)}`, {
      cause: e,
    });
  }
}
