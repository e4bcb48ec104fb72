import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { erf } from './support/elementwise.js';
import { tensorFromValues } from './support/nn-numeric.js';

/** nodes_modes values. */
const Mode = { Leq: 0, Lt: 1, Gte: 2, Gt: 3, Eq: 4, Neq: 5, Member: 6 } as const;

const AGGREGATES = ['AVERAGE', 'SUM', 'MIN', 'MAX'];
const POST_TRANSFORMS = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT'];

/** The interior nodes (structure of arrays) and leaves of the ensemble. */
interface Trees {
  readonly modes: ArrayLike<number>;
  readonly features: readonly number[];
  readonly splits: ArrayLike<number>;
  /** Set members of each BRANCH_MEMBER node (undefined for the other modes). */
  readonly members: readonly (Set<number> | undefined)[];
  readonly missingTrue: readonly number[];
  readonly trueIds: readonly number[];
  readonly trueLeaf: readonly number[];
  readonly falseIds: readonly number[];
  readonly falseLeaf: readonly number[];
  readonly leafTargets: readonly number[];
  readonly leafWeights: ArrayLike<number>;
  readonly roots: readonly number[];
}

function tensorValues(attrs: Attributes, name: string): ArrayLike<number> {
  const t = attrs.tensor(name);
  check(t, () => `missing required attribute '${name}'`);
  return asNumbers(t);
}

function readTrees(attrs: Attributes): Trees {
  const modes = tensorValues(attrs, 'nodes_modes');
  const n = modes.length;
  const ints = (name: string, fallback?: readonly number[]) => {
    const v = attrs.ints(name, fallback);
    check(v.length === n, () => `${name} has ${v.length} entries, nodes_modes has ${n}`);
    return v;
  };
  const splits = tensorValues(attrs, 'nodes_splits');
  check(splits.length === n, () => `nodes_splits has ${splits.length} entries, nodes_modes has ${n}`);
  // Members are listed for the BRANCH_MEMBER nodes in node order, each set ended by a NaN.
  const membership = attrs.tensor('membership_values');
  const memberValues = membership ? asNumbers(membership) : [];
  let next = 0;
  const members = Array.from(modes, (mode) => {
    if (mode !== Mode.Member) return undefined;
    check(
      next < memberValues.length,
      'membership_values lists fewer sets than there are BRANCH_MEMBER nodes',
    );
    const set = new Set<number>();
    for (; next < memberValues.length && !Number.isNaN(memberValues[next]); next++)
      set.add(memberValues[next]);
    next++;
    return set;
  });
  const leafTargets = attrs.ints('leaf_targetids');
  const leafWeights = tensorValues(attrs, 'leaf_weights');
  check(
    leafTargets.length === leafWeights.length,
    () => `leaf_targetids has ${leafTargets.length} entries, leaf_weights ${leafWeights.length}`,
  );
  const trees: Trees = {
    modes,
    features: ints('nodes_featureids'),
    splits,
    members,
    missingTrue: ints('nodes_missing_value_tracks_true', new Array<number>(n).fill(0)),
    trueIds: ints('nodes_truenodeids'),
    trueLeaf: ints('nodes_trueleafs'),
    falseIds: ints('nodes_falsenodeids'),
    falseLeaf: ints('nodes_falseleafs'),
    leafTargets,
    leafWeights,
    roots: attrs.ints('tree_roots'),
  };
  for (let i = 0; i < n; i++) {
    check(modes[i] >= Mode.Leq && modes[i] <= Mode.Member, () => `node ${i} has unknown mode ${modes[i]}`);
    for (const [id, leaf] of [
      [trees.trueIds[i], trees.trueLeaf[i]],
      [trees.falseIds[i], trees.falseLeaf[i]],
    ]) {
      check(
        id >= 0 && id < (leaf ? leafTargets.length : n),
        () => `node ${i} branches to missing ${leaf ? 'leaf' : 'node'} ${id}`,
      );
    }
  }
  for (const r of trees.roots) check(r >= 0 && r < n, () => `tree root ${r} is not a node`);
  return trees;
}

/** Whether node `i` sends feature value `v` down its true branch. */
function branchTrue(t: Trees, i: number, v: number): boolean {
  if (Number.isNaN(v) && t.missingTrue[i]) return true;
  const s = t.splits[i];
  switch (t.modes[i]) {
    case Mode.Leq:
      return v <= s;
    case Mode.Lt:
      return v < s;
    case Mode.Gte:
      return v >= s;
    case Mode.Gt:
      return v > s;
    case Mode.Eq:
      return v === s;
    case Mode.Neq:
      return v !== s;
    default:
      return t.members[i]!.has(v);
  }
}

