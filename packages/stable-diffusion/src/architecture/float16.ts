/**
 * float16 variants of a generated graph.
 *
 * - 'weights' (default): parameters are stored as float16 and each is Cast to float32 right before
 *   its first use; inputs, outputs, constants and arithmetic stay float32. Half the file size; runs
 *   the same in onnxruntime's CPU provider and in our engine (which may also compute in float16 with
 *   `fp16Arithmetic`, like OnnxStream's unet_fp16).
 * - 'full': every float32 value becomes float16 (parameters, constants, inputs, outputs, Cast targets),
 *   like diffusers' `--fp16` ONNX exports.
 */
import {
  type ElemType,
  type GraphSpec,
  type InitializerSpec,
  type NodeSpec,
  ONNX_TYPE,
} from './graph-builder.js';

export type Float16Mode = 'weights' | 'full';

const half = (t: ElemType): ElemType => (t === 'float32' ? 'float16' : t);

export function toFloat16(graph: GraphSpec, mode: Float16Mode = 'weights'): GraphSpec {
  if (mode === 'full') {
    // Resize's roi and scales are float32 whatever the data type.
    const keep = new Set(graph.nodes.filter((n) => n.op === 'Resize').flatMap((n) => n.inputs.slice(1, 3)));
    return {
      ...graph,
      inputs: graph.inputs.map((v) => ({ ...v, type: half(v.type) })),
      outputs: graph.outputs.map((v) => ({ ...v, type: half(v.type) })),
      initializers: graph.initializers.map((i) => (keep.has(i.name) ? i : { ...i, type: half(i.type) })),
      nodes: graph.nodes.map((n) => {
        const to = n.attrs.to;
        if (n.op !== 'Cast' || !to || !('i' in to) || to.i !== ONNX_TYPE.float32) return n;
        return { ...n, attrs: { ...n.attrs, to: { i: ONNX_TYPE.float16 } } };
      }),
    };
  }
  const converted = new Map<string, string>();
  const initializers: InitializerSpec[] = graph.initializers.map((i) => {
    if (!i.parameter || i.type !== 'float32') return i;
    converted.set(i.name, `${i.name}/Cast_output_0`);
    return { ...i, type: 'float16' };
  });
  const nodes: NodeSpec[] = [];
  const cast = new Set<string>();
  for (const n of graph.nodes) {
    for (const input of n.inputs) {
      const to = converted.get(input);
      if (!to || cast.has(input)) continue;
      cast.add(input);
      nodes.push({
        op: 'Cast',
        name: `/${input}/Cast`,
        inputs: [input],
        outputs: [to],
        attrs: { to: { i: ONNX_TYPE.float32 } },
      });
    }
    nodes.push(converted.size ? { ...n, inputs: n.inputs.map((i) => converted.get(i) ?? i) } : n);
  }
  return { ...graph, initializers, nodes };
}
