/**
 * The operator registry: every operator the engine knows, keyed by domain and op_type.
 * Adding an operator = one file in this folder and one line in its group list.
 */
import { CONTROL_OPS } from './groups/control.js';
import { ELEMENTWISE_OPS } from './groups/elementwise.js';
import { FUSED_OPS } from './groups/fused.js';
import { NN_OPS } from './groups/nn.js';
import { TENSOR_OPS } from './groups/tensor.js';
import type { OpDef } from './op.js';

export const OPS: readonly OpDef[] = [
  ...ELEMENTWISE_OPS,
  ...NN_OPS,
  ...TENSOR_OPS,
  ...CONTROL_OPS,
  ...FUSED_OPS,
];

const byKey = new Map<string, OpDef>();
for (const op of OPS) {
  const key = `${op.domain ?? ''}::${op.type}`;
  if (byKey.has(key)) throw new Error(`operator ${key} is registered twice`);
  byKey.set(key, op);
}

/** The operator for (domain, op_type); 'ai.onnx' and '' are the same domain. */
export function findOp(domain: string, type: string): OpDef | undefined {
  return byKey.get(`${domain === 'ai.onnx' ? '' : domain}::${type}`);
}

export function supportedOps(): string[] {
  return OPS.map((op) => (op.domain ? `${op.domain}::${op.type}` : op.type)).sort();
}
