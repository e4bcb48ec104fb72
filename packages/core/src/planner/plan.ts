/**
 * Planning: from a Graph and the metadata of one run's feeds to an ordered list of steps.
 *
 * 1. Order nodes topologically.
 * 2. Walk them with shape inference; a node whose inputs are all known constants is folded (run
 *    now with the reference kernel), which removes the Shape -> Gather -> Unsqueeze -> Concat
 *    arithmetic that torch exports carry.
 * 3. Keep only the nodes the requested outputs need, and move a node that shrinks a value it reads
 *    last to where that value would otherwise still be alive (schedule.ts).
 * 4. Give each runtime value a slot and find its last use, so the executor frees it right after.
 * 5. Record the order in which weights will be requested (the provider contract).
 */

import type { Backend } from '../backend/backend.js';
import { referenceBackend } from '../backend/reference.js';
import { OperatorError, UnsupportedError } from '../errors.js';
import type { RangeData } from '../formats/onnxstream/range-data.js';
import { rowReadable } from '../formats/weight-rows.js';
import { computeTypeOf } from '../formats/weights.js';
import { type Dim, type Graph, implicitInputs, type Node, type WeightRef } from '../graph/graph.js';
import { Attributes } from '../ops/attributes.js';
import { findOp } from '../ops/index.js';
import type { OpDef, ValueMeta } from '../ops/op.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Value } from '../tensor/value.js';
import { type Placement, placeConcatInputs } from './concat-in-place.js';
import { fuseNodes } from './fuse.js';
import { fuseAttention } from './fuse-attention.js';
import { fuseUint8Io } from './fuse-uint8-io.js';
import { hoistShrinkingReaders } from './schedule.js';
import { type StorageOptions, storeHeldValues } from './storage.js';
import { quantizeActivations } from './uint8-arithmetic.js';
import { upcastNodes } from './upcast.js';

/** Folded outputs larger than this many elements are computed at run time instead of kept. */
const FOLD_LIMIT = 1 << 22;

export type Slot =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly id: number }
  | { readonly kind: 'const'; readonly tensor: Tensor }
  | { readonly kind: 'weight'; readonly ref: WeightRef };

export interface Step {
  readonly node: Node;
  readonly op: OpDef;
  readonly attrs: Attributes;
  readonly opset: number;
  readonly backend: Backend;
  readonly inputs: readonly Slot[];
  /** Values a subgraph reads from this scope (If/Loop/Scan), by name. */
  readonly scope: readonly (readonly [string, Slot])[];
  /** Value id per node output; -1 where the output is not needed. */
  readonly outputs: readonly number[];
  /** Value ids whose last use is this step. */
  readonly free: readonly number[];
  /** Weights of this step, in request order. */
  readonly weights: readonly WeightRef[];
  /**
   * A Gather of this weight's rows by run-time indices (input 1) that reads only those rows through
   * the provider's `getRows` (PlanOptions.rowGather); the weight is not among `weights`.
   */
  readonly rows?: WeightRef;
  /**
   * A weight the backend reads `rows` rows (axis 0) at a time through the provider's `getRows`
   * (PlanOptions.weightSlices; KernelCall `sliced`); the weight is not among `weights`.
   */
  readonly slices?: { readonly ref: WeightRef; readonly input: number; readonly rows: number };
  /** Output shapes the model declares (checked after the kernel runs). */
  readonly declared: readonly (readonly Dim[] | undefined)[];
}

export interface Plan {
  readonly steps: readonly Step[];
  /** Slot per feed name. */
  readonly feeds: ReadonlyMap<string, number>;
  /** Where each requested output comes from. */
  readonly outputs: ReadonlyMap<string, Slot>;
  readonly valueCount: number;
  readonly valueNames: readonly string[];
  /** Every weight request of one run, in order (duplicates included). */
  readonly weightOrder: readonly WeightRef[];
  /** Weights more than one step reads: backends do not prepare these for one kernel. */
  readonly sharedWeights: ReadonlySet<string>;
  /** Inferred metadata of every value (for `info`, tests and tools). */
  readonly metas: ReadonlyMap<string, ValueMeta>;
  /** Nodes folded into constants at plan time. */
  readonly folded: number;
  /** Values computed into part of a later Concat's output, by value id (concat-in-place.ts). */
  readonly placements: ReadonlyMap<number, Placement>;
}

