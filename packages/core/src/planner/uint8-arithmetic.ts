/**
 * Static uint8 activations (OnnxStream's use_uint8_arithmetic with range_data.txt): the float output
 * of every Conv, MatMul, Add, Mul, Sigmoid, normalisation and Softmax is quantised to uint8 with its
 * operator's calibrated range right after the operator (StoreUint8), and each reader dequantises it
 * right before it runs (LoadUint8); model outputs stay float. Weights stored uint8 are dequantised
 * when they load or pack. Kernels compute in float on dequantised values: what this mode changes is
 * the memory activations take and their precision, as OnnxStream's qu8 path does.
 *
 * Fusion runs first (fuse.ts, fuse-attention.ts). A fused operator's output is quantised with the
 * range of the last operator of its chain that has one (Conv + Sigmoid + Mul: the Mul's; fused
 * attention: the final MatMul's; Conv + Relu: the Relu's, else the Conv's). The values inside a
 * fused chain are never stored, so they are not quantised: this is more precise than OnnxStream,
 * which rounds each of them to 256 levels (a SiLU's sigmoid, attention's scores and softmax).
 *
 * Lifetimes: StoreUint8 comes right after its producer and is the float output's only reader, so the
 * float dies there; each reader's LoadUint8 comes right before it and feeds only it, so the float
 * copy dies with that reader (or is overwritten in place by an elementwise kernel). What waits
 * between operators (skip connections, a value read twice) waits as uint8. fuse-uint8-io.ts then
 * folds the loads and stores into the convolutions and channel operators that can read and write
 * uint8 themselves, so that those whole float copies are not made at all.
 */
import { OperatorError } from '../errors.js';
import type { RangeData } from '../formats/onnxstream/range-data.js';
import type { Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { onnxCode } from '../tensor/dtype.js';
import { FUSED_DOMAIN, fusedFrom } from './fuse.js';

/** Operators whose outputs OnnxStream computes as uint8. */
export const UINT8_OPS: ReadonlySet<string> = new Set([
  'Conv',
  'MatMul',
  'Add',
  'Mul',
  'Sigmoid',
  'InstanceNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'Softmax',
]);

/** Softmax outputs lie in [0, 1]: OnnxStream fixes their scale at 1/256. */
const SOFTMAX_RANGE: readonly [number, number] = [0, 255 / 256];

type Range = readonly [number, number];

/**
 * The range `n`'s output is stored with: its own (a uint8 operator), or the last one along the chain
 * a fused node replaces (operators outside UINT8_OPS, such as a Relu, may lack one: the operator
 * before them decides then). Undefined when the output stays float.
 */
function rangeOf(n: Node, ranges: RangeData): Range | undefined {
  const chain = fusedFrom(n) ?? (n.domain === '' && UINT8_OPS.has(n.opType) ? [n] : []);
  for (let k = chain.length - 1; k >= 0; k--) {
    const { name, opType } = chain[k];
    if (opType === 'Softmax') return SOFTMAX_RANGE;
    const range = ranges.get(name);
    if (range) return range;
    if (UINT8_OPS.has(opType)) {
      const fused = name === n.name && opType === n.opType ? '' : ` (fused into ${n.opType} '${n.name}')`;
      throw new OperatorError(
        opType,
        name,
        `range data not found for this operator${fused} (calibrate the model first)`,
        n.source,
      );
    }
  }
  return undefined;
}

export function quantizeActivations(
  nodes: readonly Node[],
  metas: Map<string, ValueMeta>,
  requested: ReadonlySet<string>,
  ranges: RangeData,
): Node[] {
  const stored = new Map<string, string>();
  const out: Node[] = [];
  for (const n of nodes) {
    const loads: Node[] = [];
    const loaded = new Map<string, string>();
    const inputs = n.inputs.map((name) => {
      const q = stored.get(name);
      if (!q) return name;
      const target = `${name}::loaded@${n.name}`;
      if (loaded.has(name)) return target;
      loaded.set(name, target);
      metas.set(target, { ...metas.get(name)!, value: undefined });
      loads.push({
        name: `${n.name}/load_${name}`,
        opType: 'LoadUint8',
        domain: FUSED_DOMAIN,
        inputs: [q],
        outputs: [target],
        attributes: new Map([
          [
            'to',
            { type: 'int', value: onnxCode(metas.get(name)!.type === 'float16' ? 'float16' : 'float32') },
          ],
        ]),
        source: n.source,
      });
      return target;
    });
    out.push(...loads, loads.length ? { ...n, inputs } : n);
    const y = n.outputs[0];
    const m = y ? metas.get(y) : undefined;
    if (!y || requested.has(y)) continue;
    if (m?.kind || m?.value || (m?.type !== 'float32' && m?.type !== 'float16')) continue;
    const range = rangeOf(n, ranges);
    if (!range) continue;
    const q = `${y}::uint8`;
    metas.set(q, { type: 'uint8', dims: m.dims });
    stored.set(y, q);
    out.push({
      name: `${n.name}/store`,
      opType: 'StoreUint8',
      domain: FUSED_DOMAIN,
      inputs: [y],
      outputs: [q],
      attributes: new Map([
        ['min', { type: 'float', value: range[0] }],
        ['max', { type: 'float', value: range[1] }],
      ]),
      source: n.source,
    });
  }
  return out;
}
