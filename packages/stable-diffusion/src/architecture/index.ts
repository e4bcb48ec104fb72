/**
 * Stable Diffusion architectures as generated ONNX graphs (random weights): a small graph builder,
 * the SD 1.5 and SDXL UNets, VAE decoder and CLIP text encoders, parameterised from full size down to
 * tiny test models, and a streaming external-data ONNX writer (fp32, or fp16 weights).
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
export {
  buildSdComponent,
  type MadeModel,
  type MakeSdModelsOptions,
  makeSdModels,
  type SdArchitecture,
  type SdComponent,
} from './make-models.js';
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
  buildSdxlTextEncoder,
  buildTextEncoder,
  type HiddenStateOutput,
  SD15_TEXT_ENCODER,
  SDXL_TEXT_ENCODER,
  SDXL_TEXT_ENCODER_2,
  type TextEncoderConfig,
  TINY_SDXL_TEXT_ENCODER,
  TINY_SDXL_TEXT_ENCODER_2,
  TINY_TEXT_ENCODER,
} from './text-encoder.js';
export {
  buildUNet,
  SD15_UNET,
  SDXL_UNET,
  type TextTimeConfig,
  TINY_SDXL_UNET,
  TINY_UNET,
  type UNetConfig,
} from './unet.js';
export { buildVaeDecoder, SD15_VAE_DECODER, TINY_VAE_DECODER, type VaeDecoderConfig } from './vae-decoder.js';
