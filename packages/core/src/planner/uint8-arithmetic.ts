/**
 * Static uint8 activations (OnnxStream's use_uint8_arithmetic with range_data.txt): the float output
 * of every Conv, MatMul, Add, Mul, Sigmoid, normalisation and Softmax is quantised to uint8 with its
 * operator's calibrated range right after the operator, and each reader dequantises it right
 * before it runs; model outputs stay float. Weights stored uint8 are dequantised when they load or
 * pack. Kernels compute in float on dequantised values: what this mode changes is the memory
 * activations take and their precision, the same as OnnxStream's qu8 path produces.
 */
import { OperatorError } from '../errors.js';
import type { RangeData } from '../formats/onnxstream/range-data.js';
import type { Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { onnxCode } from '../tensor/dtype.js';
import { FUSED_DOMAIN } from './fuse.js';

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
    if (n.domain !== '' || !UINT8_OPS.has(n.opType) || !y || requested.has(y)) continue;
    if (m?.kind || m?.value || (m?.type !== 'float32' && m?.type !== 'float16')) continue;
    const range = n.opType === 'Softmax' ? SOFTMAX_RANGE : ranges.get(n.name);
    if (!range) {
      throw new OperatorError(
        n.opType,
        n.name,
        'range data not found for this operator (calibrate the model first)',
        n.source,
      );
    }
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
