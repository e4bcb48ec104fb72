import { softplus } from './softplus.js';
import { floatOnly, unaryOp } from './support/elementwise.js';

export const Mish = unaryOp({ type: 'Mish', accepts: floatOnly, number: (x) => x * Math.tanh(softplus(x)) });
