/**
 * Operator fusion: rewrites producer + activation chains into one operator of our own domain, so
 * the intermediate tensor is never stored and a backend can apply the activation while the result
 * is still in registers.
 *
 *   Conv|Add -> Relu                 => FusedConv|FusedAdd (activation relu)
 *   Conv|Add -> Sigmoid              => ... (activation sigmoid)
 *   Conv|Add -> Sigmoid -> Mul(x, s) => ... (activation silu; torch's SiLU export)
 *   x -> Sigmoid -> Mul(x, s)        => Silu
 *   Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5), or Mul(x, 0.5) -> Mul(Add(1)) => Gelu
 *     (torch's GELU export; also Mul(x, 1/sqrt 2) for the Div)
 *   Split(last axis, halves) -> [h, g]; Gelu(g) -> Mul(h, .)  => Geglu (diffusers' GEGLU)
 *   MatMul(x, weight) -> [Add(bias)] -> Geglu                 => MatMulGeglu (GEGLU's projection)
 *   MatMulGeglu -> MatMul(., out) -> [Add(outBias)]           => MatMulGeglu (the whole feed-forward)
 *   Resize(nearest 2x, asymmetric) -> Conv|FusedConv          => FusedConv (upsample 2)
 *
 * An intermediate is fused away only when the chain is its sole consumer and nobody asked for it.
 * A fused node keeps its name (the producer's, or the chain's last operator's) and lists the
 * operators it replaces, in order, in its `fused_names` / `fused_types` attributes (see fusedFrom):
 * uint8 arithmetic quantises its output with the range of the chain's last operator.
 */
import { type AttrValue, implicitInputs, type Node } from '../graph/graph.js';
import { Attributes } from '../ops/attributes.js';
import type { ValueMeta } from '../ops/op.js';
import { asNumbers } from '../tensor/convert.js';

export const FUSED_DOMAIN = 'com.onnxstream';

const FUSED_PRODUCER: Record<string, string> = { Conv: 'FusedConv', Add: 'FusedAdd' };

/** Attributes of a fused node naming the operators it replaces, in graph order. */
const FUSED_NAMES = 'fused_names';
const FUSED_TYPES = 'fused_types';

/** `attributes` plus the names and types of `chain`, the original operators of a fused node. */
export function withFusedFrom(
  attributes: ReadonlyMap<string, AttrValue>,
  chain: readonly Node[],
): Map<string, AttrValue> {
  const out = new Map(attributes);
  out.set(FUSED_NAMES, { type: 'strings', value: chain.map((n) => n.name) });
  out.set(FUSED_TYPES, { type: 'strings', value: chain.map((n) => n.opType) });
  return out;
}

/** The original operators (ai.onnx) a fused node replaces, in graph order; undefined for others. */
export function fusedFrom(node: Node): { name: string; opType: string }[] | undefined {
  const names = node.attributes.get(FUSED_NAMES);
  const types = node.attributes.get(FUSED_TYPES);
  if (names?.type !== 'strings' || types?.type !== 'strings') return undefined;
  return names.value.map((name, i) => ({ name, opType: types.value[i] }));
}

/**
 * `fixed` tells the values known before a run (weights and constants): a MatMul by one is a linear
 * layer. `sliced` tells the weights the run will read a block of rows at a time (weightSlices).
 */