export interface PlanOptions {
  /** Metadata of the values available before the graph runs (feeds, outer-scope values). */
  readonly feeds: ReadonlyMap<string, ValueMeta>;
  readonly outputs: readonly string[];
  readonly backend?: Backend;
  /** Fold constant subgraphs (default true). */
  readonly fold?: boolean;
  /** Fuse producer + activation chains into one operator (default true): see fuse.ts. */
  readonly fuse?: boolean;
  /** Fuse attention chains into one operator (default true): see fuse-attention.ts. */
  readonly fuseAttention?: boolean;
  /** Compute Concat inputs into their output where the peak allows (default true): see concat-in-place.ts. */
  readonly concatInPlace?: boolean;
  /** Row slices of fused attention (OnnxStream's attention slicing; default 0: tiled). */
  readonly attentionSlices?: number;
  /** Compressed storage of activations held across operators: see storage.ts. */
  readonly storage?: StorageOptions;
  /**
   * Static uint8 activations with these per-operator ranges (see uint8-arithmetic.ts). A fused
   * operator's output takes the range of the last operator it replaces.
   */
  readonly uint8Ranges?: RangeData;
  /**
   * With `uint8Ranges` and `fuse`: fold the uint8 loads and stores around 2-D convolutions and
   * channel operators into them (default true): see fuse-uint8-io.ts.
   */
  readonly fuseUint8Io?: boolean;
  /**
   * The provider reads weight rows (`getRows`): a Gather along axis 0 of a weight of at least 1 MiB
   * by run-time indices reads only the indexed rows instead of the whole weight.
   */
  readonly rowGather?: boolean;
  /**
   * The provider reads weight rows and keeps no weights: a weight of at least twice this many bytes
   * (as stored) that the backend can take in blocks (Backend.slicedWeight: a convolution's output
   * channels, a linear layer's input features) is read about this many bytes at a time, so it is
   * never in memory whole.
   */
  readonly weightSlices?: number;
}

/** Weights at least this large are gathered by rows when the provider can read rows. */
const ROW_GATHER_MIN_BYTES = 1 << 20;
/** Sliced weights are read in blocks of a multiple of this many rows (whole GEMM register tiles). */
const SLICE_ROW_MULTIPLE = 16;

