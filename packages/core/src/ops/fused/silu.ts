import { sigmoid } from '../sigmoid.js';
import { floatOnly, unaryOp } from '../support/elementwise.js';

/** x * sigmoid(x): the Sigmoid + Mul pair of torch exports, fused by the planner. */
export const Silu = {
  ...unaryOp({ type: 'Silu', accepts: floatOnly, number: (x) => x * sigmoid(x) }),
  domain: 'com.onnxstream',
};
