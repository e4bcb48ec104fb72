/**
 * Compressed storage of held activations (OnnxStream's m_force_fp16_storage, uint8 qdq and
 * m_force_uint8_storage_set). A float tensor that waits for a reader further than the next operator
 * is stored as float16 (Cast) or dynamically quantised uint8 (StoreUint8) once its producer, or the
 * next operator that also reads it, has run; each later reader gets its own float copy made right
 * before it runs (Cast back, LoadUint8), freed right after. Operators keep computing in their own
 * type; what shrinks is what sits in memory between them: skip connections, concatenation inputs.
 */
import { implicitInputs, type Node } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { onnxCode } from '../tensor/dtype.js';
import { FUSED_DOMAIN } from './fuse.js';

export interface StorageOptions {
  /** Store held float32 activations as float16. */
  readonly fp16?: boolean;
  /** Store held float activations as uint8: all (true) or these value names. */
  readonly uint8?: boolean | ReadonlySet<string>;
}

/** Tensors smaller than this stay as they are: a cast would cost more than it saves. */
const MIN_ELEMENTS = 4096;

type Mode = 'float16' | 'uint8';

export function storeHeldValues(
  nodes: readonly Node[],
  metas: Map<string, ValueMeta>,
  requested: ReadonlySet<string>,
  options: StorageOptions,
): Node[] {
  if (!options.fp16 && !options.uint8) return [...nodes];
  const readers = new Map<string, number[]>();
  const implicit = new Set<string>();
  nodes.forEach((n, i) => {
    for (const name of n.inputs) if (name) readers.set(name, [...(readers.get(name) ?? []), i]);
    for (const name of implicitInputs(n)) implicit.add(name);
  });
  const modeOf = (name: string): Mode | undefined => {
    const m = metas.get(name);
    if (m?.kind || m?.value || requested.has(name) || implicit.has(name)) return undefined;
    const size = m?.dims?.every((d) => typeof d === 'number')
      ? m.dims.reduce<number>((a, d) => a * (d as number), 1)
      : Infinity;
    if (size < MIN_ELEMENTS) return undefined;
    const float = m?.type === 'float32' || m?.type === 'float16';
    const uint8 = options.uint8 === true || (options.uint8 instanceof Set && options.uint8.has(name));
    if (float && uint8) return 'uint8';
    if (options.fp16 && m?.type === 'float32') return 'float16';
    return undefined;
  };
  /** Per stored value: the node after which it is stored, and the readers that load it. */
  const storedAfter = new Map<number, string[]>();
  const loads = new Map<number, string[]>();
  const modes = new Map<string, Mode>();
  nodes.forEach((n, p) => {
    for (const name of n.outputs) {
      if (!name) continue;
      const list = readers.get(name) ?? [];
      const far = list.filter((r) => r > p + 1);
      const mode = far.length > 0 ? modeOf(name) : undefined;
      if (!mode) continue;
      modes.set(name, mode);
      // The next operator, when it reads the value too, reads it as it is.
      const at = list.includes(p + 1) ? p + 1 : p;
      storedAfter.set(at, [...(storedAfter.get(at) ?? []), name]);
      for (const r of new Set(far)) loads.set(r, [...(loads.get(r) ?? []), name]);
    }
  });

  const out: Node[] = [];
  const stored = (name: string) => `${name}::stored`;
  nodes.forEach((n, i) => {
    const loaded = new Map<string, string>();
    for (const name of loads.get(i) ?? []) {
      const target = `${name}::loaded@${n.name}`;
      const m = metas.get(name)!;
      metas.set(target, { type: m.type, dims: m.dims });
      out.push(
        convert(n, `load_${name}`, stored(name), target, modes.get(name)!, 'load', m.type === 'float16'),
      );
      loaded.set(name, target);
    }
    out.push(loaded.size ? { ...n, inputs: n.inputs.map((name) => loaded.get(name) ?? name) } : n);
    for (const name of storedAfter.get(i) ?? []) {
      const m = metas.get(name)!;
      const mode = modes.get(name)!;
      metas.set(stored(name), { type: mode, dims: m.dims });
      out.push(convert(n, `store_${name}`, name, stored(name), mode, 'store', m.type === 'float16'));
    }
  });
  return out;
}

function convert(
  near: Node,
  what: string,
  input: string,
  output: string,
  mode: Mode,
  direction: 'store' | 'load',
  half: boolean,
): Node {
  const base = { name: `${near.name}/${what}`, inputs: [input], outputs: [output], source: near.source };
  if (mode === 'float16') {
    const to = direction === 'store' ? 'float16' : 'float32';
    return {
      ...base,
      opType: 'Cast',
      domain: '',
      attributes: new Map([['to', { type: 'int', value: onnxCode(to) }]]),
    };
  }
  if (direction === 'store')
    return { ...base, opType: 'StoreUint8', domain: FUSED_DOMAIN, attributes: new Map() };
  const to = onnxCode(half ? 'float16' : 'float32');
  return {
    ...base,
    opType: 'LoadUint8',
    domain: FUSED_DOMAIN,
    attributes: new Map([['to', { type: 'int', value: to }]]),
  };
}
