import { addMatVec, clamp, recurrentOp } from './support/nn-recurrent.js';

/** RNN: H = f(W.x + R.H + Wb + Rb), f = Tanh by default. */
export const RNN = recurrentOp({
  type: 'RNN',
  gates: 1,
  activations: ['Tanh'],
  cellState: false,
  step(_ctx, d) {
    const { hidden, clip } = d;
    const [f] = d.activations;
    return (gates, h) => {
      addMatVec(gates, d.r, d.rOffset, hidden, hidden, h);
      for (let j = 0; j < hidden; j++) h[j] = f(clamp(gates[j] + d.rb[j], clip));
    };
  },
});
