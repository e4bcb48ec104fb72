/**
 * Calls one operator outside a graph (unit tests, benchmarks, tools): builds its kernel or
 * inference context from values and plain attribute values.
 */
import type { Backend } from '../../backend/backend.js';
import type { AttrValue, Graph, Node } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import { isTensor, type Value } from '../../tensor/value.js';
import { Attributes } from '../attributes.js';
import type { InferContext, KernelContext, OpDef, ValueMeta } from '../op.js';

/**
 * An attribute: an AttrValue as given, or a plain value typed by its shape: an integer is an int
 * and another number a float, numbers are ints when all are integers (floats otherwise), strings
 * are string(s), a Tensor a tensor and a Graph a graph. Attributes reads ints as floats and
 * integral floats as ints, so the guess never changes what an operator sees.
 */
export type AttrInput = AttrValue | number | string | readonly number[] | readonly string[] | Tensor | Graph;

export interface CallOptions {
  /** Run on this backend (its `run`) instead of the operator's reference kernel. */
  readonly backend?: Backend;
  /** The opset the operator sees; by default a large number: each operator's newest semantics. */
  readonly opset?: number;
  readonly outputCount?: number;
  /** The subgraph runner (modifier subgraphs, If/Loop bodies); rejects by default. */
  readonly runSubgraph?: KernelContext['runSubgraph'];
}

const NEWEST = Number.MAX_SAFE_INTEGER;

function attrValue(v: AttrInput): AttrValue {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  if (v instanceof Tensor) return { type: 'tensor', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { type: 'strings', value: v as readonly string[] };
    const nums = v as readonly number[];
    return nums.every(Number.isInteger) ? { type: 'ints', value: nums } : { type: 'floats', value: nums };
  }
  if ('nodes' in v) return { type: 'graph', value: v };
  return v as AttrValue;
}

/** Everything of a kernel or inference context but the inputs: a node with `inputCount` inputs. */
function contextFor(
  op: OpDef,
  inputCount: number,
  attrs: Readonly<Record<string, AttrInput>>,
  options: CallOptions,
): Omit<InferContext, 'inputs'> {
  const outputCount = options.outputCount ?? 1;
  const node: Node = {
    name: op.type,
    opType: op.type,
    domain: op.domain ?? '',
    inputs: Array.from({ length: inputCount }, (_, i) => `in${i}`),
    outputs: Array.from({ length: outputCount }, (_, i) => `out${i}`),
    attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, attrValue(v)])),
  };
  return { attrs: new Attributes(node.attributes), opset: options.opset ?? NEWEST, outputCount, node };
}

/** Runs `op`'s kernel; undefined inputs are omitted optional ones. */
export async function callKernel(
  op: OpDef,
  inputs: readonly (Value | undefined)[],
  attrs: Readonly<Record<string, AttrInput>> = {},
  options: CallOptions = {},
): Promise<Value[]> {
  const ctx = {
    ...contextFor(op, inputs.length, attrs, options),
    inputs: inputs.map((v) => (isTensor(v) ? v : undefined)),
    values: inputs,
    runSubgraph: options.runSubgraph ?? (() => Promise.reject(new Error('no subgraph runner'))),
  };
  return options.backend ? options.backend.run({ ...ctx, op }) : op.run(ctx);
}

/** `callKernel` for operators whose outputs are all tensors. */
export async function callTensorKernel(
  op: OpDef,
  inputs: readonly (Value | undefined)[],
  attrs: Readonly<Record<string, AttrInput>> = {},
  options: CallOptions = {},
): Promise<Tensor[]> {
  const outs = await callKernel(op, inputs, attrs, options);
  return outs.map((v, i) => {
    if (!isTensor(v)) throw new Error(`${op.type} output ${i} is ${v}, not a tensor`);
    return v;
  });
}

/** Runs `op`'s shape inference on input metadata. */
export function callInfer(
  op: OpDef,
  inputs: readonly (ValueMeta | undefined)[],
  attrs: Readonly<Record<string, AttrInput>> = {},
  options: Omit<CallOptions, 'runSubgraph'> = {},
): ValueMeta[] {
  return op.infer({ ...contextFor(op, inputs.length, attrs, options), inputs });
}
