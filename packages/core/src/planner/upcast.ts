/**
 * float16 operators on backends with float32 kernels only. A node whose float16 signature the
 * backend does not support, but whose float32 signature it does, runs in float32 between casts on
 * that backend: its float16 inputs are cast up (weights are simply loaded as float32, constants cast
 * at plan time) and its float16 outputs cast back. Every operator's result is still rounded to
 * float16, as in OnnxStream's fp16 mode, and a fast backend is not left for the reference kernels.
 */
import type { Backend } from '../backend/backend.js';
import { computeTypeOf } from '../formats/weights.js';
import type { Graph, Node, WeightRef } from '../graph/graph.js';
import { Attributes } from '../ops/attributes.js';
import { findOp } from '../ops/index.js';
import type { ValueMeta } from '../ops/op.js';
import { castTensor } from '../tensor/convert.js';
import { onnxCode } from '../tensor/dtype.js';

export interface Upcast {
  readonly nodes: Node[];
  /** Weights loaded as float32 because only upcast nodes read them. */
  readonly weights: ReadonlyMap<string, WeightRef>;
}

const castNode = (from: Node, k: string, input: string, output: string, to: 'float32' | 'float16'): Node => ({
  name: `${from.name}/${k}`,
  opType: 'Cast',
  domain: '',
  inputs: [input],
  outputs: [output],
  attributes: new Map([['to', { type: 'int', value: onnxCode(to) }]]),
  source: from.source,
});

export function upcastNodes(
  nodes: readonly Node[],
  graph: Graph,
  metas: Map<string, ValueMeta>,
  backend: Backend,
): Upcast {
  const typesOf = (node: Node) => node.inputs.map((n) => (n ? metas.get(n)?.type : undefined));
  const opsetOf = (node: Node) => graph.opsets.get(node.domain) ?? graph.opsets.get('') ?? 1;
  const upcast = new Set<Node>();
  for (const node of nodes) {
    const types = typesOf(node);
    if (!types.includes('float16') || backend.supports(node, types, opsetOf(node))) continue;
    // Sequences and optionals stay with the reference backend.
    if ([...node.inputs, ...node.outputs].some((n) => n && metas.get(n)?.kind)) continue;
    const up = types.map((t) => (t === 'float16' ? 'float32' : t));
    if (backend.supports(node, up, opsetOf(node))) upcast.add(node);
  }
  // A float16 weight that only upcast nodes read is loaded as float32 (then packed like any other).
  const readers = new Map<string, Node[]>();
  for (const node of nodes) {
    for (const n of node.inputs) if (graph.weights.has(n)) readers.set(n, [...(readers.get(n) ?? []), node]);
  }
  const weights = new Map<string, WeightRef>();
  for (const [name, list] of readers) {
    const w = graph.weights.get(name)!;
    if (computeTypeOf(w) === 'float16' && list.every((n) => upcast.has(n))) {
      weights.set(name, { ...w, computeType: 'float32' });
      metas.set(name, { type: 'float32', dims: w.dims });
    }
  }
  const out: Node[] = [];
  for (const node of nodes) {
    if (!upcast.has(node)) {
      out.push(node);
      continue;
    }
    const inputs = node.inputs.map((n, i) => {
      const m = n ? metas.get(n) : undefined;
      if (!n || m?.type !== 'float16') return n;
      const up = `${n}::float32@${node.name}`;
      if (m.value) {
        metas.set(up, { type: 'float32', dims: m.dims, value: castTensor(m.value, 'float32') });
      } else {
        metas.set(up, { ...m, type: 'float32' });
        out.push(castNode(node, `upcast_${i}`, n, up, 'float32'));
      }
      return up;
    });
    // What the operator makes of float32 inputs: Cast, DequantizeLinear and the like keep the type
    // their attributes or other inputs name, and need no cast back.
    const made = findOp(node.domain, node.opType)?.infer({
      inputs: inputs.map((n) => (n ? metas.get(n) : undefined)),
      attrs: new Attributes(node.attributes),
      opset: opsetOf(node),
      outputCount: node.outputs.length,
      node,
    });
    const casts: Node[] = [];
    const outputs = node.outputs.map((n, k) => {
      const m = n ? metas.get(n) : undefined;
      if (!n || m?.type !== 'float16' || made?.[k]?.type !== 'float32') return n;
      const up = `${n}::float32`;
      metas.set(up, { ...m, type: 'float32' });
      casts.push(castNode(node, `downcast_${k}`, up, n, 'float16'));
      return up;
    });
    out.push({ ...node, inputs, outputs }, ...casts);
  }
  return { nodes: out, weights };
}
