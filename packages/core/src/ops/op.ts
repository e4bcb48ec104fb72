import type { Dim, Graph, Node } from '../graph/graph.js';
import type { DataType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';

/** What the planner knows about a value before running: type, shape (dims may be unknown) and, for constants, the value. */
export interface ValueMeta {
  readonly type?: DataType;
  readonly dims?: readonly Dim[];
  /** Known at plan time: the planner folds operators whose inputs are all known. */
  readonly value?: Tensor;
}

export interface InferContext {
  /** One entry per node input; undefined for omitted optional inputs. */
  readonly inputs: readonly (ValueMeta | undefined)[];
  readonly attrs: Attributes;
  /** Opset version imported for this operator's domain. */
  readonly opset: number;
  readonly outputCount: number;
  readonly node: Node;
}

export interface KernelContext {
  /** One entry per node input; undefined for omitted optional inputs. */
  readonly inputs: readonly (Tensor | undefined)[];
  readonly attrs: Attributes;
  readonly opset: number;
  readonly outputCount: number;
  readonly node: Node;
  /** Runs a subgraph (If/Loop/Scan body). Names the body does not define resolve in enclosing scopes. */
  runSubgraph(graph: Graph, inputs: ReadonlyMap<string, Tensor>): Promise<Tensor[]>;
}

/**
 * One operator: its shape rules and its reference kernel, in one file (`ops/<kebab-name>.ts`).
 * The reference kernel is the correctness oracle that faster backends are tested against.
 */
export interface OpDef {
  /** ONNX op_type. */
  readonly type: string;
  /** Operator set domain; '' (ai.onnx) when absent. */
  readonly domain?: string;
  /** Output metadata from input metadata. Unknown parts stay undefined/null. */
  infer(ctx: InferContext): ValueMeta[];
  /** Reference implementation. */
  run(ctx: KernelContext): Tensor[] | Promise<Tensor[]>;
  /** Random operators are never folded at plan time. */
  readonly nondeterministic?: boolean;
}

/** Throws an Error with `message` unless `cond` holds (kernels' own checks; the executor adds node context). */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new Error(typeof message === 'string' ? message : message());
}

/** Returns input `i`, throwing a clear error when the model omitted a required input. */
export function input(ctx: KernelContext, i: number): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new Error(`input ${i} is required`);
  return t;
}
