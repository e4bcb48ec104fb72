/**
 * Concat in place: where each input of a Concat is one contiguous run of its output (nothing but
 * ones before the axis: N = 1 channel concatenations), the operators producing the inputs write
 * straight into views of the output (KernelCall `placed`), which the first of them allocates; the
 * Concat then copies only what did not land there. A Split into contiguous runs makes views of its
 * input (backend/kernel/ops/transpose.ts), so a Split whose outputs are consecutive inputs of a
 * Concat passes the placement on to its own input (YOLOv8n's C2f blocks: Conv -> Split -> ... ->
 * Concat copies nothing).
 *
 * Placing holds the Concat's output from its first placed producer on, so a placement is kept only
 * where the plan's peak of live tensor bytes (estimate.ts: activations, and weights as the executor
 * holds them) does not rise: SD's UNet skip connections would otherwise hold an up block's input
 * across half the network.
 */
import type { Backend } from '../backend/backend.js';
import type { Node } from '../graph/graph.js';
import type { Attributes } from '../ops/attributes.js';
import type { ValueMeta } from '../ops/op.js';
import type { DataType } from '../tensor/dtype.js';
import { DTYPES } from '../tensor/dtype.js';
import { stepWeightBytes } from './estimate.js';
import type { Slot, Step } from './plan.js';

/** Where a value is computed: a view of a later Concat's output. */
export interface Placement {
  /** The Concat's output (value id). */
  readonly target: number;
  /** The step that runs the Concat (its backend allocates the output). */
  readonly step: number;
  readonly targetType: DataType;
  readonly targetDims: readonly number[];
  /** Where the value starts in the target, in elements. */
  readonly offset: number;
  /** The value's dims. */
  readonly dims: readonly number[];
}

/** What placement needs of a planned step. */
export interface PlacedStep extends Pick<Step, 'weights' | 'slices'> {
  readonly node: Node;
  readonly attrs: Attributes;
  readonly backend: Backend;
  readonly inputs: readonly Slot[];
  readonly outputs: readonly number[];
  readonly free: readonly number[];
}

interface Buffer {
  bytes: number;
  start: number;
  end: number;
}

