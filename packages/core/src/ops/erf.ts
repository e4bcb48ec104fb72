import { erf, floatOnly, unaryOp } from './support/elementwise.js';

export const Erf = unaryOp({ type: 'Erf', accepts: floatOnly, number: erf });
