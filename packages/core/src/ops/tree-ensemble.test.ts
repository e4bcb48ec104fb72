/**
 * TreeEnsemble beyond the two conformance cases (SUM, no post transform, LEQ and membership
 * nodes): every comparison mode, the other aggregates, missing values, the post transforms and
 * malformed ensembles.
 */
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/tensor.js';
import { type AttrInput, callTensorKernel } from './support/kernel-call.js';
import { TreeEnsemble } from './tree-ensemble.js';

const nums = (t: Tensor) => Array.from(t.data as ArrayLike<number>);
const f64 = (values: number[], dims = [values.length]) => new Tensor('float64', values, dims);

interface Ensemble {
  modes: number[];
  features: number[];
  splits: number[];
  /** [id, isLeaf] of each node's true and false branches. */
  yes: [number, number][];
  no: [number, number][];
  leaves: [target: number, weight: number][];
  roots: number[];
  targets: number;
}

function attrs(e: Ensemble, extra: Record<string, AttrInput> = {}): Record<string, AttrInput> {
  return {
    nodes_modes: new Tensor('uint8', e.modes, [e.modes.length]),
    nodes_featureids: e.features,
    nodes_splits: f64(e.splits),
    nodes_truenodeids: e.yes.map(([id]) => id),
    nodes_trueleafs: e.yes.map(([, leaf]) => leaf),
    nodes_falsenodeids: e.no.map(([id]) => id),
    nodes_falseleafs: e.no.map(([, leaf]) => leaf),
    leaf_targetids: e.leaves.map(([t]) => t),
    leaf_weights: f64(e.leaves.map(([, w]) => w)),
    tree_roots: e.roots,
    n_targets: e.targets,
    ...extra,
  };
}

const run = async (x: Tensor, a: Record<string, AttrInput>) =>
  nums((await callTensorKernel(TreeEnsemble, [x], a))[0]);

// Tree A: x0 <= 0.5 ? (t0 += 1) : (t0 += 3). Tree B: x1 < 0 ? (t0 += 5) : (t1 -= 2).
const twoTrees: Ensemble = {
  modes: [0, 1],
  features: [0, 1],
  splits: [0.5, 0],
  yes: [
    [0, 1],
    [2, 1],
  ],
  no: [
    [1, 1],
    [3, 1],
  ],
  leaves: [
    [0, 1],
    [0, 3],
    [0, 5],
    [1, -2],
  ],
  roots: [0, 1],
  targets: 2,
};
const rows = f64([0, 1, 1, -1], [2, 2]);

describe('TreeEnsemble', () => {
  it('compares with each mode: LEQ, LT, GTE, GT, EQ, NEQ', async () => {
    const x = f64([0, 1, 2], [3, 1]);
    const expected = [
      [1, 1, 0],
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 1],
    ];
    for (let mode = 0; mode < 6; mode++) {
      const stump: Ensemble = {
        modes: [mode],
        features: [0],
        splits: [1],
        yes: [[0, 1]],
        no: [[1, 1]],
        leaves: [
          [0, 1],
          [0, 0],
        ],
        roots: [0],
        targets: 1,
      };
      expect(await run(x, attrs(stump))).toEqual(expected[mode]);
    }
  });

  it('aggregates SUM (default), AVERAGE, MIN and MAX; targets no leaf reaches stay 0', async () => {
    expect(await run(rows, attrs(twoTrees))).toEqual([1, -2, 8, 0]);
    expect(await run(rows, attrs(twoTrees, { aggregate_function: 0 }))).toEqual([0.5, -1, 4, 0]);
    expect(await run(rows, attrs(twoTrees, { aggregate_function: 2 }))).toEqual([1, -2, 3, 0]);
    expect(await run(rows, attrs(twoTrees, { aggregate_function: 3 }))).toEqual([1, -2, 5, 0]);
  });

  it('NaN features take the false branch unless nodes_missing_value_tracks_true says otherwise', async () => {
    const x = f64([Number.NaN, Number.NaN], [1, 2]);
    expect(await run(x, attrs(twoTrees))).toEqual([3, -2]);
    expect(await run(x, attrs(twoTrees, { nodes_missing_value_tracks_true: [1, 1] }))).toEqual([6, 0]);
  });

  it('post transforms: LOGISTIC, SOFTMAX, SOFTMAX_ZERO (zeros stay 0), PROBIT', async () => {
    // Sums: row 0 [1, -2], row 1 [8, 0].
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const closeTo = (got: number[], want: number[]) => {
      for (const [i, v] of want.entries()) expect(got[i]).toBeCloseTo(v, 12);
    };
    closeTo(await run(rows, attrs(twoTrees, { post_transform: 2 })), [
      sigmoid(1),
      sigmoid(-2),
      sigmoid(8),
      0.5,
    ]);
    const e3 = Math.exp(3);
    const e8 = Math.exp(8);
    const softmaxRow0 = [e3 / (e3 + 1), 1 / (e3 + 1)];
    closeTo(await run(rows, attrs(twoTrees, { post_transform: 1 })), [
      ...softmaxRow0,
      e8 / (e8 + 1),
      1 / (e8 + 1),
    ]);
    closeTo(await run(rows, attrs(twoTrees, { post_transform: 3 })), [...softmaxRow0, 1, 0]);
    // PROBIT: sqrt(2) erfinv(2p - 1), the normal quantile, of single-leaf trees.
    const leafOnly = (w: number): Ensemble => ({
      modes: [0],
      features: [0],
      splits: [0],
      yes: [[0, 1]],
      no: [[0, 1]],
      leaves: [[0, w]],
      roots: [0],
      targets: 1,
    });
    for (const [p, z] of [
      [0.975, 1.959963984540054],
      [0.5, 0],
      [0.001, -3.090232306167814],
    ]) {
      const [q] = await run(f64([0], [1, 1]), attrs(leafOnly(p), { post_transform: 4 }));
      expect(q).toBeCloseTo(z, 9);
    }
  });

  it('rejects malformed ensembles', async () => {
    const x = f64([0, 0], [1, 2]);
    await expect(run(x, attrs({ ...twoTrees, targets: 1 }))).rejects.toThrow(
      /leaf target 1 is not below n_targets 1/,
    );
    const loop = {
      ...twoTrees,
      yes: [[1, 0] as [number, number], [0, 0] as [number, number]],
      no: twoTrees.yes,
    };
    await expect(run(f64([0, -1], [1, 2]), attrs(loop))).rejects.toThrow(/rooted at node 0 has a cycle/);
    await expect(run(x, attrs({ ...twoTrees, modes: [6, 1] }))).rejects.toThrow(
      /membership_values lists fewer sets than there are BRANCH_MEMBER nodes/,
    );
    await expect(run(x, attrs({ ...twoTrees, features: [0, 2] }))).rejects.toThrow(
      /node 1 reads feature 2, the input has 2/,
    );
  });
});
