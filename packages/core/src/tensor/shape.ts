/** Shape arithmetic shared by shape inference and kernels. */

export function shapeSize(dims: readonly number[]): number {
  // Indexed: an iterator would be an allocation per call (a tensor is made per operator call).
  let n = 1;
  for (let i = 0; i < dims.length; i++) n *= dims[i];
  return n;
}

export function formatShape(dims: readonly (number | string | null | undefined)[]): string {
  return `[${dims.map((d) => (d === null || d === undefined ? '?' : String(d))).join(',')}]`;
}

/** Row-major element strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Resolves a possibly negative axis against `rank`; throws with `what` in the message when out of range. */
export function normalizeAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new RangeError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Multidirectional (numpy) broadcasting of two or more shapes; throws when they are incompatible. */
export function broadcastShapes(...shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new RangeError(`shapes ${shapes.map((x) => formatShape(x)).join(' and ')} cannot be broadcast`);
      }
    }
  }
  return out;
}

/**
 * Element strides of `dims` when broadcast to `outDims` (0 on broadcast axes), right-aligned.
 */
export function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const rank = outDims.length;
  const s = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    const o = rank - dims.length + i;
    s[o] = dims[i] === 1 && outDims[o] !== 1 ? 0 : acc;
    acc *= dims[i];
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
