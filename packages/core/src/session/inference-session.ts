/**
 * InferenceSession: the public entry point, shaped like onnxruntime's.
 *
 *   const session = await InferenceSession.create('model_folder', { weightsProvider, backend });
 *   const outputs = await session.run({ images: tensor });
 *
 * `run` returns tensors (onnxruntime's shape); `runValues` also returns sequences and optionals.
 */
import { openModelPath } from '#platform';
import type { Backend } from '../backend/backend.js';
import { resolveBackend } from '../backend/registry.js';
import { InputError, OnnxStreamError } from '../errors.js';
import {
  executePlan,
  executePlanBatch,
  metaOf,
  type RunProgress,
  type RunStats,
  signature,
} from '../executor/executor.js';
import { feedTensors, Replay, RunRecorder, unreplayable } from '../executor/replay.js';
import { MemoryFiles, type ModelFiles } from '../files/model-files.js';
import { readModelTxt } from '../formats/onnxstream/model-txt.js';
import { escapeName } from '../formats/onnxstream/names.js';
import { parseRangeData, type RangeData } from '../formats/onnxstream/range-data.js';
import { readWeightRows } from '../formats/weight-rows.js';
import { weightTensor } from '../formats/weights.js';
import { toFloat16 } from '../graph/float16.js';
import type { Dim, Graph, ValueInfo, WeightRef } from '../graph/graph.js';
import { percentileRange } from '../ops/fused/uint8-storage.js';
import type { ValueMeta } from '../ops/op.js';
import { type Plan, planGraph } from '../planner/plan.js';
import type { StorageOptions } from '../planner/storage.js';
import type { WeightsProvider } from '../provider/weights-provider.js';
import { asNumbers, castTensor } from '../tensor/convert.js';
import type { DataType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { elementTypeOf, kindOf, OptionalValue, type Value } from '../tensor/value.js';

export interface SessionOptions {
  /** 'auto' (default), a registered backend name ('reference', 'native', 'wasm'), or a Backend object. */
  backend?: string | Backend;
  /** onnxruntime spelling of `backend`: the first entry is used. */
  executionProviders?: readonly (string | Backend)[];
  /** Compute threads for backends that use them (default: all cores). */
  threads?: number;
  /** onnxruntime spelling of `threads`. */
  intraOpNumThreads?: number;
  /** Where weights come from while the model runs (default: read each weight from the model's files when needed). */
  weightsProvider?: WeightsProvider;
  /** Force the model format when it cannot be told from the path or bytes. */
  format?: 'onnx' | 'onnxstream';
  /** Fold constant subgraphs at plan time (default true). */
  foldConstants?: boolean;
  /** Fuse Conv/Add + activation and Sigmoid * x chains into single operators (default true). */
  fuseOperators?: boolean;
  /**
   * Run attention chains (MatMul -> [scale] -> [mask] -> Softmax -> MatMul, as torch exports them) as
   * one fused operator that never stores the score matrix (default true).
   */
  fuseAttention?: boolean;
  /**
   * Compute the inputs of a Concat whose parts are contiguous runs of its output (nothing but ones
   * before the axis: N = 1 channel concatenations) straight into its output, where that raises no
   * peak of live tensors (default true; native and wasm backends, whose Splits into such runs are
   * views of their input): YOLOv8n's Concats then copy almost nothing.
   */
  concatInPlace?: boolean;
  /**
   * Record a run whose every operator is a native or wasm kernel with shapes known in advance, when
   * the weights provider keeps every weight (RAM), and replay its kernel calls in later runs of the
   * same shapes, without the engine's per-operator work (default true; see `lastRunStats.replayed`).
   * Runs with `profile` or `onProgress` are never replayed.
   */
  replay?: boolean;
  /**
   * OnnxStream's attention slicing: fused attention computes its score rows in this many slices
   * (raised to the next divisor of the rows), on the reference backend; native and wasm kernels are
   * always tiled with an online softmax, which needs less memory than any slicing. Default 0: tiled.
   */
  attentionSlices?: number;
  /**
   * With a streaming provider that reads weight rows (disk, HTTP): a convolution or linear layer
   * (MatMul, MatMulGeglu) whose weight takes at least twice this many bytes as stored reads it this
   * many bytes of rows at a time (output channels; input features), so the largest weights (SD's
   * 2560-channel UNet convolutions: 56 MiB in float16; its GEGLU projections: 25 MiB) are never in
   * memory whole. Default 4 MiB; 0 reads whole weights. Providers that keep weights (RAM) read whole
   * ones, packed once.
   */
  weightSliceBytes?: number;
  /**
   * Store float32 activations that wait for a reader beyond the next operator as float16 (OnnxStream's
   * force_fp16_storage); operators still compute in float32. Saves memory on skip connections.
   */
  fp16Storage?: boolean;
  /**
   * Store such activations as dynamically quantised uint8 (per tensor, 0.1 % percentile range): all
   * of them (true, OnnxStream's uint8 qdq) or the named ones (its force_uint8_storage_set).
   */
  uint8Storage?: boolean | readonly string[];
  /**
   * Static uint8 activations (OnnxStream's uint8 arithmetic): the outputs of Conv, MatMul, Add, Mul,
   * Sigmoid, normalisations and Softmax are stored as uint8 with their operator's calibrated range.
   * Ranges come from `rangeData`, else from `range_data.txt` in the model folder (see `calibrate`).
   */
  uint8Arithmetic?: boolean;
  /** Per-operator activation ranges for `uint8Arithmetic` (`parseRangeData` reads OnnxStream's file). */
  rangeData?: RangeData;
  /**
   * With `uint8Arithmetic` and `fuseOperators`: 2-D convolutions read their uint8 inputs and write
   * their uint8 outputs directly, a band at a time, and channel-wise operators (normalisation, Add,
   * Mul) run between uint8 tensors a block of channels at a time, instead of through whole float32
   * copies (default true; the same values, less memory at the peak).
   */
  fuseUint8Io?: boolean;
  /**
   * Compute in float16 (OnnxStream's fp16 arithmetic): float32 weights, constants and activations are
   * stored and computed as float16; float32 feeds are converted on the way in, float16 outputs back to
   * float32 on the way out.
   */
  fp16Arithmetic?: boolean;
}

export interface RunOptions {
  /** Output names to return; default: the model's outputs. Any intermediate value may be named. */
  outputs?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (e: RunProgress) => void;
  /** Collect times per operator type and per node in `lastRunStats.opTimes` and `nodeTimes`. */
  profile?: boolean;
}

/** Feeds by input name: tensors, or sequences and optionals for inputs declared so. */
export type FeedsType = Readonly<Record<string, Value>>;
export type ReturnType = Record<string, Tensor>;
export type ValuesReturnType = Record<string, Value>;

export interface ValueMetadata {
  readonly name: string;
  /** False for sequences, optionals and maps. */
  readonly isTensor: boolean;
  /** The tensor type; for sequences and optionals, the type of the tensors inside. */
  readonly type?: DataType;
  readonly shape?: readonly Dim[];
}

/** A source of model bytes or files. A string is a path (folder, model.txt or .onnx) in Node. */
export type ModelSource = string | Uint8Array | ArrayBuffer | { files: ModelFiles; entry: string };

interface Planning {
  readonly fold: boolean;
  readonly fuse: boolean;
  readonly fuseAttention: boolean;
  readonly concatInPlace: boolean;
  readonly attentionSlices: number;
  readonly storage?: StorageOptions;
  readonly uint8Ranges?: RangeData;
  readonly fuseUint8Io: boolean;
  readonly rowGather: boolean;
  readonly weightSlices?: number;
}

/** The outputs as tensors; a sequence or optional output is an error pointing to runValues. */
function tensorsOnly(values: ValuesReturnType): ReturnType {
  const result: ReturnType = {};
  for (const [name, v] of Object.entries(values)) {
    if (!(v instanceof Tensor)) {
      throw new OnnxStreamError(
        `output '${name}' is ${withArticle(kindOf(v))}, not a tensor: use session.runValues() to get it`,
      );
    }
    result[name] = v;
  }
  return result;
}

async function readRangeData(files: ModelFiles): Promise<RangeData> {
  const name = 'range_data.txt';
  if (!(await files.exists(name))) {
    throw new OnnxStreamError(
      `uint8 arithmetic needs activation ranges: pass rangeData or put ${name} in ${files.root} (session.calibrate makes one)`,
    );
  }
  const bytes = await files.read(name, 0, await files.size(name));
  return parseRangeData(new TextDecoder().decode(bytes), `${files.root}/${name}`);
}

function storageOf(options: SessionOptions): StorageOptions | undefined {
  const u = options.uint8Storage;
  const uint8 = Array.isArray(u) ? new Set<string>(u) : u === true;
  if (!options.fp16Storage && !uint8) return undefined;
  return { fp16: options.fp16Storage === true, uint8 };
}

/**
 * Default SessionOptions.weightSliceBytes. Two blocks are held (one read ahead): SD 1.5's UNet in
 * its lowest-memory run held 7.5 MiB less in its sliced feed-forward projections with 4 MiB blocks
 * than with 8 MiB ones (planned peak 24 MiB instead of 32 under fp16 arithmetic), in the same time.
 */
const WEIGHT_SLICE_BYTES = 4 << 20;

/** Bytes per weight slice when the provider reads rows and keeps no weight; else undefined. */
function slicedReads(
  provider: WeightsProvider,
  weights: readonly WeightRef[],
  bytes = WEIGHT_SLICE_BYTES,
): number | undefined {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw new RangeError(`weightSliceBytes must be >= 0, got ${bytes}`);
  const keeps = (ref: WeightRef) => (provider.keeps ? provider.keeps(ref) : provider.update !== undefined);
  return bytes > 0 && provider.getRows !== undefined && !weights.some(keeps) ? bytes : undefined;
}

function checkSlices(n: number | undefined): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`attentionSlices must be an integer >= 0, got ${n}`);
  return n;
}

