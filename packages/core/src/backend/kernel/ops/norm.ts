/**
 * Normalisations on float32: LayerNormalization and RMSNormalization over the trailing axes, and
 * the per-channel InstanceNormalization, GroupNormalization and BatchNormalization (inference) of
 * (N, C, ...) tensors. SD exports' GroupNorm (Reshape -> InstanceNormalization on (N, groups, L)
 * -> Reshape) is a plain InstanceNormalization here, parallel over the long groups. The kernels
 * read their statistics before writing and then map each element in place, so they write into an
 * input that dies with them (KernelCall donated): a VAE decoder's 64 MiB activations then need no
 * second copy. Under fp16 arithmetic they read and write float16 (converted a block or chunk at a
 * time, computed in float32, each result rounded once, as the float32 kernel between Casts would),
 * their small scale, bias and statistics converted to float32 here.
 */
import { type KernelCall, type Node, normalizeAxis, shapeSize, type Tensor } from '../../../index.js';
import type { KernelBinding } from '../binding.js';
import {
  allFloat16,
  allFloat32,
  elementwiseOutput,
  elemParam,
  float16ToFloat32,
  type KernelOp,
  outputDims,
  outputTensor,
  runKernel,
} from './kernel-op.js';
import { attrsOf, f32, reference, usesOnlyOutputs } from './support.js';

const EMPTY = new Float32Array(0);

/**
 * Calls `run` with `params` (scale, bias, statistics: small) as float32, those given in float16
 * converted, and disposes of the converted copies afterwards.
 */
async function withFloat32(
  binding: KernelBinding,
  params: readonly (Tensor | undefined)[],
  run: (float32: (Tensor | undefined)[]) => Promise<void>,
): Promise<void> {
  const converted = await Promise.all(
    params.map((t) => (t?.type === 'float16' ? float16ToFloat32(binding, t) : t)),
  );
  try {
    await run(converted);
  } finally {
    converted.forEach((t, i) => {
      if (t !== params[i]) t?.dispose();
    });
  }
}

/** The output, of x's type and shape: x itself when it dies here (written in place). */
const normalised = (call: KernelCall, binding: KernelBinding, x: Tensor): Tensor =>
  elementwiseOutput(call, binding, outputDims(call), [0], x.type === 'float16' ? 'float16' : 'float32');

export const trailingNormOps: KernelOp = {
  types: ['LayerNormalization', 'RMSNormalization'],
  // Mean and InvStdDev come out in float32 (stash_type 1) only.
  supports: (node, types) =>
    (types[0] === 'float32' &&
      allFloat32(types) &&
      (usesOnlyOutputs(node, 1) || attrsOf(node).int('stash_type', 1) === 1)) ||
    (allFloat16(types) && usesOnlyOutputs(node, 1)),
  async run(call, binding) {
    const [x, scale, bias] = call.inputs as (Tensor | undefined)[];
    const rms = call.node.opType === 'RMSNormalization';
    const axis = normalizeAxis(call.attrs.int('axis', -1), x!.dims.length);
    const size = shapeSize(x!.dims.slice(axis));
    const blocks = shapeSize(x!.dims.slice(0, axis));
    // Scale and bias that broadcast (fewer values than the normalised block) stay with the reference.
    const b = rms ? undefined : bias;
    if (size === 0 || scale!.size !== size || (b && b.size !== size)) return reference(call);
    const y = normalised(call, binding, x!);
    const stats = !rms && call.outputCount > 1;
    const mean = stats ? outputTensor(binding, outputDims(call, 1)) : undefined;
    const inv = stats ? outputTensor(binding, outputDims(call, 2)) : undefined;
    await withFloat32(binding, [scale, b], ([scale32, b32]) =>
      runKernel(
        binding,
        'layer_norm_f32',
        x!.size,
        [
          x!.data as ArrayBufferView,
          f32(scale32!),
          b32 ? f32(b32) : EMPTY,
          y.data as ArrayBufferView,
          mean ? f32(mean) : EMPTY,
          inv ? f32(inv) : EMPTY,
        ],
        [rms ? 1 : 0, blocks, size, call.attrs.float('epsilon', 1e-5), ...elemParam(x!)],
      ),
    );
    return mean && inv ? [y, mean, inv] : [y];
  },
};

/** BatchNormalization computes batch statistics (training) in these cases. */
function training(opset: number, node: Node): boolean {
  const a = attrsOf(node);
  if (opset >= 14) return a.int('training_mode', 0) !== 0;
  return opset < 7 && a.int('is_test', 0) === 0 && !usesOnlyOutputs(node, 1);
}

export const channelNormOps: KernelOp = {
  types: ['InstanceNormalization', 'GroupNormalization', 'BatchNormalization'],
  supports: (node, types, opset) =>
    (allFloat32(types) || allFloat16(types)) &&
    types[0] !== undefined &&
    (node.opType !== 'BatchNormalization' || (!training(opset, node) && usesOnlyOutputs(node, 1))),
  async run(call, binding) {
    const [x, scale, bias, mean, variance] = call.inputs as (Tensor | undefined)[];
    if (x!.dims.length < 2) return reference(call);
    const [n, c] = x!.dims;
    const spatial = shapeSize(x!.dims.slice(2));
    const type = call.node.opType;
    const groups = type === 'GroupNormalization' ? call.attrs.int('num_groups') : c;
    // Opset 18 GroupNormalization took one scale/bias per group, opset 21 one per channel.
    const perGroup = type === 'GroupNormalization' && scale!.size === groups && groups !== c;
    const count = perGroup ? groups : c;
    const given = type === 'BatchNormalization';
    if (
      groups <= 0 ||
      c % groups !== 0 ||
      scale!.size !== count ||
      bias!.size !== count ||
      (given && (mean!.size !== c || variance!.size !== c))
    ) {
      return reference(call);
    }
    const y = normalised(call, binding, x!);
    await withFloat32(
      binding,
      [scale, bias, given ? mean : undefined, given ? variance : undefined],
      ([s, b, m, v]) =>
        runKernel(
          binding,
          'channel_norm_f32',
          x!.size,
          [
            x!.data as ArrayBufferView,
            f32(s!),
            f32(b!),
            m ? f32(m) : EMPTY,
            v ? f32(v) : EMPTY,
            y.data as ArrayBufferView,
          ],
          [
            n,
            c,
            spatial,
            groups,
            call.attrs.float('epsilon', 1e-5),
            given ? 1 : 0,
            perGroup ? 1 : 0,
            ...elemParam(x!),
          ],
        ),
    );
    return [y];
  },
};
