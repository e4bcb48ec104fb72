import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

const ACTIVATIONS = ['none', 'silu', 'swish'];

/**
 * CausalConvWithState (opset 27): depthwise causal 1-D convolution of input (B, C, L) by weight
 * (C, 1, K), each channel left-padded with past_state (B, C, K-1) or zeros, plus the optional bias
 * and the optional SiLU (= Swish) activation. present_state is the last K-1 positions of the padded
 * input, the carry of the next call.
 */
export const CausalConvWithState: OpDef = {
  type: 'CausalConvWithState',
  infer(ctx) {
    const [x, w] = ctx.inputs;
    const k = w?.dims?.[2];
    const carry: Dim = typeof k === 'number' ? k - 1 : null;
    const dims = x?.dims;
    return [
      { type: x?.type, dims },
      { type: x?.type, dims: dims ? [dims[0], dims[1], carry] : undefined },
    ];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const [, , bias, past] = ctx.inputs;
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    check(x.dims.length === 3, () => `input must be (batch, channels, length), got ${formatShape(x.dims)}`);
    const [batch, channels, len] = x.dims;
    check(
      w.dims.length === 3 && w.dims[0] === channels && w.dims[1] === 1 && w.dims[2] >= 1,
      () => `weight has shape ${formatShape(w.dims)}, expected [${channels},1,k]`,
    );
    const k = w.dims[2];
    const carry = k - 1;
    if (bias)
      check(bias.size === channels, () => `bias has shape ${formatShape(bias.dims)}, expected [${channels}]`);
    if (past) {
      check(
        past.dims.length === 3 &&
          past.dims[0] === batch &&
          past.dims[1] === channels &&
          past.dims[2] === carry,
        () => `past_state has shape ${formatShape(past.dims)}, expected [${batch},${channels},${carry}]`,
      );
    }
    const activation = ctx.attrs.string('activation', 'none');
    check(
      ACTIVATIONS.includes(activation),
      () => `activation must be none, silu or swish, got '${activation}'`,
    );
    const xv = asNumbers(x);
    const wv = asNumbers(w);
    const bv = bias ? asNumbers(bias) : undefined;
    const pv = past ? asNumbers(past) : undefined;
    const padded = new Float64Array(carry + len);
    const out = accumulatorFor(x.type, x.size);
    const state = accumulatorFor(x.type, batch * channels * carry);
    for (let row = 0; row < batch * channels; row++) {
      const c = row % channels;
      for (let i = 0; i < carry; i++) padded[i] = pv ? pv[row * carry + i] : 0;
      for (let i = 0; i < len; i++) padded[carry + i] = xv[row * len + i];
      for (let t = 0; t < len; t++) {
        let s = bv ? bv[c] : 0;
        for (let j = 0; j < k; j++) s += wv[c * k + j] * padded[t + j];
        out[row * len + t] = activation === 'none' ? s : s / (1 + Math.exp(-s));
      }
      state.set(padded.subarray(len), row * carry);
    }
    return [tensorFromValues(x.type, out, x.dims), tensorFromValues(x.type, state, [batch, channels, carry])];
  },
};
