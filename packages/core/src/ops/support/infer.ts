/**
 * Shape-inference helpers shared by operator definitions.
 */
import type { Dim } from '../../graph/graph.js';
import type { InferContext, ValueMeta } from '../op.js';

/** Output 0 has input 0's type and shape (unary elementwise operators). */
export function sameAsInput(ctx: InferContext): ValueMeta[] {
  const x = ctx.inputs[0];
  return [{ type: x?.type, dims: x?.dims }];
}

/** Numpy broadcasting on possibly unknown dims. Returns undefined when a rank is unknown. */
export function broadcastDims(shapes: readonly (readonly Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const list = shapes as readonly (readonly Dim[])[];
  const rank = Math.max(0, ...list.map((s) => s.length));
  const out: Dim[] = [];
  for (let o = 0; o < rank; o++) {
    let d: Dim = 1;
    for (const s of list) {
      const i = o - (rank - s.length);
      if (i < 0) continue;
      const v = s[i];
      if (v === 1) continue;
      if (d === 1) d = v;
      else if (v !== d) {
        if (typeof v === 'number' && typeof d === 'number') {
          throw new Error(`shapes [${list.map((x) => x.join(',')).join('] and [')}] cannot be broadcast`);
        }
        d = typeof d === 'number' ? d : typeof v === 'number' ? v : null;
      }
    }
    out.push(d);
  }
  return out;
}

/** The dims as numbers when they are all known. */
export function knownDims(dims: readonly Dim[] | undefined): number[] | undefined {
  if (!dims || dims.some((d) => typeof d !== 'number')) return undefined;
  return dims as number[];
}

/** True when `dims` broadcasts unidirectionally to `target` (numpy rules, right-aligned). */
export function broadcastsTo(dims: readonly number[], target: readonly number[]): boolean {
  const off = target.length - dims.length;
  return off >= 0 && dims.every((d, i) => d === 1 || d === target[off + i]);
}
