/**
 * The operator registry: every operator the engine knows, keyed by domain and op_type.
 * Adding an operator = one file in this folder and one line here.
 */
import { Add } from './add.js';
import { Concat } from './concat.js';
import { Conv } from './conv.js';
import { Div } from './div.js';
import { MaxPool } from './max-pool.js';
import { Mul } from './mul.js';
import type { OpDef } from './op.js';
import { Reshape } from './reshape.js';
import { Resize } from './resize.js';
import { Sigmoid } from './sigmoid.js';
import { Slice } from './slice.js';
import { Softmax } from './softmax.js';
import { Split } from './split.js';
import { Sub } from './sub.js';
import { Transpose } from './transpose.js';
import { Upsample } from './upsample.js';

export const OPS: readonly OpDef[] = [
  Add,
  Concat,
  Conv,
  Div,
  MaxPool,
  Mul,
  Reshape,
  Resize,
  Sigmoid,
  Slice,
  Softmax,
  Split,
  Sub,
  Transpose,
  Upsample,
];

const byKey = new Map<string, OpDef>(OPS.map((op) => [`${op.domain ?? ''}::${op.type}`, op]));

/** The operator for (domain, op_type); 'ai.onnx' and '' are the same domain. */
export function findOp(domain: string, type: string): OpDef | undefined {
  return byKey.get(`${domain === 'ai.onnx' ? '' : domain}::${type}`);
}

export function supportedOps(): string[] {
  return OPS.map((op) => (op.domain ? `${op.domain}::${op.type}` : op.type)).sort();
}
