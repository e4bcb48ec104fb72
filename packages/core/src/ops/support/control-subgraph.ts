/**
 * Shared pieces of the control-flow operators (If, Loop, Scan, SequenceMap): calling a body with
 * positional inputs and reading what a body declares about its outputs.
 */
import type { Dim, Graph, ValueInfo } from '../../graph/graph.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Value } from '../../tensor/value.js';
import { check, type KernelContext, type ValueMeta } from '../op.js';
import type { StackShape } from './control-slices.js';

/**
 * Runs `body` with its declared inputs bound in order to `values`; returns its outputs in order.
 * Values of any kind pass through (Loop-carried sequences, If branches returning optionals).
 */
export async function runBody(ctx: KernelContext, body: Graph, values: readonly Value[]): Promise<Value[]> {
  check(
    body.inputs.length === values.length,
    () => `the body graph declares ${body.inputs.length} inputs, the operator passes ${values.length}`,
  );
  const feeds = new Map(body.inputs.map((info, i) => [info.name, values[i]]));
  const outs = await ctx.runSubgraph(body, feeds);
  check(
    outs.every((t) => t !== undefined),
    'the body graph did not produce all of its outputs',
  );
  return outs;
}

/** Every value must be a tensor (Scan states and outputs, Loop scan outputs); `what` names them. */
export function tensorsOnly(values: readonly Value[], what: string): Tensor[] {
  return values.map((v, i) => {
    check(v instanceof Tensor, () => `${what} ${i} must be a tensor, got ${v}`);
    return v;
  });
}

/** Plan-time metadata of a value a body declares (kind, type and dims, symbolic dims unknown). */
export function declaredMeta(info: ValueInfo | undefined): ValueMeta {
  if (info?.nonTensor === 'sequence') return { kind: 'sequence', type: info.elementType };
  if (info?.nonTensor === 'optional') {
    return { kind: 'optional', optionalOf: info.optionalOf, type: info.elementType };
  }
  return { type: info?.type, dims: declaredDims(info) };
}

/**
 * Declared dims of a body value, as dims of the enclosing graph: symbolic names are local to the
 * body, so they become unknown.
 */
export function declaredDims(info: ValueInfo | undefined): Dim[] | undefined {
  return info?.dims?.map((d) => (typeof d === 'number' ? d : null));
}

/** Dims both candidates agree on (unknown where they differ); undefined when the ranks differ. */
export function mergeDims(a: readonly Dim[] | undefined, b: readonly Dim[] | undefined): Dim[] | undefined {
  if (!a || !b || a.length !== b.length) return undefined;
  return a.map((d, i) => (d === b[i] ? d : null));
}

/**
 * The shape of an empty per-iteration output (a loop that ran zero times): what the body declares,
 * with unknown dims taken as 0 so the stacked result has no elements either way.
 */
export function declaredStackShape(info: ValueInfo | undefined): StackShape {
  return {
    type: info?.type ?? 'float32',
    dims: (info?.dims ?? []).map((d) => (typeof d === 'number' ? d : 0)),
  };
}

/** A rank-0 int64 tensor (iteration counters). */
export function int64Scalar(v: number): Tensor {
  return new Tensor('int64', BigInt64Array.of(BigInt(v)), []);
}

/** A rank-0 bool tensor (loop conditions). */
export function boolScalar(v: boolean): Tensor {
  return new Tensor('bool', Uint8Array.of(v ? 1 : 0), []);
}