export function fuseNodes(
  nodes: readonly Node[],
  requested: ReadonlySet<string>,
  metas: ReadonlyMap<string, ValueMeta>,
  fixed: (value: string) => boolean = (value) => metas.get(value)?.value !== undefined,
  sliced: (weight: string) => boolean = () => false,
): Node[] {
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
  /** The one consumer of `value`, when it is an ai.onnx `type` node and nobody asked for the value. */
  const soleConsumer = (value: string, type: string): Node | undefined => {
    const c = consumers.get(value);
    return c?.length === 1 && onnx(c[0], type) && onlyFeeds(value, c[0]) ? c[0] : undefined;
  };
  /** Whether `value` is a constant scalar within 1e-3 of `want` (float16 constants round). */
  const constant = (value: string | undefined, want: number): boolean => {
    const v = value === undefined ? undefined : metas.get(value)?.value;
    return (
      v !== undefined &&
      v.size === 1 &&
      (v.type === 'float32' || v.type === 'float16') &&
      Math.abs(asNumbers(v)[0] - want) < 1e-3
    );
  };
  /** The other input of a binary node that has `value` as one input. */
  const other = (n: Node, value: string): string | undefined =>
    n.inputs[0] === value ? n.inputs[1] : n.inputs[1] === value ? n.inputs[0] : undefined;
  /** The nodes after Erf of torch's GELU chain over `x` and the node writing its result, if it is one. */
  const geluTail = (erf: Node, x: string): { chain: Node[]; last: Node } | undefined => {
    const add = soleConsumer(erf.outputs[0], 'Add');
    if (!add || !constant(other(add, erf.outputs[0]), 1)) return undefined;
    const mul = soleConsumer(add.outputs[0], 'Mul');
    const factor = mul && other(mul, add.outputs[0]);
    if (!mul || !factor) return undefined;
    if (factor === x) {
      // x * (1 + erf) * 0.5
      const half = soleConsumer(mul.outputs[0], 'Mul');
      return half && constant(other(half, mul.outputs[0]), 0.5)
        ? { chain: [add, mul], last: half }
        : undefined;
    }
    // (x * 0.5) * (1 + erf)
    const half = producer.get(factor);
    if (!half || !onnx(half, 'Mul') || !onlyFeeds(factor, mul) || !constant(other(half, x), 0.5))
      return undefined;
    return { chain: [add, half], last: mul };
  };
  const fuseGelu = (erf: Node): void => {
    const scale = producer.get(erf.inputs[0]);
    if (!scale || !onlyFeeds(erf.inputs[0], erf)) return;
    const [a, b] = scale.inputs;
    let input: string;
    if (onnx(scale, 'Div') && constant(b, Math.SQRT2)) input = a;
    else if (onnx(scale, 'Mul') && constant(b, Math.SQRT1_2)) input = a;
    else if (onnx(scale, 'Mul') && constant(a, Math.SQRT1_2)) input = b;
    else return;
    const tail = geluTail(erf, input);
    if (!tail || [scale, erf, ...tail.chain, tail.last].some((n) => removed.has(n) || replaced.has(n)))
      return;
    for (const n of [scale, erf, ...tail.chain]) removed.add(n);
    replaced.set(tail.last, {
      name: tail.last.name,
      opType: 'Gelu',
      domain: FUSED_DOMAIN,
      inputs: [input],
      outputs: tail.last.outputs,
      attributes: withFusedFrom(new Map(), [scale, erf, ...tail.chain, tail.last]),
      source: tail.last.source,
    });
  };

  /** Folds `activation` into the producer of `value` when possible; true if done. */
  const intoProducer = (value: string, activation: string, output: string, chain: Node[]): boolean => {
    const p = producer.get(value);
    if (!p || p.domain !== '' || !(p.opType in FUSED_PRODUCER) || replaced.has(p)) return false;
    if (p.outputs.length !== 1 || !onlyFeeds(value, ...chain)) return false;
    const attributes = withFusedFrom(p.attributes, [p, ...chain]);
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
    if (onnx(n, 'Erf')) {
      fuseGelu(n);
      continue;
    }
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
      attributes: withFusedFrom(new Map(), [n, mul]),
      source: mul.source,
    });
  }
  const fused = fuseMatMulGeglu(
    fuseGeglu(
      nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n),
      requested,
      metas,
    ),
    requested,
    metas,
    fixed,
    sliced,
  );

  // A nearest 2x Resize read only by a convolution: the convolution reads its input through the
  // upsampling (FusedConv `upsample`), so the upsampled copy (4x the input) is never made.
  const isUpsample2x = (r: Node): boolean => {
    if (!onnx(r, 'Resize') || r.inputs.length < 3 || r.attributes.has('axes')) return false;
    // Attributes.string also reads OnnxStream's untyped model.txt attributes.
    const attrs = new Attributes(r.attributes);
    const a = (k: string, d: string) => attrs.string(k, d);
    if (
      a('mode', 'nearest') !== 'nearest' ||
      a('coordinate_transformation_mode', 'half_pixel') !== 'asymmetric'
    )
      return false;
    if (!['floor', 'round_prefer_floor'].includes(a('nearest_mode', 'round_prefer_floor'))) return false;
    const dims = metas.get(r.inputs[0])?.dims;
    if (dims?.length !== 4 || dims.some((d) => typeof d !== 'number')) return false;
    const [scales, sizes] = [r.inputs[2], r.inputs[3]].map((v) => (v ? metas.get(v)?.value : undefined));
    const want = scales
      ? [1, 1, 2, 2]
      : [...(dims as number[]).slice(0, 2), ...(dims as number[]).slice(2).map((d) => 2 * d)];
    const given = scales ?? sizes;
    return (
      given !== undefined && given.size === 4 && Array.from(asNumbers(given)).every((v, i) => v === want[i])
    );
  };
  const upsamplers = new Set<Node>();
  const result = fused.map((n) => {
    const conv = onnx(n, 'Conv') || (n.domain === FUSED_DOMAIN && n.opType === 'FusedConv');
    const r = conv ? producer.get(n.inputs[0]) : undefined;
    const readers = r ? (consumers.get(r.outputs[0]) ?? []) : [];
    if (!r || removed.has(r) || replaced.has(r) || readers.length !== 1 || requested.has(r.outputs[0]))
      return n;
    if (!isUpsample2x(r)) return n;
    upsamplers.add(r);
    const chain = fusedFrom(n) ?? [{ name: n.name, opType: n.opType }];
    const attributes = new Map(n.attributes);
    attributes.set(FUSED_NAMES, { type: 'strings', value: [r.name, ...chain.map((c) => c.name)] });
    attributes.set(FUSED_TYPES, { type: 'strings', value: [r.opType, ...chain.map((c) => c.opType)] });
    attributes.set('upsample', { type: 'int', value: 2 });
    return {
      ...n,
      opType: 'FusedConv',
      domain: FUSED_DOMAIN,
      inputs: [r.inputs[0], ...n.inputs.slice(1)],
      attributes,
    };
  });
  return result.filter((n) => !upsamplers.has(n));
}

