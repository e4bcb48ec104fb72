import { type AttrInput, callTensorKernel, findOp, Tensor } from '@onnxstream/core';
import { nativeBackend } from '../src/index.js';

/** Deterministic pseudo-random floats in [lo, hi). */
export function random(n: number, seed: number, lo = -4, hi = 4): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

export function tensor(dims: number[], seed: number, lo?: number, hi?: number): Tensor {
  return new Tensor(
    'float32',
    random(
      dims.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    dims,
  );
}

/** Runs one operator on the native backend and on the reference kernel. */
export async function both(
  type: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, AttrInput> = {},
  options: { domain?: string; opset?: number } = {},
): Promise<{ native: Tensor; reference: Tensor }> {
  const op = findOp(options.domain ?? '', type);
  if (!op) throw new Error(`no operator ${type}`);
  const node = { opType: type, domain: options.domain ?? '', inputs: inputs.map((_, i) => `in${i}`) };
  const types = inputs.map((t) => t?.type);
  if (
    !nativeBackend.supports(
      { ...node, name: type, outputs: ['y'], attributes: new Map() },
      types,
      options.opset ?? 21,
    )
  ) {
    throw new Error(`the native backend does not claim ${type}`);
  }
  const [native] = await callTensorKernel(op, inputs, attrs, {
    backend: nativeBackend,
    opset: options.opset,
  });
  const [reference] = await callTensorKernel(op, inputs, attrs, { opset: options.opset });
  return { native, reference };
}

/** Largest |a - b| / (atol + rtol * |b|): <= 1 means within tolerance. */
export function worst(a: Tensor, b: Tensor, rtol: number, atol: number): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let w = 0;
  for (let i = 0; i < y.length; i++) {
    const err = Math.abs(x[i] - y[i]);
    const r = err === 0 ? 0 : err / (atol + rtol * Math.abs(y[i]));
    if (!(r <= w)) w = Number.isNaN(r) ? Number.POSITIVE_INFINITY : r;
  }
  return w;
}
