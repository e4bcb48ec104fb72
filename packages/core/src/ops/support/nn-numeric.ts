/**
 * Numeric plumbing for the NN kernels: which accumulator array a computation uses for a given
 * output type, and how the accumulator becomes the output tensor without a copy when it can.
 */
import { encodeNumbers } from '../../tensor/convert.js';
import { type DataType, isFloat } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';

/** The arrays the NN kernels compute into. */
export type Accumulator = Float32Array | Float64Array;

/**
 * A zeroed accumulator for results of `type`: float64 for float64 and integer outputs (exact
 * integer sums up to 2^53), float32 for the other float types (float16/bfloat16/8-bit compute in float32).
 */
export function accumulatorFor(type: DataType, size: number): Accumulator {
  return type === 'float64' || !isFloat(type) ? new Float64Array(size) : new Float32Array(size);
}

/** The tensor of `type` holding `values`: no copy when the array already is the type's storage. */
export function tensorFromValues(type: DataType, values: Accumulator, dims: readonly number[]): Tensor {
  const direct =
    (type === 'float32' && values instanceof Float32Array) ||
    (type === 'float64' && values instanceof Float64Array);
  return new Tensor(type, (direct ? values : encodeNumbers(type, values)) as never, dims);
}

/** out[(b, c, i)] += bias[c] over planes of `plane` values (N, C, spatial...) layouts. */
export function addChannelBias(out: Accumulator, bias: ArrayLike<number>, plane: number): void {
  const channels = bias.length;
  for (let p = 0; p * plane < out.length; p++) {
    const v = bias[p % channels];
    for (let i = p * plane; i < (p + 1) * plane; i++) out[i] += v;
  }
}
