import type { ModelFiles } from '../files/model-files.js';
import type { WeightRef } from '../graph/graph.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Supplies operator weights while a model runs (OnnxStream's WeightsProvider, in an async shape).
 *
 * The engine calls `init` once per session with every weight the model may stream, `beginRun` at
 * the start of each run with the exact request order of that run (duplicates included), then `get`
 * once per entry of that order, in order, each request issued at most one operator ahead of its
 * use, and `release` when that operator is done with the tensor `get` returned. Tensors returned
 * by `get` belong to the provider; the engine never disposes them.
 */
export interface WeightsProvider {
  readonly name: string;
  init?(files: ModelFiles, weights: readonly WeightRef[]): Promise<void> | void;
  beginRun?(order: readonly WeightRef[]): void;
  get(ref: WeightRef): Promise<Tensor>;
  /**
   * The tensor `get(ref)` would hand out, when the provider holds it already (no read, no per-run
   * state); undefined otherwise. A replayed run (the session option `replay`) checks that its
   * recorded weights are still the ones handed out through this, where the provider has it, instead
   * of a run's worth of `beginRun`, `get`, `release` and `endRun`.
   */
  held?(ref: WeightRef): Tensor | undefined;
  /**
   * Rows `rows` (coordinates along axis 0, in range, possibly repeated) of a weight, in the file's
   * type: `[rows.length, ...ref.dims.slice(1)]`. When a provider has it, a Gather of a large weight
   * by run-time indices (an embedding lookup) reads only those rows: the weight is then never in
   * the run's `beginRun` order nor requested with `get`. The returned tensor belongs to the engine.
   * `readWeightRows` reads them from model files.
   */
  getRows?(ref: WeightRef, rows: Int32Array): Promise<Tensor>;
  /** The engine no longer uses this tensor from `get` (its buffer may be recycled for a later read). */
  release?(ref: WeightRef, tensor: Tensor): void;
  /** The run ended (normally or with an error): drop per-run state such as prefetched buffers. */
  endRun?(): void | Promise<void>;
  /**
   * The engine converted this weight (float16 to float32, or a backend's packed form) and offers
   * the result for later runs. Returns true when the provider keeps it (it then owns the tensor);
   * otherwise the engine frees it after the operator.
   */
  update?(ref: WeightRef, converted: Tensor): boolean;
  /**
   * Whether update() would keep this weight's converted form. When it would not (a streaming
   * provider), the engine prefers forms its kernels read in place over a per-run copy (float16
   * weights packed per call instead of into float32 panels twice their size). Default: whether
   * the provider has update().
   */
  keeps?(ref: WeightRef): boolean;
  /**
   * False: the engine requests an operator's weights only once the previous operator is done and
   * its weights released, so one operator's weights are in memory at a time (reads then do not
   * overlap compute). Default true: the next operator's weights are requested before the current
   * one runs.
   */
  readonly readAhead?: boolean;
  dispose?(): void | Promise<void>;
}
