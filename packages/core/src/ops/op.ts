import type { Dim, Graph, Node } from '../graph/graph.js';
import type { DataType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OptionalKind, Value } from '../tensor/value.js';
import type { Attributes } from './attributes.js';

/**
 * What the planner knows about a value before running: type, shape (dims may be unknown) and, for
 * constants, the value. For sequences and optionals `type` is the type of the tensors inside.
 */
export interface ValueMeta {
  /** Absent for tensors. */
  readonly kind?: 'sequence' | 'optional';
  /** For optionals: what the optional holds, when known. */
  readonly optionalOf?: OptionalKind;
  readonly type?: DataType;
  /** Tensor dims (for sequences and optionals: undefined unless the operator knows every element's). */
  readonly dims?: readonly Dim[];
  /** Known at plan time (tensors only): the planner folds operators whose inputs are all known. */
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
  /** One entry per node input; undefined for omitted optional inputs and for sequences and optionals. */
  readonly inputs: readonly (Tensor | undefined)[];
  /** Every input as given (tensor, sequence or optional); undefined for omitted optional inputs. */
  readonly values: readonly (Value | undefined)[];
  readonly attrs: Attributes;
  readonly opset: number;
  readonly outputCount: number;
  readonly node: Node;
  /**
   * Inputs whose buffer the kernel may overwrite and return as an output: their value dies with this
   * operator and nothing else views its memory. Elementwise kernels then write in place, so a chain
   * of them holds one buffer instead of two.
   */
  readonly donated?: readonly boolean[];
  /** Runs a subgraph (If/Loop/Scan body). Names the body does not define resolve in enclosing scopes. */
  runSubgraph(graph: Graph, inputs: ReadonlyMap<string, Value>): Promise<Value[]>;
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
  run(ctx: KernelContext): Value[] | Promise<Value[]>;
  /** Random operators are never folded at plan time. */
  readonly nondeterministic?: boolean;
}

/** Throws an Error with `message` unless `cond` holds (kernels' own checks; the executor adds node context). */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new Error(typeof message === 'string' ? message : message());
}

/** Returns input `i`, throwing a clear error when the model omitted a required input or gave a non-tensor. */
export function input(ctx: KernelContext, i: number): Tensor {
  const t = ctx.inputs[i];
  if (t) return t;
  const v = ctx.values[i];
  throw new Error(v ? `input ${i} must be a tensor, got ${v}` : `input ${i} is required`);
}
