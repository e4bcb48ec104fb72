import type { Dim, Graph } from '../graph/graph.js';
import { asInts } from '../tensor/convert.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, type KernelContext, type OpDef, type ValueMeta } from './op.js';
import { stackAlong, takeAlong } from './support/control-slices.js';
import { declaredDims, declaredStackShape, runBody, tensorsOnly } from './support/control-subgraph.js';

/** How one Scan run walks its inputs and lays out its outputs. */
interface ScanPlan {
  readonly inputAxes: readonly number[];
  readonly inputReverse: readonly boolean[];
  readonly outputAxes: readonly number[];
  readonly outputReverse: readonly boolean[];
  /** Iterations to run. */
  readonly steps: number;
  /** Length of the stacked outputs (more than `steps` for Scan-8 sequences shorter than the batch's longest). */
  readonly slots: number;
}

/**
 * The Scan loop: `body(states..., scan slices...) -> (states..., scan outputs...)` once per
 * position along each scan input's axis. Returns the final states then the stacked scan outputs.
 */
async function scanLoop(
  ctx: KernelContext,
  body: Graph,
  states: Tensor[],
  scans: readonly Tensor[],
  p: ScanPlan,
): Promise<Tensor[]> {
  const outCount = body.outputs.length - states.length;
  check(
    outCount >= 0,
    () => `the body has ${body.outputs.length} outputs for ${states.length} state variables`,
  );
  const parts: (Tensor | undefined)[][] = Array.from({ length: outCount }, () =>
    new Array(p.slots).fill(undefined),
  );
  for (let it = 0; it < p.steps; it++) {
    const slices = scans.map((t, j) =>
      takeAlong(t, p.inputAxes[j], p.inputReverse[j] ? p.steps - 1 - it : it),
    );
    // Scan states and outputs are tensors only (ONNX type V).
    const outs = tensorsOnly(await runBody(ctx, body, [...states, ...slices]), 'body output');
    states = outs.slice(0, states.length);
    for (let k = 0; k < outCount; k++)
      parts[k][p.outputReverse[k] ? p.steps - 1 - it : it] = outs[states.length + k];
  }
  const stacked = parts.map((list, k) => {
    const shape = list.find((t) => t !== undefined) ?? declaredStackShape(body.outputs[states.length + k]);
    return stackAlong(list, normalizeAxis(p.outputAxes[k], shape.dims.length + 1, 'scan_output_axes'), shape);
  });
  return [...states, ...stacked];
}

/** Per-input attribute list with a default for missing entries. */
function listAttr(ctx: KernelContext, name: string, count: number): number[] {
  const v = ctx.attrs.ints(name, []);
  return Array.from({ length: count }, (_, i) => v[i] ?? 0);
}

/** Scan-9+: states then scan inputs, each scanned along its own axis. */
function runScan9(ctx: KernelContext, body: Graph): Promise<Tensor[]> {
  const m = ctx.attrs.int('num_scan_inputs');
  const inputs = ctx.inputs.map((t, i) => {
    check(t, () => `input ${i} is required`);
    return t;
  });
  const n = inputs.length - m;
  check(m >= 1 && n >= 0, () => `num_scan_inputs ${m} does not fit ${inputs.length} inputs`);
  const scans = inputs.slice(n);
  const inputAxes = listAttr(ctx, 'scan_input_axes', m).map((a, j) =>
    normalizeAxis(a, scans[j].dims.length, 'scan_input_axes'),
  );
  const steps = scans[0].dims[inputAxes[0]];
  for (let j = 0; j < m; j++) {
    const len = scans[j].dims[inputAxes[j]];
    check(len === steps, () => `scan inputs differ in sequence length: ${steps} and ${len}`);
  }

  const k = body.outputs.length - n;
  return scanLoop(ctx, body, inputs.slice(0, n), scans, {
    inputAxes,
    inputReverse: listAttr(ctx, 'scan_input_directions', m).map(Boolean),
    outputAxes: listAttr(ctx, 'scan_output_axes', k),
    outputReverse: listAttr(ctx, 'scan_output_directions', k).map(Boolean),
    steps,
    slots: steps,
  });
}