export async function planGraph(graph: Graph, options: PlanOptions): Promise<Plan> {
  const backend = options.backend ?? referenceBackend;
  const nodes = topologicalOrder(graph, options.feeds);
  const metas = new Map<string, ValueMeta>();
  for (const [name, t] of graph.constants) metas.set(name, { type: t.type, dims: t.dims, value: t });
  for (const [name, w] of graph.weights) metas.set(name, { type: computeTypeOf(w), dims: w.dims });
  for (const [name, m] of options.feeds) metas.set(name, m);

  // Shape inference and constant folding.
  const live: Node[] = [];
  let folded = 0;
  for (const node of nodes) {
    const op = opFor(node);
    const opset = graph.opsets.get(node.domain) ?? graph.opsets.get('') ?? 1;
    const attrs = new Attributes(node.attributes);
    const inputs = node.inputs.map((n) => (n ? metas.get(n) : undefined));
    for (let i = 0; i < node.inputs.length; i++) {
      if (node.inputs[i] && !inputs[i]) {
        throw nodeError(
          node,
          `input '${node.inputs[i]}' is not produced by any earlier operator, a weight or a feed`,
        );
      }
    }
    let outs: ValueMeta[];
    try {
      outs = op.infer({ inputs, attrs, opset, outputCount: node.outputs.length, node });
    } catch (e) {
      throw nodeError(node, (e as Error).message, e);
    }
    const foldable =
      options.fold !== false &&
      !op.nondeterministic &&
      !hasSubgraph(node) &&
      inputs.every((m, i) => !node.inputs[i] || m?.value !== undefined);
    if (foldable) {
      const values = await foldNode(node, op, attrs, opset, inputs);
      if (values) {
        node.outputs.forEach((name, i) => {
          if (name) metas.set(name, { type: values[i].type, dims: values[i].dims, value: values[i] });
        });
        folded++;
        continue;
      }
    }
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const inferred = outs[i] ?? {};
      const m = options.fold === false ? { ...inferred, value: undefined } : inferred;
      checkDeclared(graph, node, name, m.dims);
      metas.set(name, m);
    });
    // Inference alone may know the values (Shape of a statically shaped tensor).
    if (options.fold !== false && node.outputs.every((name, i) => !name || outs[i]?.value)) folded++;
    else live.push(node);
  }

  const requested = new Set(options.outputs);
  const ranges = options.uint8Ranges;
  const fixed = (name: string) =>
    metas.get(name)?.value !== undefined || (graph.weights.has(name) && !options.feeds.has(name));
  // Weights slicesOf will read in blocks (when their operator's backend takes them so).
  const sliced = (name: string) => {
    const ref = options.feeds.has(name) ? undefined : graph.weights.get(name);
    return !!options.weightSlices && !!ref && ref.byteLength >= 2 * options.weightSlices && rowReadable(ref);
  };
  const activations = options.fuse === false ? live : fuseNodes(live, requested, metas, fixed, sliced);
  const opsetOf = (n: Node) => graph.opsets.get(n.domain) ?? graph.opsets.get('') ?? 1;
  const fused =
    options.fuseAttention === false
      ? activations
      : fuseAttention(activations, metas, requested, opsetOf, { slices: options.attentionSlices });
  const loadsAndStores = ranges ? quantizeActivations(fused, metas, requested, ranges) : fused;
  const quantized =
    ranges && options.fuse !== false && options.fuseUint8Io !== false
      ? fuseUint8Io(loadsAndStores, metas)
      : loadsAndStores;
  const stored = options.storage ? storeHeldValues(quantized, metas, requested, options.storage) : quantized;
  const upcast =
    backend === referenceBackend
      ? { nodes: stored, weights: new Map<string, WeightRef>() }
      : upcastNodes(stored, graph, metas, backend);
  const candidates = upcast.nodes;

  // Keep what the requested outputs need.
  const needed = new Set<string>(options.outputs);
  const kept: Node[] = [];
  for (let i = candidates.length - 1; i >= 0; i--) {
    const node = candidates[i];
    if (!node.outputs.some((o) => o && needed.has(o))) continue;
    kept.push(node);
    for (const n of node.inputs) if (n) needed.add(n);
    for (const n of implicitInputs(node)) needed.add(n);
  }
  kept.reverse();
  const scheduled = hoistShrinkingReaders(kept, metas, graph, requested);

  // Slots and lifetimes.
  const ids = new Map<string, number>();
  const valueNames: string[] = [];
  const idOf = (name: string) => {
    let id = ids.get(name);
    if (id === undefined) {
      id = valueNames.length;
      ids.set(name, id);
      valueNames.push(name);
    }
    return id;
  };
  const feeds = new Map<string, number>();
  for (const name of options.feeds.keys()) if (needed.has(name)) feeds.set(name, idOf(name));
  const slotOf = (name: string): Slot => {
    if (!name) return { kind: 'none' };
    const m = metas.get(name);
    if (m?.value) return { kind: 'const', tensor: m.value };
    const w = upcast.weights.get(name) ?? graph.weights.get(name);
    if (w && !options.feeds.has(name)) return { kind: 'weight', ref: w };
    return { kind: 'value', id: idOf(name) };
  };
  const lastUse = new Map<number, number>();
  const partial = scheduled.map((node, index) => {
    const inputs = node.inputs.map(slotOf);
    const scope = implicitInputs(node).map((n) => [n, slotOf(n)] as const);
    for (const s of [...inputs, ...scope.map(([, s]) => s)]) if (s.kind === 'value') lastUse.set(s.id, index);
    const outputs = node.outputs.map((o) => (o && needed.has(o) ? idOf(o) : -1));
    const rows = options.rowGather ? rowGatherOf(node, inputs) : undefined;
    const weights: WeightRef[] = [];
    for (const s of [...inputs, ...scope.map(([, s]) => s)]) {
      if (s.kind === 'weight' && s.ref !== rows && !weights.includes(s.ref)) weights.push(s.ref);
    }
    return { node, inputs, scope, outputs, weights, rows };
  });
  const outputs = new Map<string, Slot>();
  for (const name of options.outputs) {
    const s = slotOf(name);
    if (s.kind === 'value' && !kept.some((n) => n.outputs.includes(name)) && !options.feeds.has(name)) {
      throw new Error(`output '${name}' is not produced by the model`);
    }
    outputs.set(name, s);
    if (s.kind === 'value') lastUse.set(s.id, Number.POSITIVE_INFINITY);
  }
  const frees = new Map<number, number[]>();
  for (const [id, index] of lastUse) {
    if (!Number.isFinite(index)) continue;
    const list = frees.get(index) ?? [];
    list.push(id);
    frees.set(index, list);
  }
  // A produced value nobody reads (an unneeded extra output of a kept node) is freed at once.
  partial.forEach((p, index) => {
    for (const id of p.outputs)
      if (id >= 0 && !lastUse.has(id)) (frees.get(index) ?? frees.set(index, []).get(index)!).push(id);
  });

  // How many steps read each weight: one read by several is not sliced.
  const uses = new Map<WeightRef, number>();
  for (const p of partial) {
    for (const s of [...p.inputs, ...p.scope.map(([, s]) => s)])
      if (s.kind === 'weight') uses.set(s.ref, (uses.get(s.ref) ?? 0) + 1);
  }
  const steps: Step[] = partial.map((p, index) => {
    const opset = graph.opsets.get(p.node.domain) ?? graph.opsets.get('') ?? 1;
    const types = p.node.inputs.map((n) => (n ? metas.get(n)?.type : undefined));
    // Sequences and optionals only run on the reference backend.
    const tensorsOnly = [...p.node.inputs, ...p.node.outputs].every((n) => !n || !metas.get(n)?.kind);
    const chosen = tensorsOnly && backend.supports(p.node, types, opset) ? backend : referenceBackend;
    const slices =
      options.weightSlices && chosen.slicedWeight
        ? slicesOf(p.inputs, chosen.slicedWeight(p.node, types, opset), options.weightSlices, uses)
        : undefined;
    return {
      ...p,
      weights: slices ? p.weights.filter((w) => w !== slices.ref) : p.weights,
      slices,
      op: opFor(p.node),
      attrs: new Attributes(p.node.attributes),
      opset,
      backend: chosen,
      free: frees.get(index) ?? [],
      declared: p.node.outputs.map((o) =>
        graph.format === 'onnxstream' ? graph.valueInfo.get(o)?.dims : undefined,
      ),
    };
  });
  const weightOrder = steps.flatMap((s) => s.weights);
  const keptValues = new Set<number>();
  for (const s of outputs.values()) if (s.kind === 'value') keptValues.add(s.id);
  const placements =
    options.concatInPlace === false
      ? new Map<number, Placement>()
      : placeConcatInputs(steps, valueNames, metas, keptValues);
  return {
    steps,
    feeds,
    outputs,
    valueCount: valueNames.length,
    valueNames,
    weightOrder,
    sharedWeights: new Set(weightOrder.filter((w, i) => weightOrder.indexOf(w) !== i).map((w) => w.name)),
    metas,
    folded,
    placements,
  };
}

