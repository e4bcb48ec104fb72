import { asNumbers } from '../tensor/convert.js';
import { formatShape } from '../tensor/shape.js';
import { check } from './op.js';
import { addMatVec, clamp, recurrentOp } from './support/nn-recurrent.js';

/**
 * LSTM, gates i, o, f, c with peepholes P = (Pi, Po, Pf):
 * i = f(Wi.x + Ri.H + Pi * C + Wbi + Rbi), forget gate likewise (1 - i with input_forget),
 * C = forget * C + i * g(Wc.x + Rc.H + Wbc + Rbc), o = f(Wo.x + Ro.H + Po * C + Wbo + Rbo) with
 * the new C, H = o * h(C). f = Sigmoid, g = h = Tanh by default; clip bounds the gates'
 * pre-activations (not h's input, as onnxruntime).
 */
export const LSTM = recurrentOp({
  type: 'LSTM',
  gates: 4,
  activations: ['Sigmoid', 'Tanh', 'Tanh'],
  cellState: true,
  step(ctx, d) {
    const { hidden, clip, rb } = d;
    const [f, g, hAct] = d.activations;
    const inputForget = ctx.attrs.int('input_forget', 0) !== 0;
    const pt = ctx.inputs[7];
    const p = new Float64Array(3 * hidden);
    if (pt) {
      check(
        pt.dims.length === 2 && pt.dims[0] === d.directions && pt.dims[1] === 3 * hidden,
        () => `P has shape ${formatShape(pt.dims)}, expected [${d.directions},${3 * hidden}]`,
      );
      const pv = asNumbers(pt);
      for (let j = 0; j < 3 * hidden; j++) p[j] = pv[d.index * 3 * hidden + j];
    }
    const [io, oo, fo, co] = [0, hidden, 2 * hidden, 3 * hidden];
    return (gates, h, c) => {
      addMatVec(gates, d.r, d.rOffset, 4 * hidden, hidden, h);
      for (let j = 0; j < 4 * hidden; j++) gates[j] += rb[j];
      for (let j = 0; j < hidden; j++) {
        const i = f(clamp(gates[io + j] + p[j] * c[j], clip));
        const forget = inputForget ? 1 - i : f(clamp(gates[fo + j] + p[2 * hidden + j] * c[j], clip));
        const cell = forget * c[j] + i * g(clamp(gates[co + j], clip));
        const o = f(clamp(gates[oo + j] + p[hidden + j] * cell, clip));
        c[j] = cell;
        h[j] = o * hAct(cell);
      }
    };
  },
});