/**
 * Scan-8: inputs are (sequence_lens?, states..., scans...), all batched on axis 0, scanned along
 * axis 1. Each batch entry runs separately; outputs beyond its sequence length stay zero.
 */
async function runScan8(ctx: KernelContext, body: Graph): Promise<Tensor[]> {
  const m = ctx.attrs.int('num_scan_inputs');
  const lens = ctx.inputs[0];
  const rest = ctx.inputs.slice(1).map((t, i) => {
    check(t, () => `input ${i + 1} is required`);
    return t;
  });
  const n = rest.length - m;
  check(m >= 1 && n >= 0, () => `num_scan_inputs ${m} does not fit ${rest.length} inputs`);
  const batch = rest[0].dims[0];
  check(batch > 0, 'an empty batch is not supported');
  const maxLen = rest[n].dims[1];
  for (const t of rest)
    check(t.dims[0] === batch, () => `inputs differ in batch size: ${batch} and ${t.dims[0]}`);
  for (const t of rest.slice(n))
    check(t.dims[1] === maxLen, () => `scan inputs differ in sequence length: ${maxLen} and ${t.dims[1]}`);
  const seqLens = lens ? asInts(lens) : new Array<number>(batch).fill(maxLen);
  check(seqLens.length === batch, () => `sequence_lens has ${seqLens.length} entries for batch ${batch}`);
  const k = body.outputs.length - n;
  const inputReverse = listAttr(ctx, 'directions', m).map(Boolean);
  const perBatch: Tensor[][] = [];
  for (let b = 0; b < batch; b++) {
    check(
      seqLens[b] >= 0 && seqLens[b] <= maxLen,
      () => `sequence length ${seqLens[b]} is outside [0, ${maxLen}]`,
    );
    const slices = rest.map((t) => takeAlong(t, 0, b));
    perBatch.push(
      await scanLoop(ctx, body, slices.slice(0, n), slices.slice(n), {
        inputAxes: new Array<number>(m).fill(0),
        inputReverse,
        outputAxes: new Array<number>(k).fill(0),
        outputReverse: new Array<boolean>(k).fill(false),
        steps: seqLens[b],
        slots: maxLen,
      }),
    );
  }
  return perBatch[0].map((first, i) =>
    stackAlong(
      perBatch.map((outs) => outs[i]),
      0,
      first,
    ),
  );
}

/** Scan (opset 8 and 9+). */
export const Scan: OpDef = {
  type: 'Scan',
  infer(ctx) {
    const body = ctx.attrs.graph('body');
    const m = ctx.attrs.int('num_scan_inputs');
    const v8 = ctx.opset < 9;
    const states = ctx.inputs.length - m - (v8 ? 1 : 0);
    const first = ctx.inputs[ctx.inputs.length - m];
    const axis0 = v8 ? 1 : (ctx.attrs.ints('scan_input_axes', [0])[0] ?? 0);
    const firstDims = first?.dims;
    const steps: Dim = firstDims ? (firstDims[axis0 < 0 ? axis0 + firstDims.length : axis0] ?? null) : null;
    const batch: Dim = v8 ? (ctx.inputs[1]?.dims?.[0] ?? null) : null;
    const outAxes = ctx.attrs.ints('scan_output_axes', []);
    const metas: ValueMeta[] = [];
    for (let i = 0; i < ctx.outputCount; i++) {
      const declared = body.outputs[i];
      const dims = declaredDims(declared);
      if (i < states) {
        const initial = ctx.inputs[i + (v8 ? 1 : 0)];
        metas.push({ type: initial?.type ?? declared?.type, dims: initial?.dims });
        continue;
      }
      let out: Dim[] | undefined;
      if (dims && v8) out = [batch, steps, ...dims];
      else if (dims) {
        const a = outAxes[i - states] ?? 0;
        const axis = a < 0 ? a + dims.length + 1 : a;
        out = [...dims.slice(0, axis), steps, ...dims.slice(axis)];
      }
      metas.push({ type: declared?.type, dims: out });
    }
    return metas;
  },
  run(ctx) {
    const body = ctx.attrs.graph('body');
    return ctx.opset < 9 ? runScan8(ctx, body) : runScan9(ctx, body);
  },
};
