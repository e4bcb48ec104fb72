import type { Dim } from '../../graph/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Add } from '../add.js';
import { MatMul } from '../mat-mul.js';
import type { InferContext, KernelContext, OpDef, ValueMeta } from '../op.js';
import { check, input } from '../op.js';
import { Geglu } from './geglu.js';

/**
 * diffusers' GEGLU with its projection: y = Geglu(x . weight + bias), x [..., K], weight [K, 2N],
 * bias [2N] (optional), y [..., N]; with an output weight [N, M] (input 3, and optionally its bias [M],
 * input 4) the feed-forward's output layer too: y = Geglu(...) . out + outBias, y [..., M]. The planner
 * writes it for MatMul -> Add -> Geglu [-> MatMul -> Add] (fuse.ts), so a kernel backend can compute
 * it a block of rows at a time and never hold the projection or the gated activation whole (at SD's
 * 64x64 blocks they are 4096 x 2560 and 4096 x 1280 float32: 40 and 20 MiB, four and two times the
 * block's other activations). Each step rounds as the operators do, so the values are those of the
 * unfused graph.
 */
export const MatMulGeglu: OpDef = {
  type: 'MatMulGeglu',
  domain: 'com.onnxstream',
  infer(ctx) {
    const [x, weight, bias, out, outBias] = ctx.inputs;
    const wide = weight?.dims?.[1];
    check(weight?.dims === undefined || weight.dims.length === 2, () => 'the weight must be 2-D');
    checkBias(bias, wide, "the weight's");
    const [projected] = MatMul.infer({ ...ctx, inputs: [x, weight] } as InferContext);
    const gated = Geglu.infer({ ...ctx, inputs: [projected] as ValueMeta[] });
    if (!out) return gated;
    check(out.dims === undefined || out.dims.length === 2, () => 'the output weight must be 2-D');
    checkBias(outBias, out.dims?.[1], "the output weight's");
    return MatMul.infer({ ...ctx, inputs: [gated[0], out] } as InferContext);
  },
  async run(ctx) {
    const weight = input(ctx, 1);
    check(weight.dims.length === 2, () => `the weight must be 2-D, got [${weight.dims.join(',')}]`);
    const [x, , bias, out, outBias] = ctx.inputs;
    const step = (inputs: (Tensor | undefined)[]): KernelContext => ({ ...ctx, inputs, values: inputs });
    /** A linear layer: a . w (+ b, added bias first as diffusers' export does). */
    const linear = async (a: Tensor | undefined, w: Tensor, b: Tensor | undefined): Promise<Tensor> => {
      const [y] = (await MatMul.run(step([a, w]))) as Tensor[];
      return b ? ((await Add.run(step([b, y]))) as Tensor[])[0] : y;
    };
    const [gated] = (await Geglu.run(step([await linear(x, weight, bias)]))) as Tensor[];
    if (!out) return [gated];
    check(out.dims.length === 2, () => `the output weight must be 2-D, got [${out.dims.join(',')}]`);
    return [await linear(gated, out, outBias)];
  },
};

function checkBias(bias: ValueMeta | undefined, width: Dim | undefined, whose: string): void {
  check(
    bias?.dims === undefined ||
      typeof width !== 'number' ||
      (bias.dims.length === 1 && bias.dims[0] === width),
    () => `the bias must be 1-D of ${whose} width ${width}, got [${bias?.dims?.join(',')}]`,
  );
}
