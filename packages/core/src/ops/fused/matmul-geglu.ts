import type { Tensor } from '../../tensor/tensor.js';
import { Add } from '../add.js';
import { MatMul } from '../mat-mul.js';
import type { InferContext, KernelContext, OpDef, ValueMeta } from '../op.js';
import { check, input } from '../op.js';
import { Geglu } from './geglu.js';

/** The inputs of the three operators MatMulGeglu stands for: x . weight, + bias, GEGLU. */
const matmulOf = <T>(inputs: readonly T[]): T[] => [inputs[0], inputs[1]];

/**
 * diffusers' GEGLU with its projection: y = Geglu(x . weight + bias), x [..., K], weight [K, 2N],
 * bias [2N] (optional), y [..., N]. The planner writes it for MatMul -> Add -> Geglu (fuse.ts), so a
 * kernel backend can compute the projection a block of rows at a time and never hold it whole (at
 * SD's 64x64 blocks it is 4096 x 2560 float32: 40 MiB, four times the block's other activations).
 * Each step rounds as the three operators do, so the values are those of the unfused graph.
 */
export const MatMulGeglu: OpDef = {
  type: 'MatMulGeglu',
  domain: 'com.onnxstream',
  infer(ctx) {
    const [, weight, bias] = ctx.inputs;
    const wide = weight?.dims?.[1];
    check(weight?.dims === undefined || weight.dims.length === 2, () => 'the weight must be 2-D');
    check(
      bias?.dims === undefined ||
        typeof wide !== 'number' ||
        (bias.dims.length === 1 && bias.dims[0] === wide),
      () => `the bias must be 1-D of the weight's width ${wide}, got [${bias?.dims?.join(',')}]`,
    );
    const [projected] = MatMul.infer({ ...ctx, inputs: matmulOf(ctx.inputs) } as InferContext);
    return Geglu.infer({ ...ctx, inputs: [projected] as ValueMeta[] });
  },
  async run(ctx) {
    const weight = input(ctx, 1);
    check(weight.dims.length === 2, () => `the weight must be 2-D, got [${weight.dims.join(',')}]`);
    const step = (inputs: (Tensor | undefined)[]): KernelContext => ({ ...ctx, inputs, values: inputs });
    let [y] = (await MatMul.run(step(matmulOf(ctx.inputs)))) as Tensor[];
    const bias = ctx.inputs[2];
    if (bias) [y] = (await Add.run(step([bias, y]))) as Tensor[];
    return Geglu.run(step([y]));
  },
};
