import type { ModelFiles } from '../files/model-files.js';
import type { WeightRef } from '../graph/graph.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Supplies operator weights while a model runs (OnnxStream's WeightsProvider, in an async shape).
 *
 * The engine calls `init` once per session with every weight the model may stream, `beginRun` at
 * the start of each run with the exact request order of that run (duplicates included), then `get`
 * once per entry of that order, in order, each request issued at most a few operators ahead of its
 * use. Tensors returned by `get` belong to the provider: the engine drops its references after the
 * operator ran and never disposes them.
 */
export interface WeightsProvider {
  readonly name: string;
  init?(files: ModelFiles, weights: readonly WeightRef[]): Promise<void> | void;
  beginRun?(order: readonly WeightRef[]): void;
  get(ref: WeightRef): Promise<Tensor>;
  /** The run ended (normally or with an error): drop per-run state such as prefetched buffers. */
  endRun?(): void | Promise<void>;
  /** The engine converted this weight (e.g. fp16 to fp32) and offers the result for later runs. */
  update?(ref: WeightRef, converted: Tensor): void;
  dispose?(): void | Promise<void>;
}