/** The leaf row `x` (features at x[off + f]) reaches from `root`. */
function leafOf(t: Trees, root: number, x: ArrayLike<number>, off: number, features: number): number {
  let node = root;
  // A well-formed tree visits each node at most once.
  for (let steps = 0; steps <= t.modes.length; steps++) {
    const f = t.features[node];
    check(f >= 0 && f < features, () => `node ${node} reads feature ${f}, the input has ${features}`);
    const yes = branchTrue(t, node, x[off + f]);
    const id = yes ? t.trueIds[node] : t.falseIds[node];
    if (yes ? t.trueLeaf[node] : t.falseLeaf[node]) return id;
    node = id;
  }
  throw new Error(`tree rooted at node ${root} has a cycle`);
}

/** erf^-1 by Newton's method on erf, from Winitzki's closed-form estimate. */
function erfinv(x: number): number {
  if (x <= -1 || x >= 1) return x === 1 ? Infinity : x === -1 ? -Infinity : Number.NaN;
  const ln = Math.log((1 - x) * (1 + x));
  const a = 2 / (Math.PI * 0.147) + ln / 2;
  let y = Math.sign(x) * Math.sqrt(Math.sqrt(a * a - ln / 0.147) - a);
  for (let k = 0; k < 4; k++) y -= (erf(y) - x) / (1.1283791670955126 * Math.exp(-y * y));
  return y;
}

/** Applies post_transform to one row of `n` scores in place. */
function postTransform(kind: string, v: Float64Array, off: number, n: number): void {
  switch (kind) {
    case 'SOFTMAX':
    case 'SOFTMAX_ZERO': {
      // SOFTMAX_ZERO leaves zero scores at zero and normalises over the others.
      const skipZero = kind === 'SOFTMAX_ZERO';
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) if (!skipZero || v[off + j] !== 0) max = Math.max(max, v[off + j]);
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const e = skipZero && v[off + j] === 0 ? 0 : Math.exp(v[off + j] - max);
        v[off + j] = e;
        sum += e;
      }
      if (sum > 0) for (let j = 0; j < n; j++) v[off + j] /= sum;
      break;
    }
    case 'LOGISTIC':
      for (let j = 0; j < n; j++) v[off + j] = 1 / (1 + Math.exp(-v[off + j]));
      break;
    case 'PROBIT':
      for (let j = 0; j < n; j++) v[off + j] = Math.SQRT2 * erfinv(2 * v[off + j] - 1);
      break;
  }
}

/**
 * TreeEnsemble (ai.onnx.ml opset 5): each tree routes a row of X (N, F) from its root through
 * interior nodes (comparisons of one feature with a split, or set membership; NaN features take the
 * true branch where nodes_missing_value_tracks_true says so) to a leaf, which adds its weight to
 * its target. Scores of a target are summed, averaged over the trees, or their minimum or maximum
 * (0 where no leaf reaches the target), then post_transform applies per row. Y is (N, n_targets).
 */
export const TreeEnsemble: OpDef = {
  type: 'TreeEnsemble',
  domain: 'ai.onnx.ml',
  infer(ctx) {
    const x = ctx.inputs[0];
    return [{ type: x?.type, dims: [x?.dims?.[0] ?? null, ctx.attrs.int('n_targets')] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    check(x.dims.length === 2, () => `X must be 2-D (N, features), got ${formatShape(x.dims)}`);
    const aggregate = AGGREGATES[ctx.attrs.int('aggregate_function', 1)];
    check(aggregate, () => `unknown aggregate_function ${ctx.attrs.int('aggregate_function')}`);
    const post = POST_TRANSFORMS[ctx.attrs.int('post_transform', 0)];
    check(post, () => `unknown post_transform ${ctx.attrs.int('post_transform')}`);
    const targets = ctx.attrs.int('n_targets');
    const trees = readTrees(ctx.attrs);
    for (const id of trees.leafTargets)
      check(id >= 0 && id < targets, () => `leaf target ${id} is not below n_targets ${targets}`);
    const [rows, features] = x.dims;
    const xv = asNumbers(x);
    const y = new Float64Array(rows * targets);
    const reached = new Uint8Array(targets);
    for (let r = 0; r < rows; r++) {
      const off = r * targets;
      reached.fill(0);
      for (const root of trees.roots) {
        const leaf = leafOf(trees, root, xv, r * features, features);
        const k = trees.leafTargets[leaf];
        const w = trees.leafWeights[leaf];
        const cur = y[off + k];
        if (aggregate === 'MIN') y[off + k] = reached[k] ? Math.min(cur, w) : w;
        else if (aggregate === 'MAX') y[off + k] = reached[k] ? Math.max(cur, w) : w;
        else y[off + k] = cur + w;
        reached[k] = 1;
      }
      if (aggregate === 'AVERAGE') for (let k = 0; k < targets; k++) y[off + k] /= trees.roots.length;
      postTransform(post, y, off, targets);
    }
    return [tensorFromValues(x.type, y, [rows, targets])];
  },
};
