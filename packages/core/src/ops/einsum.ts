import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { shapeSize, stridesOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, type OpDef } from './op.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

/** Labels of one term; '...' becomes the ellipsis axes, right-aligned: '.0' is the outermost of `ellipsisRank`. */
interface Equation {
  readonly inputs: readonly (readonly string[])[];
  readonly output: readonly string[];
}

function termLabels(term: string, rank: number, ellipsisRank: number): string[] {
  const [before, after] = term.includes('...') ? term.split('...') : [term, undefined];
  const letters = (s: string) => [...s];
  if (after === undefined) {
    check(
      term.length === rank,
      () => `term '${term}' has ${term.length} labels for an input of rank ${rank}`,
    );
    return letters(term);
  }
  const k = rank - before.length - after.length;
  check(k >= 0, () => `term '${term}' has more labels than the input's rank ${rank}`);
  const ell = Array.from({ length: k }, (_, i) => `.${ellipsisRank - k + i}`);
  return [...letters(before), ...ell, ...letters(after)];
}

/** Parses 'ab,bc->ac' (or the implicit form 'ab,bc') against the input ranks. */
function parse(equation: string, ranks: readonly number[]): Equation {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  check(
    terms.length === ranks.length,
    () => `equation '${equation}' has ${terms.length} inputs, the node has ${ranks.length}`,
  );
  const ellipsisRank = Math.max(
    0,
    ...terms.map((t, i) => (t.includes('...') ? ranks[i] - t.replace('...', '').length : 0)),
  );
  const inputs = terms.map((t, i) => termLabels(t, ranks[i], ellipsisRank));
  let output: string[];
  if (rhs !== undefined) {
    output = termLabels(
      rhs,
      rhs.replace('...', '').length + (rhs.includes('...') ? ellipsisRank : 0),
      ellipsisRank,
    );
  } else {
    // Implicit output: the ellipsis axes, then the letters used exactly once, alphabetically.
    const counts = new Map<string, number>();
    for (const l of inputs.flat()) if (!l.startsWith('.')) counts.set(l, (counts.get(l) ?? 0) + 1);
    const ell = Array.from({ length: ellipsisRank }, (_, i) => `.${i}`);
    output = [
      ...ell,
      ...[...counts]
        .filter(([, c]) => c === 1)
        .map(([l]) => l)
        .sort(),
    ];
  }
  for (const l of output)
    check(
      inputs.some((t) => t.includes(l)),
      () => `output label '${l}' does not appear in any input`,
    );
  return { inputs, output };
}

/** Size of each label; broadcast (size 1) ellipsis axes take the other inputs' size. */
function labelSizes(eq: Equation, dims: readonly (readonly Dim[])[]): Map<string, Dim> {
  const sizes = new Map<string, Dim>();
  eq.inputs.forEach((labels, i) => {
    labels.forEach((l, a) => {
      const d = dims[i][a];
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1 || prev === null)
        sizes.set(l, prev === null && d === 1 ? null : d);
      else {
        check(
          d === null || d === prev || (d === 1 && l.startsWith('.')),
          () => `label '${l.startsWith('.') ? '...' : l}' has sizes ${prev} and ${d}`,
        );
      }
    });
  });
  return sizes;
}

export const Einsum: OpDef = {
  type: 'Einsum',
  infer(ctx) {
    const xs = ctx.inputs;
    const type = xs[0]?.type;
    if (xs.some((m) => !m?.dims)) return [{ type }];
    const dims = xs.map((m) => m!.dims!);
    const eq = parse(
      ctx.attrs.string('equation'),
      dims.map((d) => d.length),
    );
    const sizes = labelSizes(eq, dims);
    return [{ type, dims: eq.output.map((l) => sizes.get(l) ?? null) }];
  },
  run(ctx) {
    const xs = ctx.inputs.filter((t): t is Tensor => t !== undefined);
    check(
      xs.length > 0 && xs.every((t) => t.type === xs[0].type && t.type !== 'string' && t.type !== 'bool'),
      'inputs must share one numeric type',
    );
    const eq = parse(
      ctx.attrs.string('equation'),
      xs.map((t) => t.dims.length),
    );
    const sizes = labelSizes(
      eq,
      xs.map((t) => t.dims),
    ) as Map<string, number>;
    // Loop over every label: output labels first (outer), then the summed ones.
    const summed = [...sizes.keys()].filter((l) => !eq.output.includes(l));
    const all = [...eq.output, ...summed];
    const extent = all.map((l) => sizes.get(l)!);
    // Per input, the element stride of each loop label (repeated labels add up: diagonals; broadcast axes are 0).
    const strides = xs.map((t, i) => {
      const s = new Array<number>(all.length).fill(0);
      const ts = stridesOf(t.dims);
      eq.inputs[i].forEach((l, a) => {
        if (t.dims[a] !== 1 || sizes.get(l) === 1) s[all.indexOf(l)] += ts[a];
      });
      return s;
    });
    const outDims = eq.output.map((l) => sizes.get(l)!);
    const outSize = shapeSize(outDims);
    const inner = shapeSize(summed.map((l) => sizes.get(l)!));
    const out = accumulatorFor(xs[0].type, outSize);
    const values = xs.map((t) => asNumbers(t));
    const offsets = new Array<number>(xs.length).fill(0);
    const counter = new Array<number>(all.length).fill(0);
    const total = outSize * inner;
    for (let it = 0; it < total; it++) {
      let p = 1;
      for (let k = 0; k < values.length; k++) p *= values[k][offsets[k]];
      out[Math.floor(it / inner)] += p;
      for (let d = all.length - 1; d >= 0; d--) {
        counter[d]++;
        for (let k = 0; k < offsets.length; k++) offsets[k] += strides[k][d];
        if (counter[d] < extent[d]) break;
        for (let k = 0; k < offsets.length; k++) offsets[k] -= strides[k][d] * extent[d];
        counter[d] = 0;
      }
    }
    return [tensorFromValues(xs[0].type, out, outDims)];
  },
};