/** Each value's readers. */
function readersOf(nodes: readonly Node[]): Map<string, Node[]> {
  const readers = new Map<string, Node[]>();
  for (const n of nodes) {
    for (const name of [...n.inputs, ...implicitInputs(n)]) {
      if (name) readers.set(name, [...(readers.get(name) ?? []), n]);
    }
  }
  return readers;
}

/**
 * diffusers' GEGLU: Split of the last axis into [h, gate], GELU (already fused) on the gate, h times
 * that: one Geglu over the unsplit input, so the halves are never copied out (at SD's 64x64 blocks
 * the projection is 40 MiB and its halves another 40).
 */
function fuseGeglu(
  nodes: readonly Node[],
  requested: ReadonlySet<string>,
  metas: ReadonlyMap<string, ValueMeta>,
): Node[] {
  const consumers = readersOf(nodes);
  const sole = (value: string): Node | undefined => {
    const c = consumers.get(value);
    return c?.length === 1 && !requested.has(value) ? c[0] : undefined;
  };
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const split of nodes) {
    if (split.domain !== '' || split.opType !== 'Split' || split.outputs.length !== 2) continue;
    const x = metas.get(split.inputs[0]);
    if ((x?.type !== 'float32' && x?.type !== 'float16') || !x.dims || x.kind) continue;
    const width = x.dims[x.dims.length - 1];
    const attrs = new Attributes(split.attributes);
    const axis = attrs.int('axis', 0);
    if (typeof width !== 'number' || width % 2 !== 0 || (axis !== -1 && axis !== x.dims.length - 1)) continue;
    const sizes = split.inputs[1] ? metas.get(split.inputs[1])?.value : undefined;
    const given = sizes
      ? Array.from(asNumbers(sizes))
      : attrs.has('split')
        ? [...attrs.ints('split')]
        : undefined;
    if (split.inputs[1] && !sizes) continue;
    if (given && (given.length !== 2 || given[0] !== width / 2 || given[1] !== width / 2)) continue;
    const [h, gate] = split.outputs;
    const gelu = sole(gate);
    if (!gelu || gelu.domain !== FUSED_DOMAIN || gelu.opType !== 'Gelu') continue;
    const mul = sole(gelu.outputs[0]);
    if (!mul || mul.domain !== '' || mul.opType !== 'Mul' || sole(h) !== mul) continue;
    if (!(mul.inputs.includes(h) && mul.inputs.includes(gelu.outputs[0]))) continue;
    const chain = [
      { name: split.name, opType: split.opType },
      ...(fusedFrom(gelu) ?? [{ name: gelu.name, opType: gelu.opType }]),
      { name: mul.name, opType: mul.opType },
    ];
    const attributes = new Map<string, AttrValue>([
      [FUSED_NAMES, { type: 'strings', value: chain.map((c) => c.name) }],
      [FUSED_TYPES, { type: 'strings', value: chain.map((c) => c.opType) }],
    ]);
    removed.add(split);
    removed.add(gelu);
    replaced.set(mul, {
      name: mul.name,
      opType: 'Geglu',
      domain: FUSED_DOMAIN,
      inputs: [split.inputs[0]],
      outputs: mul.outputs,
      attributes,
      source: mul.source,
    });
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
}

/**
 * GEGLU's projection: a linear layer (MatMul by a 2-D weight, then an optional Add of a 1-D bias)
 * read only by a Geglu becomes one MatMulGeglu, which a kernel backend runs a block of rows at a
 * time: the projection, twice as wide as the result, is never held whole. A linear layer that alone
 * reads the Geglu (the feed-forward's output layer) joins it, so neither is the gated activation.
 */
