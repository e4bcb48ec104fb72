import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers, scalarOf } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, normalizeAxis, shapeSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { DftPlan } from './support/signal-fft.js';

/** The transform axis: an attribute (default 1) before opset 20, an input (default -2) from 20. */
function dftAxis(attrs: Attributes, opset: number, rank: number, axisInput: number | undefined): number {
  const axis = normalizeAxis(opset >= 20 ? (axisInput ?? -2) : attrs.int('axis', 1), rank, 'axis');
  check(axis < rank - 1, () => `axis ${axis} is the real/imaginary axis`);
  return axis;
}

/** The transform's geometry along its axis. */
interface DftGeometry {
  /** Transform length. */
  readonly n: number;
  /** Output length along the axis. */
  readonly out: number;
  /** Inverse of a one-sided spectrum: Hermitian input, real output. */
  readonly irfft: boolean;
}

/** Geometry for an input of `len` along the axis (undefined when neither it nor dft_length is known). */
function dftGeometry(
  attrs: Attributes,
  len: number | undefined,
  dftLength: number | undefined,
): DftGeometry | undefined {
  const onesided = attrs.int('onesided', 0) !== 0;
  const irfft = onesided && attrs.int('inverse', 0) !== 0;
  const n = dftLength ?? (len === undefined ? undefined : irfft ? 2 * (len - 1) : len);
  if (n === undefined) return undefined;
  check(n >= 1, () => `dft_length ${n} must be positive`);
  return { n, out: irfft ? n : onesided ? Math.floor(n / 2) + 1 : n, irfft };
}

/**
 * DFT (opset 17, 19, 20): the discrete Fourier transform along one axis of a real [.., 1] or
 * complex [.., 2] signal; `onesided` keeps the non-redundant half of a real signal's spectrum and,
 * with `inverse`, turns such a half spectrum back into a real signal (irfft). The signal is
 * zero-padded or truncated to `dft_length`; the inverse is scaled by 1/n.
 */
export const DFT: OpDef = {
  type: 'DFT',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type }];
    const rank = x.dims.length;
    const axisInput = ctx.inputs[2]?.value;
    const lengthInput = ctx.inputs[1]?.value;
    if ((ctx.opset >= 20 && ctx.inputs[2] && !axisInput) || (ctx.inputs[1] && !lengthInput)) {
      return [{ type: x.type, dims: new Array<Dim>(rank).fill(null) }];
    }
    const axis = dftAxis(ctx.attrs, ctx.opset, rank, axisInput && scalarOf(axisInput));
    const len = x.dims[axis];
    const g = dftGeometry(
      ctx.attrs,
      typeof len === 'number' ? len : undefined,
      lengthInput && scalarOf(lengthInput),
    );
    const dims: Dim[] = [...x.dims];
    dims[axis] = g ? g.out : null;
    dims[rank - 1] = ctx.attrs.int('onesided', 0) && ctx.attrs.int('inverse', 0) ? 1 : 2;
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const rank = x.dims.length;
    const c = x.dims[rank - 1];
    check(
      rank >= 2 && (c === 1 || c === 2),
      () => `input must end in a real (1) or complex (2) axis, got ${formatShape(x.dims)}`,
    );
    const axisInput = ctx.opset >= 20 && ctx.inputs[2] ? scalarOf(ctx.inputs[2], 'axis') : undefined;
    const lengthInput = ctx.inputs[1] && scalarOf(ctx.inputs[1], 'dft_length');
    const axis = dftAxis(ctx.attrs, ctx.opset, rank, axisInput);
    const len = x.dims[axis];
    const { n, out: lenOut, irfft } = dftGeometry(ctx.attrs, len, lengthInput)!;
    const inverse = ctx.attrs.int('inverse', 0) !== 0;
    const bins = Math.floor(n / 2) + 1;
    const lenIn = Math.min(len, irfft ? bins : n);
    const cOut = irfft ? 1 : 2;
    const outer = shapeSize(x.dims.slice(0, axis));
    const inner = shapeSize(x.dims.slice(axis + 1, rank - 1));
    const v = asNumbers(x);
    const out = new Float64Array(outer * lenOut * inner * cOut);
    const plan = new DftPlan(n, inverse);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    const scale = inverse ? 1 / n : 1;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        re.fill(0);
        im.fill(0);
        for (let j = 0; j < lenIn; j++) {
          const at = ((o * len + j) * inner + i) * c;
          re[j] = v[at];
          if (c === 2) im[j] = v[at + 1];
        }
        if (irfft) {
          // The missing half of a real signal's spectrum is the conjugate mirror of the given half.
          for (let k = bins; k < n; k++) {
            re[k] = re[n - k];
            im[k] = -im[n - k];
          }
        }
        plan.run(re, im);
        for (let j = 0; j < lenOut; j++) {
          const at = ((o * lenOut + j) * inner + i) * cOut;
          out[at] = re[j] * scale;
          if (cOut === 2) out[at + 1] = im[j] * scale;
        }
      }
    }
    const dims = [...x.dims];
    dims[axis] = lenOut;
    dims[rank - 1] = cOut;
    return [new Tensor(x.type, encodeNumbers(x.type, out) as never, dims)];
  },
};
