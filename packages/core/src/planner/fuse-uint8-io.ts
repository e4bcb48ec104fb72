/**
 * Static uint8 activations (uint8-arithmetic.ts) put a LoadUint8 before every reader of a stored
 * value and a StoreUint8 after every quantised operator, so a convolution still holds its whole
 * float32 input and its whole float32 output at once (SD's VAE decoder: 384 MiB for one 512x512
 * convolution). This pass folds both into the convolution, as OnnxStream's kernels read and write
 * uint8 directly: the 2-D Conv / FusedConv reads the uint8 value (dequantised as its input rows are
 * copied) and writes uint8 (`store_min` / `store_max`: quantised a band of output at a time), with
 * the same arithmetic as the LoadUint8 and StoreUint8 it replaces, so the results keep their bits.
 */
import type { Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { onnxCode } from '../tensor/dtype.js';
import { FUSED_DOMAIN } from './fuse.js';

const isConv = (n: Node) =>
  (n.domain === '' && n.opType === 'Conv') || (n.domain === FUSED_DOMAIN && n.opType === 'FusedConv');
const isLoad = (n: Node) => n.domain === FUSED_DOMAIN && n.opType === 'LoadUint8';
const isStore = (n: Node) => n.domain === FUSED_DOMAIN && n.opType === 'StoreUint8';

/** `nodes` as quantizeActivations wrote them, with the loads and stores of 2-D convolutions folded in. */
export function fuseUint8ConvIo(nodes: readonly Node[], metas: ReadonlyMap<string, ValueMeta>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o) producer.set(o, i);
  });
  const readers = new Map<string, number>();
  const stores = new Map<string, Node>();
  for (const n of nodes) {
    for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
    if (isStore(n)) stores.set(n.inputs[0], n);
  }
  const dropped = new Set<Node>();
  const folded = new Map<Node, Node>();
  for (const conv of nodes) {
    const x = conv.inputs[0];
    if (!isConv(conv) || !x || metas.get(x)?.dims?.length !== 4) continue;
    let inputs = conv.inputs;
    const load = nodes[producer.get(x) ?? -1];
    // Loads made for this reader alone, to float32 (a float16 model keeps its loads).
    if (
      load &&
      isLoad(load) &&
      readers.get(x) === 1 &&
      load.attributes.get('to')?.value === onnxCode('float32')
    ) {
      dropped.add(load);
      inputs = [load.inputs[0], ...conv.inputs.slice(1)];
    }
    let outputs = conv.outputs;
    const attributes = new Map(conv.attributes);
    const y = conv.outputs[0];
    const store = y ? stores.get(y) : undefined;
    // A static store (range attributes), the float output's only reader.
    if (store?.attributes.has('min') && readers.get(y) === 1 && metas.get(y)?.type === 'float32') {
      dropped.add(store);
      outputs = store.outputs;
      attributes.set('store_min', store.attributes.get('min')!);
      attributes.set('store_max', store.attributes.get('max')!);
    }
    if (inputs === conv.inputs && outputs === conv.outputs) continue;
    folded.set(conv, { ...conv, opType: 'FusedConv', domain: FUSED_DOMAIN, inputs, outputs, attributes });
  }
  return nodes.filter((n) => !dropped.has(n)).map((n) => folded.get(n) ?? n);
}
