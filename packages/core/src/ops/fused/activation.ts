/**
 * Activations that fused operators apply to their result in place. The reference versions are the
 * same scalar functions as the standalone operators.
 */
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Attributes } from '../attributes.js';
import { check } from '../op.js';
import { sigmoid } from '../sigmoid.js';

export type Activation = 'none' | 'relu' | 'sigmoid' | 'silu';

const FUNCTIONS: Record<Exclude<Activation, 'none'>, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  sigmoid,
  silu: (x) => x * sigmoid(x),
};

export function activationOf(attrs: Attributes): Activation {
  const a = attrs.string('activation', 'none');
  check(a === 'none' || a in FUNCTIONS, () => `unknown activation '${a}'`);
  return a as Activation;
}

/** `t` with the activation applied (a fresh tensor; float types only). */
export function applyActivation(t: Tensor, activation: Activation): Tensor {
  if (activation === 'none') return t;
  const f = FUNCTIONS[activation];
  const v = Float32Array.from(asNumbers(t), f);
  return new Tensor(t.type, (t.type === 'float32' ? v : encodeNumbers(t.type, v)) as never, t.dims);
}
