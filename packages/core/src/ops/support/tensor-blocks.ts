/**
 * DepthToSpace and SpaceToDepth: a reshape to 6-D, a transpose and a reshape back.
 */
import type { Dim } from '../../graph/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import { transposeData } from '../../tensor/transpose.js';
import type { Attributes } from '../attributes.js';
import { check, type InferContext, input, type KernelContext, type ValueMeta } from '../op.js';
import { allocElements, elementsOf, tensorOf } from './tensor-data.js';

/** The blocksize attribute. */
export function blockSize(attrs: Attributes): number {
  const size = attrs.int('blocksize');
  check(size > 0, () => `blocksize must be a positive integer, got ${size}`);
  return size;
}

/** Input 0, which must be 4-D (N, C, H, W). */
export function imageInput(ctx: KernelContext): Tensor {
  const x = input(ctx, 0);
  check(x.dims.length === 4, () => `input must be 4-D, has rank ${x.dims.length}`);
  return x;
}

/** Moves `x` viewed as `view` (6-D) through `perm` and returns it with dims `outDims`. */
export function permuteBlocks(
  x: Tensor,
  view: readonly number[],
  perm: readonly number[],
  outDims: readonly number[],
): Tensor {
  const out = allocElements(x.type, x.size);
  transposeData(elementsOf(x), view, perm, out);
  return tensorOf(x.type, out, outDims, x.quant);
}

/** Shape rule of both operators: channels scale by `channels`, height and width by `spatial`. */
export function inferBlocks(
  ctx: InferContext,
  channels: (c: number, block: number) => number,
  spatial: (d: number, block: number) => number,
): ValueMeta[] {
  const b = blockSize(ctx.attrs);
  const x = ctx.inputs[0];
  if (!x?.dims) return [{ type: x?.type }];
  check(x.dims.length === 4, () => `input must be 4-D, has rank ${x.dims!.length}`);
  const [n, c, h, w] = x.dims;
  const f = (d: Dim, g: (v: number, block: number) => number): Dim =>
    typeof d === 'number' ? g(d, b) : null;
  return [{ type: x.type, dims: [n, f(c, channels), f(h, spatial), f(w, spatial)] }];
}
