/**
 * Memory-aware ordering. Exporters emit a node where the model's code computes it, which can keep a
 * large value alive much longer than needed: diffusers' ResNet blocks apply `conv_shortcut` to the
 * block's input only after norm1, conv1, norm2 and conv2, so that input (256 channels at 512x512 in
 * SD's VAE decoder: 268 MB) stays alive across the whole block, although the shortcut's output is
 * half its size. When a value's last reader could run as soon as the value's other readers start,
 * and its output is smaller than the value, running it there lets the value die earlier.
 */
import { type Graph, implicitInputs, type Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { DTYPES } from '../tensor/dtype.js';

/**
 * Reorders `nodes` (topologically sorted): each node that is the last reader of a larger value and
 * whose inputs are all available earlier moves to just before that value's previous reader. Values
 * of unknown size are left alone. The result is still topologically sorted.
 */
export function hoistShrinkingReaders(
  nodes: readonly Node[],
  metas: ReadonlyMap<string, ValueMeta>,
  graph: Graph,
  requested: ReadonlySet<string>,
): Node[] {
  const order = [...nodes];
  const bytesOf = (name: string): number | undefined => {
    const m = metas.get(name);
    if (!m?.dims || !m.type || m.kind || m.dims.some((d) => typeof d !== 'number')) return undefined;
    return (m.dims as number[]).reduce((a, b) => a * b, 1) * DTYPES[m.type].bytes;
  };
  const runtime = (name: string) => name !== '' && !graph.weights.has(name) && !metas.get(name)?.value;
  // Random operators keep their order (a seeded stream's draws must not change hands).
  const movable = (n: Node) =>
    n.outputs.length === 1 &&
    implicitInputs(n).length === 0 &&
    !/^Random|^Bernoulli|^Multinomial/.test(n.opType);
  // Positions in `order`, and each runtime value's producer and readers, so finding them costs no
  // scan of the whole order per node (a quadratic 14 ms on SD's UNet).
  const position = new Map<Node, number>();
  for (const [k, n] of order.entries()) position.set(n, k);
  const producer = new Map<string, Node>();
  const readersOf = new Map<string, Node[]>();
  for (const n of order) {
    for (const name of n.outputs) producer.set(name, n);
    for (const name of new Set(n.inputs)) {
      const list = readersOf.get(name);
      if (list) list.push(n);
      else readersOf.set(name, [n]);
    }
  }
  for (let j = 0; j < order.length; j++) {
    const node = order[j];
    if (!movable(node)) continue;
    const out = bytesOf(node.outputs[0]);
    if (out === undefined) continue;
    // Where this node's inputs are all produced: it cannot run before `ready`.
    let ready = 0;
    for (const name of node.inputs) {
      if (!runtime(name)) continue;
      const at = position.get(producer.get(name) as Node);
      if (at !== undefined && at < j) ready = Math.max(ready, at + 1);
    }
    // The best target: the earliest position at which one of its inputs, larger than its output,
    // would die (its previous reader), among inputs this node reads last.
    let target = j;
    for (const name of node.inputs) {
      if (!runtime(name) || requested.has(name)) continue;
      const size = bytesOf(name);
      if (size === undefined || size <= out) continue;
      const readers = (readersOf.get(name) ?? []).map((n) => position.get(n) as number);
      if (readers.length < 2) continue;
      // The last two reader positions.
      let last = -1;
      let previous = -1;
      for (const k of readers) {
        if (k > last) {
          previous = last;
          last = k;
        } else if (k > previous) previous = k;
      }
      if (last !== j) continue;
      // Right after its previous reader, the value dies there anyway.
      if (previous >= ready && previous < target && previous < j - 1) target = previous;
    }
    if (target < j) {
      order.splice(j, 1);
      order.splice(target, 0, node);
      for (let k = target; k <= j; k++) position.set(order[k], k);
    }
  }
  return order;
}
