/**
 * The recurrent operators (RNN, GRU, LSTM) share everything but their cell: inputs X, W, R, B,
 * sequence_lens, initial_h (LSTM adds initial_c and P); attributes activations, activation_alpha,
 * activation_beta, clip, direction, hidden_size and layout (opset 14); outputs Y, Y_h (LSTM adds Y_c).
 *
 * Layout 0: X (seq, batch, input), Y (seq, dirs, batch, hidden), states (dirs, batch, hidden).
 * Layout 1: X (batch, seq, input), Y (batch, seq, dirs, hidden), states (batch, dirs, hidden).
 * A batch row runs its first sequence_lens[b] steps (backwards for the reverse direction); Y is 0
 * past them and the final states are those of the last step run.
 */
import type { Dim } from '../../graph/graph.js';
import { asInts, asNumbers } from '../../tensor/convert.js';
import { isFloat } from '../../tensor/dtype.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { check, input, type KernelContext, type OpDef } from '../op.js';
import { tensorFromValues } from './nn-numeric.js';

type Activation = (x: number) => number;

/** The activation functions the ONNX recurrent operators name, with their default alpha and beta. */
const ACTIVATIONS: Readonly<
  Record<string, { alpha?: number; beta?: number; make: (alpha: number, beta: number) => Activation }>
> = {
  relu: { make: () => (x) => Math.max(x, 0) },
  tanh: { make: () => Math.tanh },
  sigmoid: { make: () => (x) => 1 / (1 + Math.exp(-x)) },
  affine: { alpha: 1, beta: 0, make: (a, b) => (x) => a * x + b },
  leakyrelu: { alpha: 0.01, make: (a) => (x) => (x >= 0 ? x : a * x) },
  thresholdedrelu: { alpha: 1, make: (a) => (x) => (x > a ? x : 0) },
  scaledtanh: { alpha: 1, beta: 1, make: (a, b) => (x) => a * Math.tanh(b * x) },
  hardsigmoid: { alpha: 0.2, beta: 0.5, make: (a, b) => (x) => Math.max(0, Math.min(1, a * x + b)) },
  elu: { alpha: 1, make: (a) => (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)) },
  softsign: { make: () => (x) => x / (1 + Math.abs(x)) },
  softplus: { make: () => (x) => Math.log1p(Math.exp(x)) },
};

/**
 * The activations of each direction. Names are case-insensitive; one direction's list serves both
 * directions of a bidirectional node. activation_alpha/beta values are consumed in order by the
 * functions that take them (as onnxruntime does); missing ones take the function's default.
 */
function activationsOf(ctx: KernelContext, defaults: readonly string[], dirs: number): Activation[][] {
  const per = defaults.length;
  let names = ctx.attrs.strings('activations', []);
  if (names.length === 0) names = Array.from({ length: dirs }, () => defaults).flat();
  else if (names.length === per && dirs === 2) names = [...names, ...names];
  check(
    names.length === per * dirs,
    () => `activations lists ${names.length} functions, the operator needs ${per * dirs}`,
  );
  const alphas = ctx.attrs.floats('activation_alpha', []);
  const betas = ctx.attrs.floats('activation_beta', []);
  let ai = 0;
  let bi = 0;
  const fns = names.map((name) => {
    const def = ACTIVATIONS[name.toLowerCase()];
    check(def, () => `unknown activation function '${name}'`);
    const alpha = def.alpha === undefined ? 0 : (alphas[ai++] ?? def.alpha);
    const beta = def.beta === undefined ? 0 : (betas[bi++] ?? def.beta);
    return def.make(alpha, beta);
  });
  return Array.from({ length: dirs }, (_, d) => fns.slice(d * per, (d + 1) * per));
}

/** x bounded to [-clip, clip] (clip is Infinity without the attribute). */
export function clamp(x: number, clip: number): number {
  return Math.min(Math.max(x, -clip), clip);
}

/** out[i] += sum_j m[mo + i * cols + j] * v[vo + j] for i < rows. */
export function addMatVec(
  out: Float64Array,
  m: ArrayLike<number>,
  mo: number,
  rows: number,
  cols: number,
  v: ArrayLike<number>,
  vo = 0,
): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const row = mo + i * cols;
    for (let j = 0; j < cols; j++) s += m[row + j] * v[vo + j];
    out[i] += s;
  }
}

