/**
 * Static uint8 activations (uint8-arithmetic.ts) put a LoadUint8 before every reader of a stored
 * value and a StoreUint8 after every quantised operator, so an operator still holds its whole
 * float32 input and its whole float32 output at once (SD's VAE decoder: 384 MiB for one 512x512
 * convolution). This pass folds both into the operator, as OnnxStream's kernels read and write uint8
 * directly, with the same arithmetic as the LoadUint8 and StoreUint8 it replaces, so the results
 * keep their bits:
 * - a 2-D Conv / FusedConv reads the uint8 value (dequantised as its input rows are copied) and
 *   writes uint8 (`store_min` / `store_max`: quantised a band of output at a time);
 * - an operator mapping each channel on its own (InstanceNormalization, Add, Mul, FusedAdd: SD's
 *   GroupNorm, its affine + SiLU and the residual Add) becomes a Uint8ChannelBlocks, run a block of
 *   channels at a time between uint8 tensors;
 * - a Reshape of a loaded value reshapes the uint8 value instead (the quantisation is per tensor), so
 *   that the load reaches the operator after it (SD's GroupNorm reshapes around its normalisation).
 */
import type { Node } from '../graph/graph.js';
import { CHANNEL_OPS, channelSlicing } from '../ops/fused/uint8-channel-blocks.js';
import type { ValueMeta } from '../ops/op.js';
import { onnxCode } from '../tensor/dtype.js';
import { FUSED_DOMAIN } from './fuse.js';

const isConv = (n: Node) =>
  (n.domain === '' && n.opType === 'Conv') || (n.domain === FUSED_DOMAIN && n.opType === 'FusedConv');
const isChannelOp = (n: Node) => CHANNEL_OPS.has(`${n.domain}::${n.opType}`);
const isLoad = (n: Node) => n.domain === FUSED_DOMAIN && n.opType === 'LoadUint8';
const isStore = (n: Node) => n.domain === FUSED_DOMAIN && n.opType === 'StoreUint8';
const toFloat32 = (load: Node) => load.attributes.get('to')?.value === onnxCode('float32');

/** Where each value is made and how many nodes read it. */
function index(nodes: readonly Node[]) {
  const producer = new Map<string, Node>();
  const readers = new Map<string, number>();
  const stores = new Map<string, Node>();
  for (const n of nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
    if (isStore(n)) stores.set(n.inputs[0], n);
  }
  /** The load (to float32) that makes `value` for its only reader. */
  const loadOf = (value: string) => {
    const load = producer.get(value);
    return load && isLoad(load) && toFloat32(load) && readers.get(value) === 1 ? load : undefined;
  };
  return { readers, stores, loadOf };
}

/** Reshapes of loaded values moved before the load: Reshape(uint8) -> LoadUint8. */
function reshapeStored(nodes: readonly Node[], metas: Map<string, ValueMeta>): Node[] {
  const { loadOf } = index(nodes);
  const moved = new Set<Node>();
  const out: Node[] = [];
  for (const n of nodes) {
    const load = n.domain === '' && n.opType === 'Reshape' ? loadOf(n.inputs[0]) : undefined;
    if (!load || !metas.get(n.outputs[0])?.dims) {
      out.push(n);
      continue;
    }
    moved.add(load);
    const y = n.outputs[0];
    const q = `${y}::uint8`;
    metas.set(q, { type: 'uint8', dims: metas.get(y)!.dims });
    out.push(
      { ...n, inputs: [load.inputs[0], ...n.inputs.slice(1)], outputs: [q] },
      { ...load, name: `${load.name}@reshaped`, inputs: [q], outputs: [y] },
    );
  }
  return out.filter((n) => !moved.has(n));
}

/** `nodes` as quantizeActivations wrote them, with loads and stores folded into the operators. */
export function fuseUint8Io(nodes: readonly Node[], metas: Map<string, ValueMeta>): Node[] {
  const reshaped = reshapeStored(nodes, metas);
  const { readers, stores, loadOf } = index(reshaped);
  const dropped = new Set<Node>();
  const folded = new Map<Node, Node>();
  for (const n of reshaped) {
    const y = n.outputs[0];
    const out = y ? metas.get(y) : undefined;
    const dims = out?.dims;
    if (
      !y ||
      n.outputs.length !== 1 ||
      out?.type !== 'float32' ||
      !dims?.every((d) => typeof d === 'number')
    ) {
      continue;
    }
    const store = stores.get(y);
    const stored = store?.attributes.has('min') && readers.get(y) === 1 ? store : undefined;
    let loads: (Node | undefined)[];
    if (isConv(n)) {
      if (dims.length !== 4) continue;
      loads = [loadOf(n.inputs[0])];
    } else if (isChannelOp(n)) {
      // Blocks of channels of one image, every input cut along them or whole, one of the output's shape.
      const slicing = n.inputs.map((name, i) => {
        const d = name ? metas.get(name)?.dims : undefined;
        return d?.every((v) => typeof v === 'number')
          ? channelSlicing(n.opType, i, d as number[], dims as number[])
          : undefined;
      });
      if (
        !stored ||
        dims[0] !== 1 ||
        dims.length < 3 ||
        slicing.some((s) => !s) ||
        !slicing.includes('full')
      ) {
        continue;
      }
      loads = n.inputs.map((name) => loadOf(name));
      if (!loads.some((l) => l)) continue;
    } else {
      continue;
    }
    const inputs = n.inputs.map((name, i) => loads[i]?.inputs[0] ?? name);
    for (const l of loads) if (l) dropped.add(l);
    const attributes = new Map(n.attributes);
    let outputs = n.outputs;
    if (stored) {
      dropped.add(stored);
      outputs = stored.outputs;
      attributes.set('store_min', stored.attributes.get('min')!);
      attributes.set('store_max', stored.attributes.get('max')!);
    }
    if (inputs.every((name, i) => name === n.inputs[i]) && outputs === n.outputs) continue;
    if (isConv(n)) {
      folded.set(n, { ...n, opType: 'FusedConv', domain: FUSED_DOMAIN, inputs, outputs, attributes });
      continue;
    }
    attributes.set('op', { type: 'string', value: n.opType });
    attributes.set('op_domain', { type: 'string', value: n.domain });
    folded.set(n, { ...n, opType: 'Uint8ChannelBlocks', domain: FUSED_DOMAIN, inputs, outputs, attributes });
  }
  return reshaped.filter((n) => !dropped.has(n)).map((n) => folded.get(n) ?? n);
}
