import { Gelu as OnnxGelu } from '../gelu.js';

/**
 * x/2 (1 + erf(x / sqrt 2)): the Div, Erf, Add, Mul, Mul chain of torch's GELU export (opsets
 * before Gelu existed), fused by the planner into one pass without four intermediate tensors.
 */
export const Gelu = { ...OnnxGelu, domain: 'com.onnxstream' };
