/**
 * Running an operator over a sliced weight (KernelCall `sliced`): its rows a block at a time, the
 * next block read while the current one runs, each block freed as soon as it has been used.
 */
import type { SlicedWeight, Tensor } from '../../../index.js';

/** Calls `body` on each block of the weight's rows in order; blocks are disposed after their call. */
export async function forEachBlock(
  sliced: SlicedWeight,
  body: (block: Tensor, first: number, count: number) => Promise<void>,
): Promise<void> {
  const total = sliced.dims[0];
  const read = (first: number) => {
    if (first >= total) return undefined;
    const block = sliced.read(first, Math.min(sliced.rows, total - first));
    // A failed read surfaces when its block is awaited, not as an unhandled rejection meanwhile.
    block.catch(() => {});
    return block;
  };
  let pending = read(0);
  try {
    for (let first = 0; first < total; first += sliced.rows) {
      const block = (await pending)!;
      pending = read(first + sliced.rows);
      try {
        await body(block, first, Math.min(sliced.rows, total - first));
      } finally {
        block.dispose();
      }
    }
  } catch (e) {
    pending?.then(
      (block) => block.dispose(),
      () => {},
    );
    throw e;
  }
}

/** The whole weight, for a path that cannot take it in blocks (the caller disposes it). */
export const wholeWeight = (sliced: SlicedWeight): Promise<Tensor> => sliced.read(0, sliced.dims[0]);
