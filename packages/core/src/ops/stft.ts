import type { Dim } from '../graph/graph.js';
import { asNumbers, encodeNumbers, scalarOf } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { DftPlan } from './support/signal-fft.js';

/**
 * STFT: signal [batch, length, 1 or 2] cut into frames of frame_length (or the window's length)
 * every frame_step samples, each multiplied by the window and transformed. Output
 * [batch, frames, bins, 2] with frames = 1 + (length - frame_length) / frame_step and
 * bins = frame_length / 2 + 1 when onesided (the default), frame_length otherwise.
 */
export const STFT: OpDef = {
  type: 'STFT',
  infer(ctx) {
    const signal = ctx.inputs[0];
    const step = ctx.inputs[1]?.value;
    const frameLength = ctx.inputs[3]?.value ? scalarOf(ctx.inputs[3].value) : ctx.inputs[2]?.dims?.[0];
    const length = signal?.dims?.[1];
    const known = typeof frameLength === 'number';
    const frames: Dim =
      known && step && typeof length === 'number'
        ? 1 + Math.floor((length - frameLength) / scalarOf(step))
        : null;
    const bins: Dim = known
      ? ctx.attrs.int('onesided', 1)
        ? Math.floor(frameLength / 2) + 1
        : frameLength
      : null;
    return [{ type: signal?.type, dims: [signal?.dims?.[0] ?? null, frames, bins, 2] }];
  },
  run(ctx) {
    const signal = input(ctx, 0);
    check(isFloat(signal.type), () => `type ${signal.type} is not supported`);
    check(
      signal.dims.length === 3 && (signal.dims[2] === 1 || signal.dims[2] === 2),
      () => `signal must be [batch, length, 1 or 2], got ${formatShape(signal.dims)}`,
    );
    const [batch, length, c] = signal.dims;
    const step = scalarOf(input(ctx, 1), 'frame_step');
    const windowInput = ctx.inputs[2];
    const lengthInput = ctx.inputs[3] && scalarOf(ctx.inputs[3], 'frame_length');
    const frameLength = lengthInput ?? windowInput?.size;
    check(frameLength !== undefined, 'STFT needs a window or a frame_length');
    check(
      !windowInput || windowInput.size === frameLength,
      () => `window has ${windowInput?.size} samples, frame_length is ${frameLength}`,
    );
    check(
      step > 0 && frameLength > 0 && frameLength <= length,
      () => `frame_step ${step} and frame_length ${frameLength} do not fit a signal of ${length}`,
    );
    const window = windowInput && asNumbers(windowInput);
    const frames = 1 + Math.floor((length - frameLength) / step);
    const bins = ctx.attrs.int('onesided', 1) ? Math.floor(frameLength / 2) + 1 : frameLength;
    const v = asNumbers(signal);
    const out = new Float64Array(batch * frames * bins * 2);
    const plan = new DftPlan(frameLength, false);
    const re = new Float64Array(frameLength);
    const im = new Float64Array(frameLength);
    for (let b = 0; b < batch; b++) {
      for (let f = 0; f < frames; f++) {
        for (let j = 0; j < frameLength; j++) {
          const w = window ? window[j] : 1;
          const at = (b * length + f * step + j) * c;
          re[j] = v[at] * w;
          im[j] = c === 2 ? v[at + 1] * w : 0;
        }
        plan.run(re, im);
        const base = (b * frames + f) * bins * 2;
        for (let k = 0; k < bins; k++) {
          out[base + 2 * k] = re[k];
          out[base + 2 * k + 1] = im[k];
        }
      }
    }
    return [new Tensor(signal.type, encodeNumbers(signal.type, out) as never, [batch, frames, bins, 2])];
  },
};