export class InferenceSession {
  readonly #graph: Graph;
  readonly #files: ModelFiles;
  readonly #backend: Backend;
  readonly #provider: WeightsProvider;
  readonly #planning: Planning;
  readonly #fp16: boolean;
  readonly #plans = new Map<string, Plan>();
  /** Per plan: its recorded run, or why it is not replayed; and the recorded run's statistics. */
  readonly #replays = new WeakMap<Plan, Replay | string>();
  readonly #recordedStats = new WeakMap<Plan, RunStats>();
  readonly #replay: boolean;
  #released = false;
  #running: Promise<unknown> = Promise.resolve();
  /** Statistics of the last completed run. */
  lastRunStats: RunStats | undefined;

  private constructor(
    graph: Graph,
    files: ModelFiles,
    backend: Backend,
    provider: WeightsProvider,
    planning: Planning,
    fp16: boolean,
    replay: boolean,
  ) {
    this.#replay = replay;
    this.#graph = graph;
    this.#files = files;
    this.#backend = backend;
    this.#provider = provider;
    this.#planning = planning;
    this.#fp16 = fp16;
  }

  /** Loads a model's structure (never its weight payloads) and prepares the backend and provider. */
  static async create(source: ModelSource, options: SessionOptions = {}): Promise<InferenceSession> {
    const { files, entry, format } = await openSource(source, options.format);
    const read =
      format === 'onnxstream'
        ? await readModelTxt(files, entry)
        : await (await import('../formats/onnx/model-reader.js')).readOnnxModel(files, entry);
    const graph = options.fp16Arithmetic ? toFloat16(read) : read;
    const backend = resolveBackend(options.backend ?? options.executionProviders?.[0]);
    await backend.init?.({ threads: options.threads ?? options.intraOpNumThreads });
    const provider = options.weightsProvider ?? readOnRequest(files);
    await provider.init?.(files, [...graph.weights.values()]);
    return new InferenceSession(
      graph,
      files,
      backend,
      provider,
      {
        fold: options.foldConstants !== false,
        fuse: options.fuseOperators !== false,
        fuseAttention: options.fuseAttention !== false,
        concatInPlace: options.concatInPlace !== false,
        attentionSlices: checkSlices(options.attentionSlices),
        storage: storageOf(options),
        uint8Ranges: options.uint8Arithmetic
          ? (options.rangeData ?? (await readRangeData(files)))
          : undefined,
        fuseUint8Io: options.fuseUint8Io !== false,
        rowGather: provider.getRows !== undefined,
        weightSlices: slicedReads(provider, [...graph.weights.values()], options.weightSliceBytes),
      },
      options.fp16Arithmetic === true,
      options.replay !== false,
    );
  }

