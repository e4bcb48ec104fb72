/**
 * @onnxstream/stable-diffusion: the pure-TypeScript building blocks of the Stable Diffusion 1.5 / SDXL /
 * SDXL Turbo pipelines, compatible with OnnxStream: CLIP tokenizer, prompt weighting and chunking,
 * noise schedules and timestep conversion, the 22 OnnxStream samplers, seeds/PRNGs (including
 * OnnxStream's exact noise), and latent helpers.
 */

export {
  cfgDenoiser,
  classifierFreeGuidance,
  compVisDenoiser,
  compVisScalings,
  type DenoiseFn,
  type EpsilonModel,
} from './denoiser.js';
export {
  type LatentRgbFactors,
  latentPreview,
  latentToRgbPlanar,
  type RgbImage,
  SD15_LATENT_RGB_FACTORS,
  SDXL_LATENT_RGB_FACTORS,
  upscaleNearest,
} from './latent/preview.js';
export { SD15_VAE_SCALING_FACTOR, SDXL_VAE_SCALING_FACTOR, unscaleLatent } from './latent/scaling.js';
export * from './pipeline/index.js';
export {
  type PromptAttentionOptions,
  parsePromptAttention,
  type WeightedText,
} from './prompt/attention.js';
export {
  type PromptChunk,
  type PromptChunkOptions,
  promptToChunks,
  tokenizeWeighted,
  type WeightedTokens,
} from './prompt/chunks.js';
export { GlibcRand } from './rng/glibc-rand.js';
export { hexFloat } from './rng/hex-float.js';
export { logf } from './rng/logf.js';
export { Mt19937, type Uint32Source } from './rng/mt19937.js';
export {
  type NoiseSource,
  type OnnxStreamNoiseOptions,
  onnxstreamNoise,
  philoxNoise,
  stdRandn,
} from './rng/noise.js';
export { PhiloxStream, philox4x32 } from './rng/philox.js';
export {
  generateCanonicalDouble,
  generateCanonicalFloat,
  StdNormalDistribution,
  type StdRealType,
} from './rng/std-normal.js';
export { ddim, ddimAncestral } from './samplers/ddim.js';
export { ddpm, ddpmAncestral } from './samplers/ddpm.js';
export { dpm2 } from './samplers/dpm2.js';
export { dpmpp2m, dpmpp2mV2 } from './samplers/dpmpp-2m.js';
export { dpmpp2s, dpmpp2sAncestral } from './samplers/dpmpp-2s.js';
export { dpmpp3mSde, dpmpp3mSdeAncestral } from './samplers/dpmpp-3m-sde.js';
export { euler, eulerAncestral } from './samplers/euler.js';
export { heun } from './samplers/heun.js';
export { ipndm, ipndmV, ipndmVo } from './samplers/ipndm.js';
export { lcm } from './samplers/lcm.js';
export { linearMultistepCoefficient, lms } from './samplers/lms.js';
export { prescaleVariancePreserving } from './samplers/prescale.js';
export {
  DEFAULT_SAMPLER,
  getSampler,
  isSamplerName,
  SAMPLER_NAMES,
  SAMPLERS,
  type SamplerInfo,
  type SamplerName,
} from './samplers/registry.js';
export {
  ancestralStep,
  runSampler,
  type StepContext,
  type StepFn,
  turboReshape,
  turboReshapeSharp,
} from './samplers/run.js';
export { taylor3 } from './samplers/taylor3.js';
export { tcd, tcdAncestral } from './samplers/tcd.js';
export type { Sampler, SamplerOptions, SamplerStepInfo } from './samplers/types.js';
export {
  defaultSigmas,
  exponentialSigmas,
  karrasSigmas,
  sigmaRange,
} from './schedule/sampling.js';
export { sigmaToTimestep, timestepToSigma } from './schedule/timestep.js';
export {
  defaultLogSigmas,
  SD_BETA_END,
  SD_BETA_START,
  SD_TRAINING_STEPS,
  trainingLogSigmas,
  trainingSigmas,
} from './schedule/training.js';
export { BpeMerges, END_OF_WORD } from './tokenizer/bpe.js';
export { bytesToUnicodeString, byteToUnicode, unicodeStringToBytes } from './tokenizer/byte-unicode.js';
export {
  CLIP_BOS_ID,
  CLIP_COMMA_ID,
  CLIP_CONTEXT_LENGTH,
  CLIP_EOS_ID,
  ClipTokenizer,
  type ClipTokenizerOptions,
  type PadOptions,
} from './tokenizer/clip-tokenizer.js';
export { parseMerges, parseVocabJson, parseVocabTxt } from './tokenizer/files.js';
export { loadClipTokenizer } from './tokenizer/load.js';
export {
  type ClipTokenizerMode,
  cleanClipText,
  clipPreTokens,
  onnxstreamPreTokens,
  utf8ByteString,
} from './tokenizer/pretokenize.js';