/** What a cell sees of one direction. */
interface DirectionWeights {
  /** This direction (0 forward, 1 the reverse of a bidirectional node) of `directions`. */
  readonly index: number;
  readonly directions: number;
  readonly hidden: number;
  /** R of all directions; this direction's (gates * hidden, hidden) block starts at rOffset. */
  readonly r: ArrayLike<number>;
  readonly rOffset: number;
  /** This direction's recurrence bias Rb (gates * hidden), zeros without B. */
  readonly rb: Float64Array;
  readonly activations: readonly Activation[];
  /** The clip attribute, Infinity without it; cells bound their gates' pre-activations by it. */
  readonly clip: number;
}

/**
 * One time step of one batch row: `gates` holds W.x + Wb (gates * hidden values) on entry; the step
 * updates the hidden state `h` (and LSTM's cell state `c`) in place.
 */
type CellStep = (gates: Float64Array, h: Float64Array, c: Float64Array) => void;

interface RecurrentCell {
  readonly type: string;
  readonly gates: number;
  /** Default activation names of one direction. */
  readonly activations: readonly string[];
  /** LSTM: a cell state (input initial_c, output Y_c) besides the hidden state. */
  readonly cellState: boolean;
  step(ctx: KernelContext, d: DirectionWeights): CellStep;
}

function directionsOf(direction: string): number {
  check(
    direction === 'forward' || direction === 'reverse' || direction === 'bidirectional',
    () => `direction must be forward, reverse or bidirectional, got '${direction}'`,
  );
  return direction === 'bidirectional' ? 2 : 1;
}

/** Checks an input's shape against the expected one. */
function checkDims(t: Tensor, name: string, want: readonly number[]): void {
  check(
    sameShape(t.dims, want),
    () => `${name} has shape ${formatShape(t.dims)}, expected ${formatShape(want)}`,
  );
}

/** A state input (initial_h, initial_c) as (dirs, batch, hidden) values, zeros when omitted. */
function initialState(
  t: Tensor | undefined,
  name: string,
  layout: number,
  dirs: number,
  batch: number,
  hidden: number,
): Float64Array {
  const out = new Float64Array(dirs * batch * hidden);
  if (!t) return out;
  checkDims(t, name, layout ? [batch, dirs, hidden] : [dirs, batch, hidden]);
  const v = asNumbers(t);
  for (let d = 0; d < dirs; d++)
    for (let b = 0; b < batch; b++) {
      const src = (layout ? b * dirs + d : d * batch + b) * hidden;
      for (let j = 0; j < hidden; j++) out[(d * batch + b) * hidden + j] = v[src + j];
    }
  return out;
}

/** (dirs, batch, hidden) state values as the output tensor in the node's layout. */
function stateOutput(
  type: Tensor['type'],
  v: Float64Array,
  layout: number,
  dirs: number,
  batch: number,
  hidden: number,
): Tensor {
  if (!layout) return tensorFromValues(type, v, [dirs, batch, hidden]);
  const out = new Float64Array(v.length);
  for (let d = 0; d < dirs; d++)
    for (let b = 0; b < batch; b++)
      out.set(v.subarray((d * batch + b) * hidden, (d * batch + b + 1) * hidden), (b * dirs + d) * hidden);
  return tensorFromValues(type, out, [batch, dirs, hidden]);
}