  get inputNames(): readonly string[] {
    return this.#graph.inputs.map((i) => i.name);
  }

  get outputNames(): readonly string[] {
    return this.#graph.outputs.map((o) => o.name);
  }

  get inputMetadata(): readonly ValueMetadata[] {
    return this.#graph.inputs.map(valueMetadata);
  }

  get outputMetadata(): readonly ValueMetadata[] {
    return this.#graph.outputs.map(valueMetadata);
  }

  /** The loaded graph (read-only), for tools such as `onnxstream info`. */
  get graph(): Graph {
    return this.#graph;
  }

  get backendName(): string {
    return this.#backend.name;
  }

  /**
   * Runs the model. `fetches` may be a list of output names (onnxruntime style) or run options.
   * Runs on one session are serialised. Every returned output must be a tensor: use `runValues`
   * for models with sequence or optional outputs.
   */
  async run(
    feeds: FeedsType,
    fetches?: readonly string[] | RunOptions,
    options?: RunOptions,
  ): Promise<ReturnType> {
    return tensorsOnly(await this.runValues(feeds, fetches, options));
  }

  /** Runs the model like `run`, returning every output as it is: a tensor, a sequence or an optional. */
  runValues(
    feeds: FeedsType,
    fetches?: readonly string[] | RunOptions,
    options?: RunOptions,
  ): Promise<ValuesReturnType> {
    const opts: RunOptions = Array.isArray(fetches)
      ? { ...options, outputs: fetches }
      : { ...(fetches as RunOptions), ...options };
    const result = this.#running.then(() => this.#run(feeds, opts));
    this.#running = result.catch(() => {});
    return result;
  }

