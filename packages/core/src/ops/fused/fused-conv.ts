import { asNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import { Conv } from '../conv.js';
import type { OpDef, ValueMeta } from '../op.js';
import { check } from '../op.js';
import { elementsOf, tensorOf } from '../support/tensor-data.js';
import { activationOf, applyActivation } from './activation.js';
import { dequantizeStored, foldedStoreQuantization, quantizeStored } from './uint8-storage.js';

/**
 * Conv followed by an activation (relu, sigmoid, or silu = x * sigmoid(x)), as the planner's fusion
 * pass writes it: one operator, one output tensor. Attributes: Conv's plus `activation`, and
 * `upsample` (default 1): 2 when the convolution reads its input through a nearest 2x upsampling
 * (a Resize nearest/asymmetric/floor before it, fused so that the upsampled copy never exists).
 * Under static uint8 activations the LoadUint8 before it and the StoreUint8 after it may be folded
 * in (planner/fuse-uint8-io.ts): the input is then a quantised uint8 tensor, read as LoadUint8 reads
 * it, and with `store_min` / `store_max` the output is uint8, quantised as StoreUint8 stores it.
 */
export const FusedConv: OpDef = {
  type: 'FusedConv',
  domain: 'com.onnxstream',
  infer(ctx) {
    const up = upsampleOf(ctx.attrs.int('upsample', 1));
    const [x, ...rest] = ctx.inputs;
    const dims = x?.dims?.map((d, i) => (i >= 2 && typeof d === 'number' ? d * up : i >= 2 ? null : d));
    const read: ValueMeta | undefined =
      x && (up !== 1 || x.type === 'uint8') ? { ...x, type: 'float32', dims, value: undefined } : x;
    const [y] = Conv.infer({ ...ctx, inputs: [read, ...rest] });
    return [ctx.attrs.has('store_min') ? { ...y, type: 'uint8', value: undefined } : y];
  },
  async run(ctx) {
    const up = upsampleOf(ctx.attrs.int('upsample', 1));
    const given = ctx.inputs[0] as Tensor;
    const x = given.type === 'uint8' ? new Tensor('float32', dequantizeStored(given), given.dims) : given;
    const inputs = [up === 1 ? x : upsampleNearest(x, up), ...ctx.inputs.slice(1)];
    const [conv] = await Conv.run({ ...ctx, inputs, values: inputs });
    const y = applyActivation(conv as never, activationOf(ctx.attrs)) as Tensor;
    const quant = foldedStoreQuantization(ctx.attrs);
    return [quant ? new Tensor('uint8', quantizeStored(asNumbers(y), quant), y.dims, quant) : y];
  },
};

function upsampleOf(up: number): number {
  check(up === 1 || up === 2, () => `upsample must be 1 or 2, got ${up}`);
  return up;
}

/** Nearest upsampling of the spatial axes of an (N, C, ...) tensor by `up` (source index floor(i / up)). */
function upsampleNearest(x: Tensor, up: number): Tensor {
  check(x.dims.length === 4, () => `an upsampled convolution needs a 2-D input, got rank ${x.dims.length}`);
  const [n, c, h, w] = x.dims;
  const src = elementsOf(x);
  const out = new (src.constructor as Float32ArrayConstructor)(n * c * h * up * w * up);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h * up; y++) {
      const row = (p * h + Math.floor(y / up)) * w;
      for (let z = 0; z < w * up; z++) out[o++] = src[row + Math.floor(z / up)] as number;
    }
  }
  return tensorOf(x.type, out as never, [n, c, h * up, w * up], x.quant);
}
