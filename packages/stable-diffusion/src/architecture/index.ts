/**
 * Stable Diffusion architectures as generated ONNX graphs (random weights): a small graph builder,
 * the SD 1.5 UNet, VAE decoder and CLIP text encoder, parameterised from full size down to tiny test
 * models, and a streaming external-data ONNX writer (fp32, or fp16 weights).
 */
export { type Float16Mode, toFloat16 } from './float16.js';
export {
  type Attr,
  broadcast,
  type Dim,
  type ElemType,
  GraphBuilder,
  type GraphSpec,
  type InitializerSpec,
  type NodeSpec,
  numel,
  parameterCount,
  type ValueSpec,
  type WeightInit,
} from './graph-builder.js';
export * as layers from './layers.js';
export { type MadeModel, type MakeSdModelsOptions, makeSdModels, type SdComponent } from './make-models.js';
export {
  encodeModel,
  encodeModelProto,
  initializerBytes,
  parameterBytes,
  type WeightOptions,
  type WriteOptions,
  type WriteProgress,
  type WriteResult,
  writeOnnxModel,
} from './onnx-writer.js';
export { fillUniform, fnv1a32, mix32, mulberry32, tensorSeed } from './prng.js';
export {
  buildTextEncoder,
  SD15_TEXT_ENCODER,
  type TextEncoderConfig,
  TINY_TEXT_ENCODER,
} from './text-encoder.js';
export { buildUNet, SD15_UNET, TINY_UNET, type UNetConfig } from './unet.js';
export { buildVaeDecoder, SD15_VAE_DECODER, TINY_VAE_DECODER, type VaeDecoderConfig } from './vae-decoder.js';
