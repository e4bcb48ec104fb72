/**
 * Attention fusion: the chain torch and OnnxStream exports spell attention with,
 *
 *   [Transpose(K, last two axes) ->] MatMul(Q, K^T) -> [Mul|Div by a scalar] -> [Add(mask)]
 *     -> Softmax(last axis) -> MatMul(., V)
 *
 * becomes one operator that never stores the (rows x keys) score matrix: AttentionFusedOps
 * (Q, K^T, scale, V) without a mask, ScaledDotProductAttention (Q, K, 1/scale, mask, V) with one
 * (4-D, K from the Transpose). Every intermediate must feed only the next link and not be
 * requested. With `slices`, AttentionFusedOps nodes carry OnnxStream's row slicing. A fused node
 * takes the final MatMul's name and lists the chain it replaces (fuse.ts, withFusedFrom).
 */
import type { AttrValue, Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { asNumbers, castTensor } from '../tensor/convert.js';
import { Tensor } from '../tensor/tensor.js';
import { withFusedFrom } from './fuse.js';

export interface AttentionFusionOptions {
  /** OnnxStream's attention slicing: score rows computed in this many slices (0: tiled, the default). */
  readonly slices?: number;
}

/**
 * The fused graph. The scale inputs of the fused nodes are new constants: their metadata is added
 * to `metas`.
 */
export function fuseAttention(
  nodes: readonly Node[],
  metas: Map<string, ValueMeta>,
  requested: ReadonlySet<string>,
  opsetOf: (node: Node) => number,
  options: AttentionFusionOptions = {},
): Node[] {
  const consumers = new Map<string, Node[]>();
  const producer = new Map<string, Node>();
  for (const n of nodes) {
    for (const name of n.inputs) if (name) consumers.set(name, [...(consumers.get(name) ?? []), n]);
    for (const o of n.outputs) if (o) producer.set(o, n);
  }
  const only = (value: string): Node | undefined => {
    const c = consumers.get(value);
    return c?.length === 1 && !requested.has(value) ? c[0] : undefined;
  };
  const is = (n: Node | undefined, type: string): n is Node => n?.domain === '' && n.opType === type;
  const rank = (name: string) => metas.get(name)?.dims?.length;
  const scalar = (name: string): number | undefined => {
    const v = metas.get(name)?.value;
    return v && v.size === 1 && (v.type === 'float32' || v.type === 'float16') ? asNumbers(v)[0] : undefined;
  };

  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const first of nodes) {
    if (!is(first, 'MatMul') || removed.has(first) || replaced.has(first)) continue;
    const [q, kt] = first.inputs;
    const r = rank(q);
    if (r === undefined || r < 3 || rank(kt) !== r) continue;
    const chain: Node[] = [first];
    let at = first.outputs[0];
    let next = only(at);
    // Scale.
    let scale = 1;
    if ((is(next, 'Mul') || is(next, 'Div')) && next.inputs.includes(at)) {
      const other = next.inputs[next.inputs[0] === at ? 1 : 0];
      const c = scalar(other);
      if (c === undefined || c === 0 || (is(next, 'Div') && next.inputs[1] !== other)) continue;
      scale = is(next, 'Mul') ? c : 1 / c;
      chain.push(next);
      at = next.outputs[0];
      next = only(at);
    }
    // Additive mask.
    let mask: string | undefined;
    if (is(next, 'Add') && next.inputs.includes(at)) {
      mask = next.inputs[next.inputs[0] === at ? 1 : 0];
      chain.push(next);
      at = next.outputs[0];
      next = only(at);
    }
    if (!is(next, 'Softmax') || !lastAxis(next, r, opsetOf(next))) continue;
    chain.push(next);
    at = next.outputs[0];
    const last = only(at);
    if (!is(last, 'MatMul') || last.inputs[0] !== at || rank(last.inputs[1]) !== r) continue;
    chain.push(last);
    const v = last.inputs[1];
    const base = { name: last.name, domain: '', outputs: last.outputs, source: first.source };
    const type = metas.get(q)?.type;
    if (type !== 'float32' && type !== 'float16') continue;
    const constant = (value: number) => {
      const name = `onnxstream::attention_scale::${type}::${value}`;
      const t = new Tensor('float32', [value], []);
      metas.set(name, { type, dims: [], value: type === 'float32' ? t : castTensor(t, type) });
      return name;
    };
    const transpose = producer.get(kt);
    const k = is(transpose, 'Transpose') && swapsLastTwo(transpose, r) ? transpose.inputs[0] : undefined;
    let fused: Node;
    if (mask === undefined) {
      const attributes = new Map<string, AttrValue>();
      if (options.slices) attributes.set('slices', { type: 'int', value: options.slices });
      // (n, rows, d) or (1, n, rows, d): the forms AttentionFusedOps takes.
      const leading = metas.get(q)?.dims?.[0];
      if (r === 4 && leading !== 1) continue;
      fused = {
        ...base,
        opType: 'AttentionFusedOps',
        inputs: [q, kt, constant(scale), v],
        attributes: withFusedFrom(attributes, chain),
      };
    } else {
      if (r !== 4 || k === undefined) continue;
      fused = {
        ...base,
        opType: 'ScaledDotProductAttention',
        inputs: [q, k, constant(1 / scale), mask, v],
        attributes: withFusedFrom(new Map(), chain),
      };
      // The Transpose goes too when the MatMul was its only reader.
      if (only(kt) === first) chain.push(transpose!);
    }
    for (const n of chain) removed.add(n);
    removed.delete(last);
    replaced.set(last, fused);
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}

/** Softmax over the last axis alone (before opset 13 the default axis is 1 and axes from it on are flattened). */
function lastAxis(softmax: Node, rank: number, opset: number): boolean {
  const a = softmax.attributes.get('axis');
  const axis = a?.type === 'int' ? a.value : opset < 13 ? 1 : -1;
  return axis === -1 || axis === rank - 1;
}

function swapsLastTwo(t: Node, rank: number): boolean {
  const p = t.attributes.get('perm');
  if (p?.type !== 'ints' || p.value.length !== rank) return false;
  return p.value.every((axis, i) => axis === (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2));
}
