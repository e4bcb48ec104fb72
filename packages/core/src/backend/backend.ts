import type { Node } from '../graph/graph.js';
import type { KernelContext, OpDef } from '../ops/op.js';
import type { DataType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Value } from '../tensor/value.js';
import type { KernelBinding } from './kernel/binding.js';

export interface BackendOptions {
  /** Compute threads; undefined = the backend's default (all cores). */
  readonly threads?: number;
}

/** One operator invocation handed to a backend. */
export interface KernelCall extends KernelContext {
  readonly op: OpDef;
  /**
   * A weight input read a block of rows at a time (Step.slices; its entry in `inputs` is then
   * undefined): only the backend's `slicedWeight` operators get one.
   */
  readonly sliced?: SlicedWeight;
  /**
   * Where the engine wants output k written (planner/concat-in-place.ts): a view of a later Concat's
   * output, of the type and dims the output has. A backend that `placesOutputs` for the node writes
   * it there and returns that tensor; an output computed elsewhere is copied by the Concat.
   */
  readonly placed?: readonly (Tensor | undefined)[];
  /** Records the operator's binding calls (executor/replay.ts): a kernel backend calls through `wrap`. */
  readonly recorder?: KernelRecorder;
}

/** What a kernel backend routes an operator's binding calls through while a run is recorded. */
export interface KernelRecorder {
  wrap(binding: KernelBinding): KernelBinding;
}

/**
 * A weight the operator reads in blocks of rows along axis 0 (a convolution's output channels, a
 * linear layer's input features).
 */
export interface SlicedWeight {
  /** The node input it is. */
  readonly input: number;
  /** The whole weight's dims (as operators see it). */
  readonly dims: readonly number[];
  /** Rows per block: read blocks of this many, the last one shorter. */
  readonly rows: number;
  /**
   * Rows [first, first + count) in the form the backend's kernel reads (converted and prepared as
   * a whole weight would be), for the caller to dispose when done with them. Reading the next block
   * before running the current one overlaps the read with compute.
   */
  read(first: number, count: number): Promise<Tensor>;
}

/**
 * A compute backend. The planner asks `supports` once per node and input-type signature, and falls
 * back to the reference backend for anything a backend does not claim.
 */
export interface Backend {
  readonly name: string;
  /** Prepares the backend (loads binaries, starts threads). Called once per session. */
  init?(options: BackendOptions): Promise<void> | void;
  supports(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number): boolean;
  /**
   * Converts a weight into the form this backend's kernel for `node` reads (packed GEMM panels,
   * another layout). Called once per run for weights only this node uses; the result is offered to
   * the weights provider, which may keep it for later runs (OnnxStream's ops cache). `kept` (default
   * true) says whether the provider will keep the result: when it will not, a backend whose kernels
   * read the stored form (float16, quantised uint8) returns `weight` itself rather than a converted
   * copy made again every run. Undefined: use the weight as it is (converted to the compute type).
   */
  prepareWeight?(node: Node, input: number, weight: Tensor, kept?: boolean): Tensor | undefined;
  /**
   * Converts a weight as stored (float16, quantised uint8) to the type operators compute in, in the
   * backend's own memory (freed after the step unless a provider keeps it). Undefined: the engine
   * converts it in JavaScript.
   */
  convertWeight?(weight: Tensor, to: DataType): Promise<Tensor | undefined> | Tensor | undefined;
  /**
   * The input of `node` whose weight the backend can take a block of rows at a time (KernelCall
   * `sliced`), so a streamed weight is never in memory whole; undefined when it cannot.
   */
  slicedWeight?(node: Node, inputTypes: readonly (DataType | undefined)[], opset: number): number | undefined;
  /** Whether `t` is a weight this backend prepared earlier (a provider handed the kept form back). */
  isPrepared?(t: Tensor): boolean;
  run(call: KernelCall): Value[] | Promise<Value[]>;
  /** A tensor in the memory this backend's operators write to (Concat outputs assembled in place). */
  allocate?(type: DataType, dims: readonly number[]): Tensor;
  /** Whether run() writes `node`'s outputs where KernelCall `placed` says (see there). */
  placesOutputs?(node: Node): boolean;
  /**
   * Whether run() for `node` can be recorded and replayed (executor/replay.ts): every binding call
   * it makes goes through KernelCall `recorder`, with parameters that follow from shapes and
   * attributes alone, on buffers of its inputs, outputs and tensors it allocates.
   */
  replays?(node: Node): boolean;
  /**
   * Gives memory the backend keeps for reuse (freed blocks, buffers of disposed tensors) back to the
   * system. A session calls it when released: the next model allocates other sizes, and a pipeline's
   * stages (text encoder, UNet, VAE) would otherwise each start with the last one's blocks resident.
   * With `level`, only freed blocks beyond `level` bytes of them (cacheLevel()'s measure) go back,
   * the most recently freed first: a session gives back what its recorded run left cached (its
   * replays use one arena of their own), and blocks cached before that run stay.
   */
  trim?(level?: number): void;
  /** Bytes of freed blocks the backend keeps for reuse (see trim). */
  cacheLevel?(): number;
  /**
   * Takes (true) or gives back (false) a hold under which memory kept for reuse never adds to the
   * peak of live memory, for a run whose freed blocks no later run takes: a session holds it through
   * the run it records (its replays use one arena of their own). A backend that keeps a small
   * model's blocks beyond its peak otherwise (the native one, up to 64 MiB) gives the excess back.
   */
  holdCacheLean?(on: boolean): void;
  dispose?(): Promise<void> | void;
}