/** The weight a Gather reads by rows: axis 0 of a large row-readable weight, indices known only at run time. */
function rowGatherOf(node: Node, inputs: readonly Slot[]): WeightRef | undefined {
  if (node.opType !== 'Gather' || node.domain !== '') return undefined;
  const [data, indices] = inputs;
  if (data?.kind !== 'weight' || indices?.kind !== 'value') return undefined;
  const ref = data.ref;
  if (ref.byteLength < ROW_GATHER_MIN_BYTES || !rowReadable(ref)) return undefined;
  const axis = new Attributes(node.attributes).int('axis', 0);
  return axis === 0 || axis === -ref.dims.length ? ref : undefined;
}

/** Step.slices for the backend's sliceable input, when it is a large row-readable weight read only there. */
function slicesOf(
  inputs: readonly Slot[],
  input: number | undefined,
  sliceBytes: number,
  uses: ReadonlyMap<WeightRef, number>,
): Step['slices'] {
  const slot = input === undefined ? undefined : inputs[input];
  if (input === undefined || slot?.kind !== 'weight') return undefined;
  const { ref } = slot;
  if (ref.byteLength < 2 * sliceBytes || uses.get(ref) !== 1 || !rowReadable(ref) || !ref.dims[0])
    return undefined;
  const fit = Math.max(1, Math.floor(sliceBytes / (ref.byteLength / ref.dims[0])));
  const rows = fit >= SLICE_ROW_MULTIPLE ? fit - (fit % SLICE_ROW_MULTIPLE) : fit;
  return rows < ref.dims[0] ? { ref, input, rows } : undefined;
}

