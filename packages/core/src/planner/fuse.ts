/**
 * Operator fusion: rewrites producer + activation chains into one operator of our own domain, so
 * the intermediate tensor is never stored and a backend can apply the activation while the result
 * is still in registers.
 *
 *   Conv|Add -> Relu                 => FusedConv|FusedAdd (activation relu)
 *   Conv|Add -> Sigmoid              => ... (activation sigmoid)
 *   Conv|Add -> Sigmoid -> Mul(x, s) => ... (activation silu; torch's SiLU export)
 *   x -> Sigmoid -> Mul(x, s)        => Silu
 *
 * An intermediate is fused away only when the chain is its sole consumer and nobody asked for it.
 */
import { type AttrValue, implicitInputs, type Node } from '../graph/graph.js';

export const FUSED_DOMAIN = 'com.onnxstream';

const FUSED_PRODUCER: Record<string, string> = { Conv: 'FusedConv', Add: 'FusedAdd' };

export function fuseNodes(nodes: readonly Node[], requested: ReadonlySet<string>): Node[] {
  const consumers = new Map<string, Node[]>();
  const producer = new Map<string, Node>();
  for (const n of nodes) {
    for (const name of [...n.inputs, ...implicitInputs(n)]) {
      if (!name) continue;
      const list = consumers.get(name) ?? [];
      if (!list.includes(n)) list.push(n);
      consumers.set(name, list);
    }
    for (const o of n.outputs) if (o) producer.set(o, n);
  }
  /** The value feeds exactly these nodes and is not a requested output. */
  const onlyFeeds = (value: string, ...targets: Node[]) => {
    const c = consumers.get(value) ?? [];
    return !requested.has(value) && c.length === targets.length && targets.every((t) => c.includes(t));
  };
  const onnx = (n: Node, type: string): boolean => n.domain === '' && n.opType === type;

  const replaced = new Map<Node, Node>();
  const removed = new Set<Node>();

  /** Folds `activation` into the producer of `value` when possible; true if done. */
  const intoProducer = (value: string, activation: string, output: string, chain: Node[]): boolean => {
    const p = producer.get(value);
    if (!p || p.domain !== '' || !(p.opType in FUSED_PRODUCER) || replaced.has(p)) return false;
    if (p.outputs.length !== 1 || !onlyFeeds(value, ...chain)) return false;
    const attributes = new Map<string, AttrValue>(p.attributes);
    attributes.set('activation', { type: 'string', value: activation });
    replaced.set(p, {
      ...p,
      opType: FUSED_PRODUCER[p.opType],
      domain: FUSED_DOMAIN,
      outputs: [output],
      attributes,
    });
    for (const n of chain) removed.add(n);
    return true;
  };

  for (const n of nodes) {
    if (removed.has(n) || replaced.has(n)) continue;
    if (onnx(n, 'Relu')) {
      intoProducer(n.inputs[0], 'relu', n.outputs[0], [n]);
      continue;
    }
    if (!onnx(n, 'Sigmoid')) continue;
    const x = n.inputs[0];
    const s = n.outputs[0];
    const mul = consumers.get(s)?.[0];
    const pairs = (m: Node) =>
      (m.inputs[0] === x && m.inputs[1] === s) || (m.inputs[0] === s && m.inputs[1] === x);
    if (!mul || !onnx(mul, 'Mul') || !onlyFeeds(s, mul) || !pairs(mul)) {
      intoProducer(x, 'sigmoid', s, [n]);
      continue;
    }
    if (intoProducer(x, 'silu', mul.outputs[0], [n, mul])) continue;
    removed.add(n);
    replaced.set(mul, {
      name: mul.name,
      opType: 'Silu',
      domain: FUSED_DOMAIN,
      inputs: [x],
      outputs: mul.outputs,
      attributes: new Map(),
      source: mul.source,
    });
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}
