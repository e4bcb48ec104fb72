/**
 * Helpers of the kernel operators beyond elementwise: attribute access at claim time, the
 * reference kernel as the fallback for shapes a C++ kernel does not cover (those a claim cannot
 * see, since supports() gets no shapes), and output-use checks.
 */
import { Attributes, type KernelCall, type Node, type Tensor } from '../../../index.js';

/** A node's attributes, typed like a kernel call's. */
export const attrsOf = (node: Node): Attributes => new Attributes(node.attributes);

/** Runs the operator's reference kernel: it computes the cases the C++ kernel leaves, or throws its error. */
export async function reference(call: KernelCall): Promise<Tensor[]> {
  return (await call.op.run(call)) as Tensor[];
}

/** Whether the node uses no output beyond the first `n` (unused optional outputs have empty names). */
export const usesOnlyOutputs = (node: Node, n: number): boolean => node.outputs.slice(n).every((o) => !o);

/** Whether the node gives no input at or after index `from`. */
export const omitsInputsFrom = (node: Node, from: number): boolean =>
  node.inputs.slice(from).every((i) => !i);

/** The elements of a float32 tensor's data, for kernels. */
export const f32 = (t: Tensor): Float32Array => t.data as Float32Array;

/** A tensor's data, for kernels taking float32 or float16 (by their element-type parameter). */
export const view = (t: Tensor): ArrayBufferView => t.data as ArrayBufferView;

/**
 * Output dims from the operator's shape rules, with the inputs' values known: for operators whose
 * output shape depends on an input's value (Resize's scales, Split's sizes, Slice's starts).
 */
export function valueDims(call: KernelCall, index = 0): number[] {
  const out = call.op.infer({
    inputs: call.inputs.map((t) => (t ? { type: t.type, dims: t.dims, value: t } : undefined)),
    attrs: call.attrs,
    opset: call.opset,
    outputCount: call.outputCount,
    node: call.node,
  });
  const dims = out[index]?.dims;
  if (!dims || dims.some((d) => typeof d !== 'number'))
    throw new Error(`output ${index} has no static shape`);
  return dims as number[];
}
