import { floatOnly, unaryOp } from './support/elementwise.js';

/** log(1 + e^x), written so that e^x never overflows. */
export const softplus = (x: number): number =>
  x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));

export const Softplus = unaryOp({ type: 'Softplus', accepts: floatOnly, number: softplus });