function opFor(node: Node): OpDef {
  const op = findOp(node.domain, node.opType);
  if (!op) {
    throw new UnsupportedError(
      node.opType,
      node.name,
      `operator not implemented${node.domain ? ` (domain '${node.domain}')` : ''}`,
      node.source,
    );
  }
  return op;
}

function nodeError(node: Node, message: string, cause?: unknown): OperatorError {
  return new OperatorError(node.opType, node.name, message, node.source, { cause });
}

function hasSubgraph(node: Node): boolean {
  for (const a of node.attributes.values()) if (a.type === 'graph' || a.type === 'graphs') return true;
  return false;
}

async function foldNode(
  node: Node,
  op: OpDef,
  attrs: Attributes,
  opset: number,
  inputs: readonly (ValueMeta | undefined)[],
): Promise<Tensor[] | undefined> {
  let out: Value[];
  const values = inputs.map((m) => m?.value);
  try {
    out = await op.run({
      inputs: values,
      values,
      attrs,
      opset,
      outputCount: node.outputs.length,
      node,
      runSubgraph: () => Promise.reject(new Error('subgraphs are not folded')),
    });
  } catch (e) {
    throw nodeError(node, (e as Error).message, e);
  }
  // Only tensors are folded: sequences and optionals stay run-time values.
  const tensors = out.filter((v): v is Tensor => v instanceof Tensor);
  if (tensors.length < out.length || tensors.some((t) => t.size > FOLD_LIMIT)) return undefined;
  return tensors;
}

/** Orders nodes so every input is produced before use; keeps the file order when it already is. */
export function topologicalOrder(graph: Graph, feeds: ReadonlyMap<string, unknown>): Node[] {
  const available = new Set<string>([...graph.constants.keys(), ...graph.weights.keys(), ...feeds.keys()]);
  const ready = (n: Node) =>
    n.inputs.every((i) => !i || available.has(i)) && implicitInputs(n).every((i) => available.has(i));
  if (
    graph.nodes.every((n) => {
      const ok = ready(n);
      for (const o of n.outputs) if (o) available.add(o);
      return ok;
    })
  ) {
    return [...graph.nodes];
  }
  // Kahn's algorithm, preferring file order.
  available.clear();
  for (const n of [...graph.constants.keys(), ...graph.weights.keys(), ...feeds.keys()]) available.add(n);
  const pending = [...graph.nodes];
  const order: Node[] = [];
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; ) {
      if (ready(pending[i])) {
        const n = pending.splice(i, 1)[0];
        for (const o of n.outputs) if (o) available.add(o);
        order.push(n);
        progress = true;
      } else i++;
    }
  }
  // Whatever is left has an input nothing provides; inference reports which.
  return [...order, ...pending];
}

function checkDeclared(graph: Graph, node: Node, name: string, dims: readonly Dim[] | undefined): void {
  if (graph.format !== 'onnxstream' || !dims) return;
  const declared = graph.valueInfo.get(name)?.dims;
  if (!declared) return;
  const mismatch =
    declared.length !== dims.length ||
    declared.some((d, i) => typeof d === 'number' && typeof dims[i] === 'number' && d !== dims[i]);
  if (mismatch) {
    throw nodeError(
      node,
      `output '${name}' is declared ${formatShape(declared)} but computes ${formatShape(dims)}`,
    );
  }
}