  async #run(feeds: FeedsType, options: RunOptions): Promise<ValuesReturnType> {
    return (await this.#runSamples([feeds], options))[0];
  }

  /**
   * Runs the model on several sets of feeds of the same types and shapes, step by step together:
   * each operator's weights are read once for all of them (OnnxStream's multi-sample runs, e.g.
   * the images of one generation). Returns one result per set, in order; memory holds every
   * sample's activations at once.
   */
  async runSamples(feedsList: readonly FeedsType[], options: RunOptions = {}): Promise<ReturnType[]> {
    const result = this.#running.then(() => this.#runSamples(feedsList, options));
    this.#running = result.catch(() => {});
    return (await result).map(tensorsOnly);
  }

  async #runSamples(feedsList: readonly FeedsType[], options: RunOptions): Promise<ValuesReturnType[]> {
    if (this.#released) throw new OnnxStreamError('session was released');
    if (feedsList.length === 0) throw new InputError('runSamples needs at least one set of feeds');
    const named = feedsList.map((feeds) =>
      this.#checkFeeds(this.#fp16 ? mapTensors(feeds, 'float32', 'float16') : feeds),
    );
    const key = signature(named[0]);
    named.forEach((n, k) => {
      if (signature(n) !== key) {
        throw new InputError(`feeds ${k} differ in type or shape from feeds 0: samples must share one plan`);
      }
    });
    const asked = options.outputs ?? this.outputNames;
    const outputs = asked.map((n) => this.#resolveName(n));
    const plan = await this.plan(named[0], outputs);
    const replayable = this.#replay && named.length === 1 && !options.profile && !options.onProgress;
    const replayed = replayable ? await this.#replayed(plan, named[0], options.signal) : undefined;
    let results: Map<string, Value>[];
    if (replayed) results = [replayed];
    else {
      const recorder = replayable ? this.#recorder(plan, named[0]) : undefined;
      const cached = recorder ? this.#backend.cacheLevel?.() : undefined;
      // The recorded run's freed blocks serve no later run: kept within its peak only.
      if (recorder) this.#backend.holdCacheLean?.(true);
      const run = await executePlanBatch(plan, named, {
        provider: this.#provider,
        backend: this.#backend,
        signal: options.signal,
        onProgress: options.onProgress,
        profile: options.profile,
        recorder,
      }).finally(() => {
        if (recorder) this.#backend.holdCacheLean?.(false);
      });
      results = run.outputs;
      this.lastRunStats = run.stats;
      if (recorder) {
        const replay = recorder.finish([...plan.outputs.keys()].map((n) => results[0].get(n)!));
        this.#replays.set(plan, replay);
        this.#recordedStats.set(plan, run.stats);
        // The run's freed blocks would stay cached beside the replays' arena, which none of them
        // fits (super-resolution: 20 MiB more resident); the executor's later runs would reuse them.
        if (replay instanceof Replay && cached !== undefined) this.#backend.trim?.(cached);
      }
    }
    return results.map((result) => {
      // Keyed by the names asked for (an OnnxStream model's value may be asked for unescaped).
      const out = Object.fromEntries(asked.map((name, k) => [name, result.get(outputs[k]) as Value]));
      // As OnnxStream: under fp16 arithmetic, outputs come back as float32.
      return this.#fp16 ? mapTensors(out, 'float16', 'float32') : out;
    });
  }

  /** A recorder for the next run of `plan`, when it is to be recorded. */
  #recorder(plan: Plan, feeds: ReadonlyMap<string, Value>): RunRecorder | undefined {
    if (this.#replays.has(plan)) return undefined;
    const why = unreplayable(plan, this.#backend, this.#provider);
    const tensors = feedTensors(plan, feeds);
    if (why || !tensors) {
      this.#replays.set(plan, why ?? 'a feed is not a tensor');
      return undefined;
    }
    return new RunRecorder(tensors);
  }

  /** The outputs of `plan` run by replaying its recorded run, or undefined when it has none that holds. */
  async #replayed(
    plan: Plan,
    feeds: ReadonlyMap<string, Value>,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Value> | undefined> {
    const replay = this.#replays.get(plan);
    if (!(replay instanceof Replay)) return undefined;
    const tensors = feedTensors(plan, feeds);
    if (!tensors || !(await replay.weightsHeld(this.#provider, plan.weightOrder))) {
      this.#replays.set(plan, 'the provider no longer holds the recorded weights');
      return undefined;
    }
    const start = performance.now();
    const outputs = await replay.run(tensors, signal);
    const recorded = this.#recordedStats.get(plan)!;
    this.lastRunStats = {
      ms: performance.now() - start,
      peakTensorBytes: recorded.peakTensorBytes,
      weightBytes: recorded.weightBytes,
      steps: recorded.steps,
      replayed: { arenaBytes: replay.arenaBytes },
    };
    return new Map([...plan.outputs.keys()].map((name, k) => [name, outputs[k]]));
  }

  /**
   * Records each operator's activation range over runs of `feedsList` (OnnxStream's calibration):
   * per operator name, the 0.1 % / 99.9 % percentiles of its first output, widened across runs.
   * Operators run unfused so that every operator of the model gets its range. `formatRangeData`
   * writes the result as OnnxStream's range_data.txt.
   */
  async calibrate(
    feedsList: Iterable<FeedsType> | AsyncIterable<FeedsType>,
    options: { signal?: AbortSignal; onRun?: (run: number) => void } = {},
  ): Promise<RangeData> {
    const ranges: RangeData = new Map();
    let run = 0;
    for await (const feeds of feedsList) {
      const task = this.#running.then(() => this.#calibrateRun(feeds, ranges, options.signal));
      this.#running = task.catch(() => {});
      await task;
      run++;
      options.onRun?.(run);
    }
    if (run === 0) throw new OnnxStreamError('calibrate needs at least one set of feeds');
    return ranges;
  }

  async #calibrateRun(feeds: FeedsType, ranges: RangeData, signal: AbortSignal | undefined): Promise<void> {
    if (this.#released) throw new OnnxStreamError('session was released');
    const named = this.#checkFeeds(this.#fp16 ? mapTensors(feeds, 'float32', 'float16') : feeds);
    const plan = await planGraph(this.#graph, {
      feeds: new Map<string, ValueMeta>([...named].map(([n, v]) => [n, metaOf(v)])),
      outputs: this.outputNames,
      backend: this.#backend,
      fold: this.#planning.fold,
      rowGather: this.#planning.rowGather,
      weightSlices: this.#planning.weightSlices,
      fuse: false,
      fuseAttention: false,
    });
    await executePlan(plan, named, {
      provider: this.#provider,
      backend: this.#backend,
      signal,
      observe: (step, outs) => {
        const y = outs[0];
        if (!(y instanceof Tensor) || (y.type !== 'float32' && y.type !== 'float16') || y.size === 0) return;
        const [low, high] = percentileRange(asNumbers(y));
        const seen = ranges.get(step.node.name);
        ranges.set(step.node.name, seen ? [Math.min(seen[0], low), Math.max(seen[1], high)] : [low, high]);
      },
    });
  }

  /** The execution plan for feeds of these types and shapes (cached per signature). */
  async plan(
    feeds: ReadonlyMap<string, Value>,
    outputs: readonly string[] = this.outputNames,
  ): Promise<Plan> {
    const key = `${signature(feeds)}=>${outputs.join('|')}`;
    let plan = this.#plans.get(key);
    if (!plan) {
      const metas = new Map<string, ValueMeta>([...feeds].map(([n, v]) => [n, metaOf(v)]));
      plan = await planGraph(this.#graph, {
        feeds: metas,
        outputs,
        backend: this.#backend,
        ...this.#planning,
      });
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /** Model names are used as given; for OnnxStream models the unescaped ONNX name works too. */
  #resolveName(name: string): string {
    if (this.#graph.format !== 'onnxstream') return name;
    const known = (n: string) =>
      this.#graph.valueInfo.has(n) ||
      this.#graph.inputs.some((i) => i.name === n) ||
      this.#graph.weights.has(n);
    if (known(name)) return name;
    const escaped = escapeName(name);
    return known(escaped) ? escaped : name;
  }

  #checkFeeds(feeds: FeedsType): Map<string, Value> {
    const declared = new Map(this.#graph.inputs.map((i) => [i.name, i]));
    const named = new Map<string, Value>();
    for (const [given, value] of Object.entries(feeds)) {
      const name = this.#resolveName(given);
      const info = declared.get(name);
      if (!info) {
        throw new InputError(
          `unknown input '${given}'; the model's inputs are: ${this.inputNames.join(', ')}`,
        );
      }
      if (value instanceof Tensor) checkTensorFeed(given, info, value);
      else checkValueFeed(given, info, value);
      named.set(name, value);
    }
    const missing = this.#graph.inputs.filter((i) => !named.has(i.name)).map((i) => i.name);
    if (missing.length)
      throw new InputError(`missing input${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    return named;
  }

  /**
   * Releases the provider and open files, and has the backend give the memory it keeps for reuse
   * back to the system (Backend.trim).
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#running;
    await this.#provider.dispose?.();
    await this.#files.close?.();
    this.#plans.clear();
    this.#backend.trim?.();
  }
}

function valueMetadata(v: ValueInfo): ValueMetadata {
  return {
    name: v.name,
    isTensor: !v.nonTensor,
    type: v.nonTensor ? v.elementType : v.type,
    shape: v.dims,
  };
}

/** A tensor feed must match the type and shape the model declares. */
function checkTensorFeed(given: string, info: ValueInfo, tensor: Tensor): void {
  if (info.nonTensor) {
    throw new InputError(`input '${given}' must be ${withArticle(info.nonTensor)}, got a tensor`);
  }
  if (info.type && info.type !== tensor.type) {
    throw new InputError(`input '${given}' must be ${info.type}, got ${tensor.type}`);
  }
  const d = info.dims;
  if (
    d &&
    (d.length !== tensor.dims.length || d.some((x, i) => typeof x === 'number' && x !== tensor.dims[i]))
  ) {
    throw new InputError(
      `input '${given}' must have shape ${formatShape(d)}, got ${formatShape(tensor.dims)}`,
    );
  }
}

/** A sequence or optional feed must match the kind (and element type) the model declares. */
function checkValueFeed(given: string, info: ValueInfo, value: Value): void {
  const kind = kindOf(value);
  if (info.nonTensor !== kind) {
    throw new InputError(
      `input '${given}' must be ${withArticle(info.nonTensor ?? 'tensor')}, got ${withArticle(kind)}`,
    );
  }
  const type = elementTypeOf(value);
  if (info.elementType && type && info.elementType !== type) {
    throw new InputError(`input '${given}' must hold ${info.elementType} tensors, got ${type}`);
  }
  if (value instanceof OptionalValue && info.optionalOf && info.optionalOf !== value.elementKind) {
    throw new InputError(
      `input '${given}' must be an optional ${info.optionalOf}, got an optional ${value.elementKind}`,
    );
  }
}

function withArticle(kind: string): string {
  return `${kind === 'optional' ? 'an' : 'a'} ${kind}`;
}

async function openSource(
  source: ModelSource,
  format: 'onnx' | 'onnxstream' | undefined,
): Promise<{ files: ModelFiles; entry: string; format: 'onnx' | 'onnxstream' }> {
  if (typeof source === 'string') {
    const opened = await openModelPath(source);
    return { ...opened, format: format ?? opened.format };
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    const f = format ?? (looksLikeModelTxt(bytes) ? 'onnxstream' : 'onnx');
    const entry = f === 'onnxstream' ? 'model.txt' : 'model.onnx';
    return { files: new MemoryFiles([[entry, bytes]]), entry, format: f };
  }
  const f = format ?? (source.entry.toLowerCase().endsWith('.txt') ? 'onnxstream' : 'onnx');
  return { files: source.files, entry: source.entry, format: f };
}

function looksLikeModelTxt(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  return head.includes('*input:') && head.includes('*output:');
}

/** The default provider: reads each weight from the model's files when its operator needs it, keeps nothing. */
function readOnRequest(files: ModelFiles): WeightsProvider {
  return {
    name: 'read-on-request',
    get: async (ref) => weightTensor(ref, await files.read(ref.file, ref.offset, ref.byteLength)),
    getRows: (ref, rows) => readWeightRows(files, ref, rows),
  };
}

/** Casts every tensor of type `from` among `values` to `to`. */
function mapTensors<T extends Value>(
  values: Readonly<Record<string, T>>,
  from: DataType,
  to: DataType,
): Record<string, T> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      v instanceof Tensor && v.type === from ? (castTensor(v, to) as T) : v,
    ]),
  );
}
