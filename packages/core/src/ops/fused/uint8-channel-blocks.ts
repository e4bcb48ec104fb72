/**
 * An operator run between uint8 values (static uint8 activations, planner/fuse-uint8-io.ts): the
 * LoadUint8 of its inputs and the StoreUint8 of its output are folded in, and since it maps each
 * channel (axis 1) of an (1, C, ...) tensor on its own, kernel backends run it a block of channels
 * at a time, so the whole float32 copies of its inputs and output never exist. Attributes: the inner
 * operator's own, plus `op` and `op_domain` (which operator), `store_min` / `store_max` (the range
 * its uint8 output is stored with). uint8 inputs are quantised tensors, read as LoadUint8 reads them. This reference kernel
 * runs the inner operator on the whole tensors: per element, the same arithmetic.
 */
import { asNumbers } from '../../tensor/convert.js';
import { Tensor } from '../../tensor/tensor.js';
import { findOp } from '../index.js';
import type { OpDef, ValueMeta } from '../op.js';
import { check } from '../op.js';
import { dequantizeStored, foldedStoreQuantization, quantizeStored } from './uint8-storage.js';

/** Operators that map each channel of a (1, C, ...) tensor on its own, by domain::op_type. */
export const CHANNEL_OPS: ReadonlySet<string> = new Set([
  '::InstanceNormalization',
  '::Add',
  '::Mul',
  'com.onnxstream::FusedAdd',
]);

/**
 * How an input of dims `dims` is cut into blocks of channels of an output of dims `out`: `full` (the
 * output's shape: channels [c0, c1) are a contiguous run), `channel` (one value per channel, the
 * rest 1: InstanceNormalization's scale and bias, a (C, 1, 1) factor), `whole` (broadcast to every
 * channel: given whole to each block), or undefined when it is none of these.
 */
export function channelSlicing(
  op: string,
  input: number,
  dims: readonly number[],
  out: readonly number[],
): 'full' | 'channel' | 'whole' | undefined {
  if (op === 'InstanceNormalization' && input > 0)
    return dims.length === 1 && dims[0] === out[1] ? 'channel' : undefined;
  if (dims.length > out.length) return undefined;
  const aligned = [...new Array(out.length - dims.length).fill(1), ...dims];
  if (aligned.every((d, i) => d === out[i])) return 'full';
  if (aligned.every((d, i) => d === 1 || i === 1))
    return aligned[1] === 1 ? 'whole' : aligned[1] === out[1] ? 'channel' : undefined;
  return undefined;
}

/** The inner operator of a Uint8ChannelBlocks node's attributes. */
export function innerOp(attrs: { string(name: string, fallback: string): string }): OpDef {
  const domain = attrs.string('op_domain', '');
  const type = attrs.string('op', '');
  const op = findOp(domain, type);
  check(
    op !== undefined && CHANNEL_OPS.has(`${domain}::${type}`),
    () => `op ${domain}::${type} is not a channel operator`,
  );
  return op!;
}

export const Uint8ChannelBlocks: OpDef = {
  type: 'Uint8ChannelBlocks',
  domain: 'com.onnxstream',
  infer(ctx) {
    const inputs = ctx.inputs.map((m): ValueMeta | undefined =>
      m?.type === 'uint8' ? { ...m, type: 'float32' } : m,
    );
    const [y] = innerOp(ctx.attrs).infer({ ...ctx, inputs });
    return [{ ...y, type: 'uint8', value: undefined }];
  },
  async run(ctx) {
    const inputs = ctx.inputs.map((t) =>
      t?.type === 'uint8' ? new Tensor('float32', dequantizeStored(t), t.dims) : t,
    );
    const [y] = (await innerOp(ctx.attrs).run({ ...ctx, inputs, values: inputs })) as Tensor[];
    const quant = foldedStoreQuantization(ctx.attrs);
    check(quant !== undefined, 'store_min and store_max are required');
    return [new Tensor('uint8', quantizeStored(asNumbers(y), quant!), y.dims, quant)];
  },
};