/** Placements by value id (see the file comment); empty when none keeps the peak where it was. */
export function placeConcatInputs(
  steps: readonly PlacedStep[],
  valueNames: readonly string[],
  metas: ReadonlyMap<string, ValueMeta>,
  keptValues: ReadonlySet<number>,
): Map<number, Placement> {
  const placements = new Map<number, Placement>();
  const count = valueNames.length;
  const staticDims = (id: number): number[] | undefined => {
    const m = metas.get(valueNames[id]);
    if (!m?.type || !m.dims || m.dims.some((d) => typeof d !== 'number')) return undefined;
    return m.dims as number[];
  };
  const typeOf = (id: number) => metas.get(valueNames[id])?.type;
  const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const bytesOf = (id: number) => {
    const dims = staticDims(id);
    return dims ? elements(dims) * DTYPES[typeOf(id)!].bytes : 0;
  };

  // Producer and last use of every value (kept values live to the end).
  const producer = new Array<number>(count).fill(-1);
  const end = new Array<number>(count).fill(steps.length);
  steps.forEach((s, i) => {
    for (const id of s.outputs) if (id >= 0) producer[id] = i;
    for (const id of s.free) end[id] = i;
  });
  for (const id of keptValues) end[id] = steps.length;

  // A Split into contiguous runs: its outputs are views of its input (the same buffer).
  const viewOf = new Array<{ of: number; offset: number } | undefined>(count);
  steps.forEach((s) => {
    if (s.node.opType !== 'Split' || !s.backend.allocate || s.inputs[0]?.kind !== 'value') return;
    const x = s.inputs[0].id;
    const dims = staticDims(x);
    const axis = s.attrs.int('axis', 0);
    if (!dims || elements(dims.slice(0, axis < 0 ? axis + dims.length : axis)) !== 1) return;
    let offset = 0;
    for (const id of s.outputs) {
      if (id < 0) return;
      const d = staticDims(id);
      if (!d) return;
      viewOf[id] = { of: x, offset };
      offset += elements(d);
    }
  });

  // Buffers: a value and the views of it share one, live from the first producer to the last use.
  const parent = Array.from({ length: count }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const buffers = new Map<number, Buffer>();
  for (let id = 0; id < count; id++) {
    if (viewOf[id]) parent[id] = find(viewOf[id]!.of);
  }
  for (let id = 0; id < count; id++) {
    const root = find(id);
    const b = buffers.get(root);
    const start = producer[id];
    if (!b) buffers.set(root, { bytes: bytesOf(root), start, end: end[id] });
    else {
      b.start = Math.min(b.start, start);
      b.end = Math.max(b.end, end[id]);
    }
  }
  // Live bytes while each step runs: its weights and the next step's too, as the executor counts.
  const live = Float64Array.from(stepWeightBytes(steps).heldBytes);
  const apply = (b: Buffer, sign: number) => {
    for (let t = Math.max(b.start, 0); t <= Math.min(b.end, steps.length - 1); t++) live[t] += sign * b.bytes;
  };
  for (const b of buffers.values()) apply(b, 1);
  const peak = live.reduce((a, b) => Math.max(a, b), 0);

  // Whether a value may be computed into part of another: produced by an operator that writes
  // where it is told, not fed, not a model output, not placed already.
  const placeable = (id: number) =>
    producer[id] >= 0 &&
    !keptValues.has(id) &&
    !placements.has(id) &&
    !viewOf[id] &&
    staticDims(id) !== undefined &&
    steps[producer[id]].backend.placesOutputs?.(steps[producer[id]].node) === true;

  steps.forEach((s, c) => {
    if (s.node.opType !== 'Concat' || s.node.domain || !s.backend.allocate) return;
    const target = s.outputs[0];
    const dims = target >= 0 ? staticDims(target) : undefined;
    if (!dims || find(target) !== target) return;
    if (!s.attrs.has('axis')) return;
    const axis = s.attrs.int('axis');
    const a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length || elements(dims.slice(0, a)) !== 1) return;
    const type = typeOf(target)!;
    // Each input's first element in the output, and the values (roots) that would be placed.
    const roots = new Map<number, number>();
    const rejected = new Set<number>();
    let offset = 0;
    const ids = s.inputs.map((slot) => (slot.kind === 'value' ? slot.id : -1));
    for (let k = 0; k < s.inputs.length; k++) {
      const slot = s.inputs[k];
      if (slot.kind === 'none') continue;
      const id = ids[k];
      const d = id >= 0 ? staticDims(id) : undefined;
      // A weight or constant input: copied, but it takes its place (which must be known).
      if (id < 0) {
        const known =
          slot.kind === 'const' ? slot.tensor.dims : slot.kind === 'weight' ? slot.ref.dims : undefined;
        if (!known) return;
        offset += elements(known);
        continue;
      }
      if (!d) return;
      const v = viewOf[id];
      const root = v ? v.of : id;
      const at = v ? offset - v.offset : offset;
      offset += elements(d);
      if (typeOf(id) !== type || ids.indexOf(id) !== k || ids.lastIndexOf(id) !== k) {
        rejected.add(root);
        continue;
      }
      if (roots.has(root) ? roots.get(root) !== at : at < 0) rejected.add(root);
      else roots.set(root, at);
    }
    // A split value is placed only when all of it lies where its views go (each view an input).
    for (const [root, at] of roots) {
      const size = staticDims(root) ? elements(staticDims(root)!) : -1;
      const covered = ids.filter((id) => id >= 0 && (viewOf[id]?.of ?? id) === root);
      const sizes = covered.reduce((n, id) => n + elements(staticDims(id)!), 0);
      if (rejected.has(root) || !placeable(root) || sizes !== size || at + size > offset) roots.delete(root);
    }
    // The latest producers first: dropping the earliest shortens the time the output is held.
    const chosen = [...roots.keys()].sort((x, y) => producer[y] - producer[x]);
    for (let n = chosen.length; n > 0; n--) {
      const merged = chosen.slice(0, n);
      const parts = [...merged.map((r) => buffers.get(find(r))!), buffers.get(target)!];
      const joined: Buffer = {
        bytes: buffers.get(target)!.bytes,
        start: Math.min(...parts.map((b) => b.start)),
        end: Math.max(...parts.map((b) => b.end)),
      };
      for (const b of parts) apply(b, -1);
      apply(joined, 1);
      let highest = 0;
      for (let t = joined.start; t <= Math.min(joined.end, steps.length - 1); t++) {
        highest = Math.max(highest, live[t]);
      }
      if (highest <= peak) {
        for (const r of merged) {
          buffers.delete(find(r));
          parent[find(r)] = target;
          placements.set(r, {
            target,
            step: c,
            targetType: type,
            targetDims: dims,
            offset: roots.get(r)!,
            dims: staticDims(r)!,
          });
        }
        buffers.set(target, joined);
        return;
      }
      apply(joined, -1);
      for (const b of parts) apply(b, 1);
    }
  });
  return placements;
}
