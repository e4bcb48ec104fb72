/**
 * Uint8ChannelBlocks (ops/fused/uint8-channel-blocks.ts) on a kernel backend: the inner operator's
 * kernel runs on a block of channels at a time, its uint8 inputs dequantised into float32 blocks and
 * its float32 block output quantised into the uint8 output with dequantize_8bit / quantize_8bit, so
 * a block's floats (about BLOCK_FLOATS) are all that exist besides the uint8 tensors. Each element is
 * computed as by the whole tensors (InstanceNormalization's statistics are per channel), so the bits
 * are those of LoadUint8 -> operator -> StoreUint8.
 */
import type { KernelCall, Node, Tensor } from '../../../index.js';
import { CHANNEL_OPS, channelSlicing, innerOp } from '../../../ops/fused/uint8-channel-blocks.js';
import { foldedStoreQuantization, quantizeStoredScale } from '../../../ops/fused/uint8-storage.js';
import { shapeSize } from '../../../tensor/shape.js';
import { kernelOpFor } from '../backend.js';
import type { KernelBinding } from '../binding.js';
import { QuantType } from '../kernels.js';
import type { KernelOp } from './kernel-op.js';
import { outputDims, runKernel } from './kernel-op.js';
import { quantised } from './uint8-storage.js';

/** Floats per block of channels (at least one channel): 4 MiB. */
const BLOCK_FLOATS = 1 << 20;

const innerNodes = new WeakMap<Node, Node>();

/** The node the inner operator's kernel sees: the wrapper's, as the operator it wraps. */
function innerNode(node: Node): Node {
  let inner = innerNodes.get(node);
  if (!inner) {
    const attributes = new Map(node.attributes);
    const op = attributes.get('op')?.value as string;
    const domain = (attributes.get('op_domain')?.value as string | undefined) ?? '';
    inner = { ...node, opType: op, domain, attributes };
    innerNodes.set(node, inner);
  }
  return inner;
}

export const uint8ChannelBlocksOps: KernelOp = {
  types: ['com.onnxstream::Uint8ChannelBlocks'],
  supports(node, types, opset) {
    const inner = innerNode(node);
    if (!CHANNEL_OPS.has(`${inner.domain}::${inner.opType}`)) return false;
    const seen = types.map((t) => (t === 'uint8' ? 'float32' : t));
    return kernelOpFor(inner)?.supports(inner, seen, opset) ?? false;
  },
  async run(call, binding) {
    const node = innerNode(call.node);
    const kernel = kernelOpFor(node)!;
    const op = innerOp(call.attrs);
    const given = call.inputs as (Tensor | undefined)[];
    const dims = outputDims(call);
    const slicing = given.map((t, i) => (t ? channelSlicing(node.opType, i, t.dims, dims) : undefined));
    if (dims[0] !== 1 || slicing.some((s, i) => given[i] && !s)) {
      throw new Error(
        `inputs of shapes ${given.map((t) => t && `(${t.dims})`).join(', ')} are not channel blocks`,
      );
    }
    const store = foldedStoreQuantization(call.attrs);
    if (!store) throw new Error('store_min and store_max are required');
    const y = quantised(binding.allocTensor('uint8', dims), store);
    const c = dims[1];
    const plane = shapeSize(dims.slice(2));
    // At most half the channels: small tensors run two blocks too, so tests on small models cover
    // the block boundaries.
    const step = Math.max(1, Math.min(Math.ceil(c / 2), Math.floor(BLOCK_FLOATS / Math.max(1, plane))));
    try {
      for (let c0 = 0; c0 < c; c0 += step) {
        const c1 = Math.min(c, c0 + step);
        const inputs = await Promise.all(given.map((t, i) => block(binding, t, slicing[i], c0, c1, dims)));
        try {
          const blockCall: KernelCall = {
            ...call,
            node,
            op,
            inputs,
            values: inputs,
            donated: inputs.map((t, i) => t !== given[i] && slicing[i] === 'full'),
          };
          const [yb] = await kernel.run(blockCall, binding);
          try {
            await runKernel(
              binding,
              'quantize_8bit',
              yb.size,
              [yb.data as Float32Array, (y.data as Uint8Array).subarray(c0 * plane, c1 * plane)],
              [QuantType.uint8, yb.size, quantizeStoredScale(store), store.zeroPoint],
            );
          } finally {
            if (!inputs.includes(yb)) yb.dispose();
          }
        } finally {
          inputs.forEach((t, i) => {
            if (t && t !== given[i]) t.dispose();
          });
        }
      }
      return [y];
    } catch (e) {
      y.dispose();
      throw e;
    }
  },
};

/**
 * Channels [c0, c1) of `t` as float32 in the binding's memory: a uint8 tensor dequantised, a float32
 * one copied; `t` itself when every block reads all of it.
 */
async function block(
  binding: KernelBinding,
  t: Tensor | undefined,
  slicing: 'full' | 'channel' | 'whole' | undefined,
  c0: number,
  c1: number,
  out: readonly number[],
): Promise<Tensor | undefined> {
  if (!t || slicing === 'whole') return t;
  // A full input is the output's shape (leading 1s aside); a channel one holds one value per channel.
  const per = slicing === 'full' ? shapeSize(out.slice(2)) : 1;
  const dims =
    slicing === 'full' ? [1, c1 - c0, ...out.slice(2)] : t.dims.map((d) => (d === 1 ? 1 : c1 - c0));
  const b = binding.allocTensor('float32', dims);
  const from = c0 * per;
  const to = c1 * per;
  if (t.type === 'uint8') {
    if (!t.quant) throw new Error('a uint8 input must be a quantised tensor');
    await runKernel(
      binding,
      'dequantize_8bit',
      to - from,
      [(t.data as Uint8Array).subarray(from, to), b.data as Float32Array],
      [QuantType.uint8, to - from, quantizeStoredScale(t.quant), t.quant.zeroPoint],
    );
  } else {
    (b.data as Float32Array).set((t.data as Float32Array).subarray(from, to));
  }
  return b;
}
