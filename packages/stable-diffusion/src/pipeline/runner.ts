/**
 * The model runner seam of the pipeline: every ONNX graph (text encoders, UNet, VAE decoder) is run
 * through a {@link ModelRunner} made by a {@link ModelRunnerFactory}. The default factory uses
 * `@onnxstream/core`'s InferenceSession; tests inject another (e.g. onnxruntime-node) to compare
 * every stage on the same graphs inside the same pipeline code.
 */
import {
  asFloat32,
  type Backend,
  escapeName,
  fromNumbers,
  InferenceSession,
  type RangeData,
  Tensor,
  type ValueMetadata,
  type WeightsProvider,
} from '@onnxstream/core';

/** Where a component's graph lives: an OnnxStream folder (model.txt) or an .onnx file. */
export interface ModelPath {
  /** Folder holding model.txt, or the .onnx file. */
  readonly path: string;
  readonly format: 'onnxstream' | 'onnx';
}

/** The pipeline's components. */
export type ComponentName = 'text_encoder' | 'text_encoder_2' | 'unet' | 'vae_decoder' | 'vae_decoder_tiled';

/** Engine settings for one component (OnnxStream's per-configuration settings, reference section 7.10). */
export interface EngineSettings {
  backend?: string | Backend;
  threads?: number;
  fp16Arithmetic?: boolean;
  fp16Storage?: boolean;
  uint8Storage?: boolean | readonly string[];
  uint8Arithmetic?: boolean;
  rangeData?: RangeData;
  attentionSlices?: number;
  weightsProvider?: WeightsProvider;
}

/** A graph input or output as the runner sees it. */
export interface RunnerValueInfo {
  readonly name: string;
  /** Element type when known (e.g. 'float32', 'float16', 'int64', 'int32'). */
  readonly type?: string;
  /** Declared dims when known; strings or 0 for dynamic ones. */
  readonly shape?: readonly (number | string)[];
}

export interface RunnerRunOptions {
  /** Outputs to return (default: the graph outputs). */
  readonly outputs?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called after each operator (OnnxStream's --ops-printf). */
  readonly onOperator?: (opType: string, nodeName: string) => void;
}

/** Runs one graph on one or more samples (OnnxStream's multi-sample runs share one weight stream). */
export interface ModelRunner {
  readonly inputs: readonly RunnerValueInfo[];
  readonly outputs: readonly RunnerValueInfo[];
  run(
    feedsList: readonly Record<string, Tensor>[],
    options?: RunnerRunOptions,
  ): Promise<Record<string, Tensor>[]>;
  release(): Promise<void>;
}

/** Makes the runner of a component. */
export type ModelRunnerFactory = (
  model: ModelPath,
  settings: EngineSettings,
  component: ComponentName,
) => Promise<ModelRunner>;

/** The default factory: `@onnxstream/core` InferenceSession, samples run with `runSamples`. */
export const coreRunnerFactory: ModelRunnerFactory = async (model, settings) => {
  const session = await InferenceSession.create(model.path, {
    format: model.format,
    backend: settings.backend,
    threads: settings.threads,
    fp16Arithmetic: settings.fp16Arithmetic,
    fp16Storage: settings.fp16Storage,
    uint8Storage: settings.uint8Storage,
    uint8Arithmetic: settings.uint8Arithmetic,
    rangeData: settings.rangeData,
    attentionSlices: settings.attentionSlices,
    weightsProvider: settings.weightsProvider,
  });
  const info = (m: ValueMetadata): RunnerValueInfo => ({
    name: m.name,
    type: m.type,
    shape: m.shape?.map((d) => d ?? 0),
  });
  return {
    inputs: session.inputMetadata.map(info),
    outputs: session.outputMetadata.map(info),
    run: (feedsList, options = {}) =>
      session.runSamples(feedsList, {
        outputs: options.outputs,
        signal: options.signal,
        onProgress: options.onOperator ? (e) => options.onOperator?.(e.opType, e.nodeName) : undefined,
      }),
    release: () => session.release(),
  };
};

/**
 * The name of the first of `candidates` the graph has (tried as given and OnnxStream-escaped), or
 * undefined.
 */
export function findName(
  values: readonly RunnerValueInfo[],
  candidates: readonly string[],
): string | undefined {
  const names = new Set(values.map((v) => v.name));
  for (const c of candidates) {
    if (names.has(c)) return c;
    const e = escapeName(c);
    if (names.has(e)) return e;
  }
  return undefined;
}

/** Like {@link findName}, but an error naming the component when none is present. */
export function requireName(
  values: readonly RunnerValueInfo[],
  candidates: readonly string[],
  what: string,
): string {
  const name = findName(values, candidates);
  if (name === undefined) {
    throw new Error(
      `${what}: none of ${candidates.map((c) => `'${c}'`).join(', ')} found (graph has ${values
        .map((v) => `'${v.name}'`)
        .join(', ')})`,
    );
  }
  return name;
}

/** The value info of `name`. */
export function infoOf(values: readonly RunnerValueInfo[], name: string): RunnerValueInfo | undefined {
  return values.find((v) => v.name === name);
}

/** A float tensor of the type the graph declares for it (float16 graphs get float16 feeds). */
export function floatFeed(data: Float32Array, dims: readonly number[], info?: RunnerValueInfo): Tensor {
  if (info?.type === 'float16') return fromNumbers('float16', data, dims);
  return new Tensor('float32', data, dims);
}

/** Token ids as the graph's declared integer type (int64 by default; diffusers exports use int32). */
export function idsFeed(ids: readonly number[], dims: readonly number[], info?: RunnerValueInfo): Tensor {
  if (info?.type === 'int32') return new Tensor('int32', Int32Array.from(ids), dims);
  return new Tensor(
    'int64',
    BigInt64Array.from(ids, (v) => BigInt(v)),
    dims,
  );
}

/** A timestep as the graph declares it: float (OnnxStream passes the fractional t) or integer. */
export function timestepFeed(t: number, info?: RunnerValueInfo): Tensor {
  const dims = info?.shape && info.shape.length === 0 ? [] : [1];
  switch (info?.type) {
    case 'int64':
      return new Tensor('int64', BigInt64Array.of(BigInt(Math.round(t))), dims);
    case 'int32':
      return new Tensor('int32', Int32Array.of(Math.round(t)), dims);
    case 'float16':
      return fromNumbers('float16', [t], dims);
    default:
      return new Tensor('float32', Float32Array.of(t), dims);
  }
}

/** A float output as float32 values. */
export function floats(t: Tensor | undefined, what: string): Float32Array {
  if (!t) throw new Error(`${what}: output missing`);
  return asFloat32(t);
}
