/**
 * The sequence operators on cases the conformance suite leaves out: uneven splits, default
 * positions, stacking on a new last axis, empty sequences and the errors for bad positions or types.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../graph/graph.js';
import { Tensor } from '../tensor/tensor.js';
import { TensorSequence, type Value } from '../tensor/value.js';
import { ConcatFromSequence } from './concat-from-sequence.js';
import { Optional } from './optional.js';
import { SequenceErase } from './sequence-erase.js';
import { SequenceInsert } from './sequence-insert.js';
import { SequenceMap } from './sequence-map.js';
import { SplitToSequence } from './split-to-sequence.js';
import { callInfer, callKernel } from './support/kernel-call.js';

const f32 = (values: number[], dims = [values.length]) => new Tensor('float32', values, dims);
const i64 = (v: number) => new Tensor('int64', [BigInt(v)], []);
const seqOf = (...tensors: Tensor[]) => new TensorSequence('float32', tensors);

/** The single output, which must be a sequence: each tensor as [dims, values]. */
function parts(outs: Value[]): [readonly number[], number[]][] {
  const s = outs[0];
  if (!(s instanceof TensorSequence)) throw new Error(`expected a sequence, got ${s}`);
  return s.tensors.map((t) => [t.dims, Array.from(t.data as Float32Array)]);
}

describe('SplitToSequence', () => {
  const x = f32([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [2, 5]);

  it('cuts chunks of a scalar split along the axis, the last one shorter', async () => {
    expect(parts(await callKernel(SplitToSequence, [x, i64(2)], { axis: 1 }))).toEqual([
      [
        [2, 2],
        [0, 1, 5, 6],
      ],
      [
        [2, 2],
        [2, 3, 7, 8],
      ],
      [
        [2, 1],
        [4, 9],
      ],
    ]);
  });

  it('without split gives one part per index, keepdims 0 dropping the axis', async () => {
    expect(parts(await callKernel(SplitToSequence, [x], { axis: 0, keepdims: 0 }))).toEqual([
      [[5], [0, 1, 2, 3, 4]],
      [[5], [5, 6, 7, 8, 9]],
    ]);
    // keepdims is ignored when split is given.
    const given = parts(
      await callKernel(SplitToSequence, [x, new Tensor('int64', [1n, 1n], [2])], { keepdims: 0 }),
    );
    expect(given.map(([dims]) => dims)).toEqual([
      [1, 5],
      [1, 5],
    ]);
  });

  it('rejects split lengths that do not cover the axis', async () => {
    await expect(
      callKernel(SplitToSequence, [x, new Tensor('int64', [1n, 3n], [2])], { axis: 1 }),
    ).rejects.toThrow('split lengths [1,3] add up to 4, the axis has 5');
  });
});

describe('SequenceInsert and SequenceErase', () => {
  const s = seqOf(f32([1]), f32([2]), f32([3]));

  it('erase removes the last tensor by default and the given one otherwise', async () => {
    expect(parts(await callKernel(SequenceErase, [s])).map(([, v]) => v)).toEqual([[1], [2]]);
    expect(parts(await callKernel(SequenceErase, [s, i64(-3)])).map(([, v]) => v)).toEqual([[2], [3]]);
  });

  it('insert accepts the position just past the end and refuses beyond it', async () => {
    expect(parts(await callKernel(SequenceInsert, [s, f32([9]), i64(3)])).map(([, v]) => v)).toEqual([
      [1],
      [2],
      [3],
      [9],
    ]);
    await expect(callKernel(SequenceInsert, [s, f32([9]), i64(4)])).rejects.toThrow(
      'position 4 is out of range [-3, 3] for a sequence of 3 tensors',
    );
  });

  it('refuses to erase from an empty sequence or insert another element type', async () => {
    await expect(callKernel(SequenceErase, [new TensorSequence('float32')])).rejects.toThrow(
      'the sequence is empty',
    );
    await expect(callKernel(SequenceInsert, [s, i64(1)])).rejects.toThrow(
      'cannot insert a tensor of int64 into a sequence of float32',
    );
  });
});

describe('ConcatFromSequence', () => {
  const s = seqOf(f32([1, 2], [2]), f32([3, 4], [2]), f32([5, 6], [2]));

  it('stacks along a new last axis when new_axis is 1 and axis is -1', async () => {
    const [y] = (await callKernel(ConcatFromSequence, [s], { axis: -1, new_axis: 1 })) as Tensor[];
    expect(y.dims).toEqual([2, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('concatenates along an existing axis by default', async () => {
    const [y] = (await callKernel(ConcatFromSequence, [s], { axis: 0 })) as Tensor[];
    expect(y.dims).toEqual([6]);
  });
});

describe('SequenceMap', () => {
  it('maps an empty sequence to empty sequences typed as the body declares', async () => {
    const body: Graph = {
      name: 'body',
      nodes: [],
      inputs: [{ name: 'x', type: 'float32' }],
      outputs: [{ name: 'x', type: 'float32' }],
      valueInfo: new Map(),
      weights: new Map(),
      constants: new Map(),
      opsets: new Map([['', 17]]),
      format: 'onnx',
    };
    const [y] = await callKernel(SequenceMap, [new TensorSequence('float32')], { body });
    expect(y).toEqual(new TensorSequence('float32'));
    expect(callInfer(SequenceMap, [{ kind: 'sequence', type: 'float32' }], { body })).toEqual([
      { kind: 'sequence', type: 'float32' },
    ]);
  });
});

describe('Optional', () => {
  it('needs the type attribute when the input is omitted', async () => {
    await expect(callKernel(Optional, [undefined])).rejects.toThrow(
      "an Optional without an input needs the 'type' attribute",
    );
  });
});
