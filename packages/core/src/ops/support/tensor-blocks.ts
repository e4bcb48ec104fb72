/**
 * DepthToSpace and SpaceToDepth: a reshape to 6-D, a transpose and a reshape back.
 */
import type { Dim } from '../../graph/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import { transposeData } from '../../tensor/transpose.js';
import { check, type InferContext, type ValueMeta } from '../op.js';
import { allocElements, elementsOf, tensorOf } from './tensor-data.js';

export function blockSize(size: number): number {
  check(Number.isInteger(size) && size > 0, () => `blocksize must be a positive integer, got ${size}`);
  return size;
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
  channels: (c: number) => number,
  spatial: (d: number) => number,
): ValueMeta[] {
  const x = ctx.inputs[0];
  if (!x?.dims) return [{ type: x?.type }];
  check(x.dims.length === 4, () => `input must be 4-D, has rank ${x.dims!.length}`);
  const [n, c, h, w] = x.dims;
  const f = (d: Dim, g: (v: number) => number): Dim => (typeof d === 'number' ? g(d) : null);
  return [{ type: x.type, dims: [n, f(c, channels), f(h, spatial), f(w, spatial)] }];
}
