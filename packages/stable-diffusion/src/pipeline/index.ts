/** The text-to-image pipeline: layouts, runners, text encoding, VAE decoding, files, downloads. */
export {
  DownloadError,
  type DownloadMode,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  defaultCacheDir,
  downloadModel,
  listModelWeights,
} from './download.js';
export {
  type ModelKind,
  type ModelLayout,
  ONNXSTREAM_REPOS,
  ONNXSTREAM_TEXT_FILES,
  type ResolveLayoutOptions,
  repoFolderName,
  resolveLayout,
} from './layout.js';
export {
  decodeLatentsNpy,
  decodePng,
  encodeLatentsNpy,
  encodePng,
  formatParameters,
  type ParametersInfo,
  type PngOptions,
} from './output.js';
export {
  type DecodeOptions,
  defaultSeed,
  detectFp16,
  type GenerateOptions,
  type GenerateResult,
  type PipelineLoadOptions,
  type ProgressEvent,
  StableDiffusionPipeline,
  type TraceHooks,
} from './pipeline.js';
export {
  type ComponentName,
  coreRunnerFactory,
  type EngineSettings,
  type ModelPath,
  type ModelRunner,
  type ModelRunnerFactory,
  type RunnerRunOptions,
  type RunnerValueInfo,
} from './runner.js';
export {
  alignedChunks,
  applyEmphasis,
  encodeSd15,
  encodeSdxl,
  openClipIds,
  penultimateOutput,
  type TextConditioning,
} from './text.js';
export {
  DEFAULT_TILE_OVERLAP,
  DEFAULT_TILE_SIZE,
  decodeFull,
  decodeTiled,
  type TileOptions,
  tileOrigins,
  tilingApplies,
  toPixels,
} from './vae.js';