function fuseMatMulGeglu(
  nodes: readonly Node[],
  requested: ReadonlySet<string>,
  metas: ReadonlyMap<string, ValueMeta>,
  fixed: (value: string) => boolean,
  sliced: (weight: string) => boolean,
): Node[] {
  const readers = readersOf(nodes);
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  /** The node writing `value` when `reader` is its only reader and nobody asked for it. */
  const soleWriter = (value: string, reader: Node): Node | undefined => {
    const r = readers.get(value);
    return r?.length === 1 && r[0] === reader && !requested.has(value) ? producer.get(value) : undefined;
  };
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const geglu of nodes) {
    if (geglu.domain !== FUSED_DOMAIN || geglu.opType !== 'Geglu') continue;
    let matmul = soleWriter(geglu.inputs[0], geglu);
    const add = matmul?.domain === '' && matmul.opType === 'Add' ? matmul : undefined;
    let bias: string | undefined;
    if (add) {
      const [a, b] = add.inputs;
      bias = fixed(a) ? a : fixed(b) ? b : undefined;
      const projected = bias === a ? b : a;
      matmul = bias && projected ? soleWriter(projected, add) : undefined;
    }
    if (matmul?.domain !== '' || matmul.opType !== 'MatMul') continue;
    const [x, weight] = matmul.inputs;
    const w = metas.get(weight)?.dims;
    const xDims = metas.get(x)?.dims;
    if (!fixed(weight) || w?.length !== 2 || typeof w[1] !== 'number' || !xDims || xDims.length < 2) continue;
    if (bias && !sameDims(metas.get(bias)?.dims, [w[1]])) continue;
    const chain = [
      { name: matmul.name, opType: matmul.opType },
      ...(add ? [{ name: add.name, opType: add.opType }] : []),
      ...(fusedFrom(geglu) ?? [{ name: geglu.name, opType: geglu.opType }]),
    ];
    removed.add(matmul);
    if (add) removed.add(add);
    // The feed-forward's output layer, a linear layer by a fixed [N, M] weight that alone reads the
    // gated activation: computed a block of rows at a time with the rest. Not when the projection's
    // weight comes in blocks of K: the projection is then made whole, and the output layer's weight
    // would be held with those blocks instead of after them (SD's 16x16 blocks: 12.5 MiB more).
    const output = sliced(weight) ? undefined : outputLayer(geglu.outputs[0], w[1] / 2);
    const outputNodes = output ? [output.matmul, ...(output.add ? [output.add] : [])] : [];
    chain.push(...outputNodes.map((n) => ({ name: n.name, opType: n.opType })));
    // The fused node takes the place of the chain's last operator.
    const last = outputNodes.at(-1) ?? geglu;
    for (const n of [geglu, ...outputNodes]) if (n !== last) removed.add(n);
    replaced.set(last, {
      ...last,
      opType: 'MatMulGeglu',
      domain: FUSED_DOMAIN,
      inputs: output
        ? [x, weight, bias ?? '', output.weight, ...(output.bias ? [output.bias] : [])]
        : bias
          ? [x, weight, bias]
          : [x, weight],
      attributes: new Map<string, AttrValue>([
        [FUSED_NAMES, { type: 'strings', value: chain.map((c) => c.name) }],
        [FUSED_TYPES, { type: 'strings', value: chain.map((c) => c.opType) }],
      ]),
    });
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);

  /** The only reader of `value` when nobody asked for `value`. */
  function soleReader(value: string): Node | undefined {
    const r = readers.get(value);
    return r?.length === 1 && !requested.has(value) ? r[0] : undefined;
  }

  /** MatMul(value, weight [width, M]) -> [Add(bias [M])], when `value` is read by it alone. */
  function outputLayer(value: string, width: number) {
    const matmul = soleReader(value);
    if (matmul?.domain !== '' || matmul.opType !== 'MatMul' || matmul.inputs[0] !== value) return undefined;
    const weight = matmul.inputs[1];
    const w = metas.get(weight)?.dims;
    if (!fixed(weight) || w?.length !== 2 || w[0] !== width || typeof w[1] !== 'number') return undefined;
    const add = soleReader(matmul.outputs[0]);
    const bias =
      add?.domain === '' && add.opType === 'Add'
        ? add.inputs.find((i) => i !== matmul.outputs[0])
        : undefined;
    return bias && fixed(bias) && sameDims(metas.get(bias)?.dims, [w[1]])
      ? { matmul, weight, add, bias }
      : { matmul, weight, add: undefined, bias: undefined };
  }
}

const sameDims = (a: readonly unknown[] | undefined, b: readonly unknown[]): boolean =>
  a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
