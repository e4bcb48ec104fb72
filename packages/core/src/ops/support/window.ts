/**
 * Sliding-window geometry shared by Conv, ConvTranspose and the pooling operators: output sizes
 * and begin/end pads from kernel, strides, dilations, pads, auto_pad and ceil_mode.
 */
import type { Attributes } from '../attributes.js';
import { check } from '../op.js';

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
  readonly out: readonly number[];
}

/** A convolution's kernel: the kernel_shape attribute, else the spatial dims of the weight `wDims`. */
export function weightKernel(attrs: Attributes, wDims: readonly number[]): readonly number[] {
  return attrs.has('kernel_shape') ? attrs.ints('kernel_shape') : wDims.slice(2);
}

/** The strides and dilations (default 1) of `n` spatial axes, checked against the kernel's rank. */
function steps(
  attrs: Attributes,
  n: number,
  kernel: readonly number[],
): { strides: readonly number[]; dilations: readonly number[] } {
  const strides = attrs.ints('strides', new Array(n).fill(1));
  const dilations = attrs.ints('dilations', new Array(n).fill(1));
  check(kernel.length === n, () => `kernel_shape has ${kernel.length} dims, input has ${n} spatial dims`);
  check(
    strides.length === n && dilations.length === n,
    'strides and dilations must have one value per spatial axis',
  );
  return { strides, dilations };
}

/** Splits `total` padding between begin and end: SAME_UPPER puts the odd one at the end, else at the begin. */
function splitPad(total: number, autoPad: string, padsBegin: number[], padsEnd: number[]): void {
  const half = Math.floor(total / 2);
  padsBegin.push(autoPad === 'SAME_UPPER' ? half : total - half);
  padsEnd.push(autoPad === 'SAME_UPPER' ? total - half : half);
}

/**
 * Computes the window geometry over `spatial` input sizes. `kernel` comes from the attribute or
 * the weight shape.
 */
export function windowGeometry(
  attrs: Attributes,
  spatial: readonly number[],
  kernel: readonly number[],
  options: { ceilMode?: boolean } = {},
): WindowGeometry {
  const n = spatial.length;
  const { strides, dilations } = steps(attrs, n, kernel);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const out: number[] = [];
  const pads = attrs.ints('pads', new Array(2 * n).fill(0));
  for (let i = 0; i < n; i++) {
    const s = strides[i];
    const ek = (kernel[i] - 1) * dilations[i] + 1;
    check(s > 0 && dilations[i] > 0, 'strides and dilations must be positive');
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = Math.ceil(spatial[i] / s);
      splitPad(Math.max(0, (o - 1) * s + ek - spatial[i]), autoPad, padsBegin, padsEnd);
      out.push(o);
    } else if (autoPad === 'VALID') {
      padsBegin.push(0);
      padsEnd.push(0);
      out.push(Math.floor((spatial[i] - ek) / s) + 1);
    } else {
      check(autoPad === 'NOTSET', () => `unknown auto_pad '${autoPad}'`);
      check(pads.length === 2 * n, () => `pads must have ${2 * n} values, has ${pads.length}`);
      const pb = pads[i];
      const pe = pads[i + n];
      const span = spatial[i] + pb + pe - ek;
      let o = options.ceilMode ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
      // With ceil_mode the last window must start inside the input or its begin padding.
      if (options.ceilMode && (o - 1) * s >= spatial[i] + pb) o--;
      padsBegin.push(pb);
      padsEnd.push(pe);
      out.push(o);
    }
    check(out[i] >= 0, () => `window of ${ek} does not fit input size ${spatial[i]}`);
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, out };
}

/**
 * ConvTranspose geometry over `spatial` input sizes: pads and output sizes from output_shape
 * (pads derived), auto_pad SAME_* (output = input x stride) or explicit pads, with output_padding.
 */
export function transposedWindowGeometry(
  attrs: Attributes,
  spatial: readonly number[],
  kernel: readonly number[],
): WindowGeometry {
  const n = spatial.length;
  const { strides, dilations } = steps(attrs, n, kernel);
  const outputPadding = attrs.ints('output_padding', new Array(n).fill(0));
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  check(outputPadding.length >= n, () => `output_padding must have ${n} values`);
  const explicit = attrs.has('output_shape') ? attrs.ints('output_shape').slice(-n) : undefined;
  check(!explicit || explicit.length === n, () => `output_shape must have ${n} values`);
  const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
  const pads = attrs.ints('pads', new Array(2 * n).fill(0));
  check(
    explicit || same || pads.length === 2 * n,
    () => `pads must have ${2 * n} values, has ${pads.length}`,
  );
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const full = strides[i] * (spatial[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1;
    if (explicit || same) {
      const o = explicit ? explicit[i] : spatial[i] * strides[i];
      splitPad(full - o, autoPad, padsBegin, padsEnd);
      out.push(o);
    } else {
      padsBegin.push(pads[i]);
      padsEnd.push(pads[i + n]);
      out.push(full - pads[i] - pads[i + n]);
    }
    check(out[i] >= 0, () => `ConvTranspose output size ${out[i]} is negative`);
  }
  return { kernel, strides, dilations, padsBegin, padsEnd, out };
}