/** The recurrent operator running `cell`. */
export function recurrentOp(cell: RecurrentCell): OpDef {
  return {
    type: cell.type,
    infer(ctx) {
      const [x, , r] = ctx.inputs;
      const type = x?.type;
      const dirs = directionsOf(ctx.attrs.string('direction', 'forward'));
      const hidden: Dim = ctx.attrs.has('hidden_size')
        ? ctx.attrs.int('hidden_size')
        : (r?.dims?.[2] ?? null);
      const layout = ctx.attrs.int('layout', 0);
      const [seq, batch] = layout ? [x?.dims?.[1], x?.dims?.[0]] : [x?.dims?.[0], x?.dims?.[1]];
      const s = seq ?? null;
      const b = batch ?? null;
      const y: Dim[] = layout ? [b, s, dirs, hidden] : [s, dirs, b, hidden];
      const state: Dim[] = layout ? [b, dirs, hidden] : [dirs, b, hidden];
      const outs = [
        { type, dims: y },
        { type, dims: state },
      ];
      if (cell.cellState) outs.push({ type, dims: state });
      return outs.slice(0, Math.max(1, ctx.outputCount));
    },
    run(ctx) {
      const x = input(ctx, 0);
      const w = input(ctx, 1);
      const r = input(ctx, 2);
      const [, , , bias, lens, h0] = ctx.inputs;
      check(isFloat(x.type), () => `type ${x.type} is not supported`);
      check(x.dims.length === 3, () => `X must be 3-D, got ${formatShape(x.dims)}`);
      const layout = ctx.attrs.int('layout', 0);
      const direction = ctx.attrs.string('direction', 'forward');
      const dirs = directionsOf(direction);
      const [seq, batch, inputSize] = layout ? [x.dims[1], x.dims[0], x.dims[2]] : x.dims;
      check(r.dims.length === 3, () => `R must be 3-D, got ${formatShape(r.dims)}`);
      const hidden = ctx.attrs.int('hidden_size', r.dims[2]);
      const g = cell.gates;
      const gh = g * hidden;
      checkDims(w, 'W', [dirs, gh, inputSize]);
      checkDims(r, 'R', [dirs, gh, hidden]);
      if (bias) checkDims(bias, 'B', [dirs, 2 * gh]);
      if (lens) checkDims(lens, 'sequence_lens', [batch]);
      const steps = lens ? asInts(lens) : new Array<number>(batch).fill(seq);
      for (const n of steps) check(n >= 0 && n <= seq, () => `sequence length ${n} is not in [0, ${seq}]`);
      const clip = ctx.attrs.has('clip') ? ctx.attrs.float('clip') : Number.POSITIVE_INFINITY;
      const acts = activationsOf(ctx, cell.activations, dirs);
      const xv = asNumbers(x);
      const wv = asNumbers(w);
      const rv = asNumbers(r);
      const bv = bias ? asNumbers(bias) : undefined;
      const hState = initialState(h0, 'initial_h', layout, dirs, batch, hidden);
      const cState = initialState(
        cell.cellState ? ctx.inputs[6] : undefined,
        'initial_c',
        layout,
        dirs,
        batch,
        hidden,
      );
      const y = new Float64Array(seq * dirs * batch * hidden);
      const gates = new Float64Array(gh);
      for (let d = 0; d < dirs; d++) {
        const rb = new Float64Array(gh);
        if (bv) for (let i = 0; i < gh; i++) rb[i] = bv[d * 2 * gh + gh + i];
        const step = cell.step(ctx, {
          index: d,
          directions: dirs,
          hidden,
          r: rv,
          rOffset: d * gh * hidden,
          rb,
          activations: acts[d],
          clip,
        });
        const reverse = d === 1 || direction === 'reverse';
        for (let b = 0; b < batch; b++) {
          const h = hState.subarray((d * batch + b) * hidden, (d * batch + b + 1) * hidden);
          const c = cState.subarray((d * batch + b) * hidden, (d * batch + b + 1) * hidden);
          const n = steps[b];
          for (let s = 0; s < n; s++) {
            const t = reverse ? n - 1 - s : s;
            for (let i = 0; i < gh; i++) gates[i] = bv ? bv[d * 2 * gh + i] : 0;
            const xOff = (layout ? b * seq + t : t * batch + b) * inputSize;
            addMatVec(gates, wv, d * gh * inputSize, gh, inputSize, xv, xOff);
            step(gates, h, c);
            const yOff = (layout ? (b * seq + t) * dirs + d : (t * dirs + d) * batch + b) * hidden;
            y.set(h, yOff);
          }
        }
      }
      const outs = [
        tensorFromValues(x.type, y, layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden]),
        stateOutput(x.type, hState, layout, dirs, batch, hidden),
      ];
      if (cell.cellState) outs.push(stateOutput(x.type, cState, layout, dirs, batch, hidden));
      return outs.slice(0, Math.max(1, ctx.outputCount));
    },
  };
}
