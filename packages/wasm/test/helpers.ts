import { type AttrInput, type Backend, callTensorKernel, findOp, type Tensor } from '@onnxstream/core';

/** Deterministic pseudo-random floats in [lo, hi). */
export function random(n: number, seed: number, lo = -4, hi = 4): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  const scale = (hi - lo) / 2 ** 32;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + scale * s;
  }
  return out;
}

/** A small deterministic integer generator for random shapes. */
export function dice(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0 || 1;
  return (lo, hi) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

/** Runs one operator on `backend` (which must claim it) and on the reference kernel. */
export async function both(
  backend: Backend,
  type: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, AttrInput> = {},
  options: { domain?: string; opset?: number; claimed?: boolean; outputCount?: number } = {},
): Promise<{ got: Tensor[]; want: Tensor[] }> {
  const op = findOp(options.domain ?? '', type);
  if (!op) throw new Error(`no operator ${type}`);
  const node = {
    opType: type,
    domain: options.domain ?? '',
    inputs: inputs.map((_, i) => `in${i}`),
    name: type,
    outputs: ['y'],
    attributes: new Map(),
  };
  if (
    options.claimed !== false &&
    !backend.supports(
      node,
      inputs.map((t) => t?.type),
      options.opset ?? 21,
    )
  ) {
    throw new Error(`the ${backend.name} backend does not claim ${type}`);
  }
  const call = { opset: options.opset, outputCount: options.outputCount };
  const got = await callTensorKernel(op, inputs, attrs, { ...call, backend });
  const want = await callTensorKernel(op, inputs, attrs, call);
  return { got, want };
}

/** Largest |a - b| / (atol + rtol * |b|): <= 1 means within tolerance. */
export function worst(a: Tensor, b: Tensor, rtol: number, atol: number): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let w = 0;
  for (let i = 0; i < y.length; i++) {
    const err = Math.abs(x[i] - y[i]);
    const r = err === 0 ? 0 : err / (atol + rtol * Math.abs(y[i]));
    if (!(r <= w)) w = Number.isNaN(r) ? Number.POSITIVE_INFINITY : r;
  }
  return w;
}
