/**
 * The training optimizers of ai.onnx.preview.training (Adagrad, Adam, Momentum) update n tensors in
 * one node: inputs R (learning rate, scalar) and T (update count, int64 scalar), then `groups` lists
 * of n tensors (X_1..X_n, G_1..G_n, then the optimizer's states); outputs are lists of n as well
 * (X_new_1..X_new_n, then the new states), each shaped and typed as the input it updates.
 */
import { asNumbers, encodeNumbers, scalarOf } from '../../tensor/convert.js';
import { isFloat } from '../../tensor/dtype.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { check, type InferContext, input, type KernelContext, type OpDef, type ValueMeta } from '../op.js';

const TRAINING_DOMAIN = 'ai.onnx.preview.training';

/**
 * Updates one tensor: `ins` holds its X, G and state values (one array per input group), `outs`
 * receives the values of its output groups (same length as X).
 */
type OptimizerStep = (ins: readonly ArrayLike<number>[], outs: readonly Float64Array[]) => void;

interface OptimizerSpec {
  readonly type: string;
  /** Input groups after R and T (X, G and the states). */
  readonly groups: number;
  /** The input group each output group updates (0 = X). */
  readonly outputGroups: readonly number[];
  /** The update for learning rate `r` at update count `t`. */
  step(ctx: KernelContext, r: number, t: number): OptimizerStep;
}

/** Tensors per group, from the node's input count. */
function tensorsPerGroup(ctx: InferContext | KernelContext, spec: OptimizerSpec): number {
  const n = (ctx.inputs.length - 2) / spec.groups;
  check(
    Number.isInteger(n) && n >= 1,
    () => `${spec.type} takes R, T and ${spec.groups} lists of equal length, got ${ctx.inputs.length} inputs`,
  );
  return n;
}

export function optimizerOp(spec: OptimizerSpec): OpDef {
  return {
    type: spec.type,
    domain: TRAINING_DOMAIN,
    infer(ctx) {
      const n = tensorsPerGroup(ctx, spec);
      const outs: ValueMeta[] = [];
      for (const g of spec.outputGroups) {
        for (let i = 0; i < n; i++) {
          const m = ctx.inputs[2 + g * n + i];
          outs.push({ type: m?.type, dims: m?.dims });
        }
      }
      return outs;
    },
    run(ctx) {
      const n = tensorsPerGroup(ctx, spec);
      const r = scalarOf(input(ctx, 0), 'R');
      const t = scalarOf(input(ctx, 1), 'T');
      const step = spec.step(ctx, r, t);
      const results: Tensor[][] = spec.outputGroups.map(() => []);
      for (let i = 0; i < n; i++) {
        const group = Array.from({ length: spec.groups }, (_, g) => input(ctx, 2 + g * n + i));
        const x = group[0];
        check(isFloat(x.type), () => `type ${x.type} is not supported`);
        for (const other of group) {
          check(
            other.type === x.type && sameShape(other.dims, x.dims),
            () =>
              `tensor ${i}: ${other.type}${formatShape(other.dims)} does not match X's ${x.type}${formatShape(x.dims)}`,
          );
        }
        const outs = spec.outputGroups.map(() => new Float64Array(x.size));
        step(group.map(asNumbers), outs);
        outs.forEach((v, k) => {
          results[k].push(new Tensor(x.type, encodeNumbers(x.type, v) as never, x.dims));
        });
      }
      return results.flat();
    },
  };
}
