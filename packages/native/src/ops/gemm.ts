/** The operators moved to @onnxstream/core/kernel (shared with @onnxstream/wasm); kept for imports of this path. */
export { isPackedWeight, packedDims } from '@onnxstream/core/kernel';
