import { floatOnly, unaryOp } from './support/elementwise.js';

/** 1 / (1 + e^-x), split by sign so that exp never overflows. */
export const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));

export const Sigmoid = unaryOp({ type: 'Sigmoid', accepts: floatOnly, number: sigmoid });
