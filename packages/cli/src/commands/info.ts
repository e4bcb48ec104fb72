import {
  type Dim,
  errorMessage,
  estimatePeak,
  InferenceSession,
  planGraph,
  type ValueInfo,
  type ValueMeta,
} from '@onnxstream/core';
import { type EngineFlags, engineOptionsWithRanges, splitAssignment } from '../options.js';
import { UsageError } from '../usage.js';
import { formatBytes } from './run.js';

export interface InfoCommandOptions extends EngineFlags {
  json?: boolean;
  shape?: string[];
}

interface InfoReport {
  format: 'onnx' | 'onnxstream';
  inputs: { name: string; dtype: string | null; shape: readonly Dim[] | null }[];
  outputs: { name: string; dtype: string | null; shape: readonly Dim[] | null }[];
  nodes: number;
  ops: Record<string, number>;
  weights: number;
  weightBytes: number;
  largestWeightBytes: number;
  constants: number;
  constantBytes: number;
  foldedNodes: number | null;
  estimatedPeakBytes: number | null;
  estimatedPeakExact: boolean;
  estimatedPeakTypesAssumed: boolean;
  estimateError?: string;
}

/** `onnxstream info <model>`: inputs, outputs, operator histogram, weight bytes, estimated peak memory. */
export async function infoCommand(model: string, opts: InfoCommandOptions): Promise<number> {
  const engine = await engineOptionsWithRanges(opts);
  const session = await InferenceSession.create(model, engine);
  try {
    const g = session.graph;
    const overrides = new Map<string, number[]>();
    for (const s of opts.shape ?? []) {
      const [name, dims] = splitAssignment(s, '--shape');
      const parsed = dims.split(',').map(Number);
      if (parsed.some((d) => !Number.isInteger(d) || d < 0))
        throw new UsageError(`--shape ${name}: bad dims '${dims}'`);
      overrides.set(name, parsed);
    }
    const ops: Record<string, number> = {};
    for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    const weights = [...g.weights.values()];
    const report: InfoReport = {
      format: g.format,
      inputs: g.inputs.map((i) => ({
        name: i.name,
        dtype: typeText(i),
        shape: overrides.get(i.name) ?? i.dims ?? null,
      })),
      outputs: g.outputs.map((o) => ({
        name: o.name,
        dtype: typeText(o),
        shape: o.dims ?? null,
      })),
      nodes: g.nodes.length,
      ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      weights: weights.length,
      weightBytes: weights.reduce((s, w) => s + w.byteLength, 0),
      largestWeightBytes: weights.reduce((m, w) => Math.max(m, w.byteLength), 0),
      constants: g.constants.size,
      constantBytes: [...g.constants.values()].reduce((s, t) => s + t.byteLength, 0),
      foldedNodes: null,
      estimatedPeakBytes: null,
      estimatedPeakExact: false,
      estimatedPeakTypesAssumed: false,
    };
    try {
      const feeds = new Map<string, ValueMeta>(
        report.inputs.map((i) => [
          i.name,
          { type: g.inputs.find((x) => x.name === i.name)?.type, dims: i.shape ?? undefined },
        ]),
      );
      const plan = await planGraph(g, {
        feeds,
        outputs: g.outputs.map((o) => o.name),
        fuseAttention: engine.fuseAttention,
        attentionSlices: engine.attentionSlices,
        uint8Ranges: engine.rangeData,
        storage:
          engine.fp16Storage || engine.uint8Storage
            ? {
                fp16: engine.fp16Storage,
                uint8: Array.isArray(engine.uint8Storage)
                  ? new Set(engine.uint8Storage)
                  : engine.uint8Storage,
              }
            : undefined,
      });
      const est = estimatePeak(plan);
      report.foldedNodes = plan.folded;
      report.estimatedPeakBytes = est.peakBytes;
      report.estimatedPeakExact = est.exact;
      report.estimatedPeakTypesAssumed = est.typesAssumed;
    } catch (e) {
      report.estimateError = errorMessage(e);
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else printInfo(report);
    return 0;
  } finally {
    await session.release();
  }
}

/** A value's type: the tensor type, or e.g. `sequence<float32>` for values that are not tensors. */
function typeText(v: ValueInfo): string | null {
  if (v.nonTensor) return `${v.nonTensor}<${v.elementType ?? '?'}>`;
  return v.type ?? null;
}

function shapeText(s: readonly Dim[] | null): string {
  return s ? `[${s.map((d) => (d === null ? '?' : String(d))).join(',')}]` : '[?]';
}

function printInfo(r: InfoReport): void {
  const out = process.stdout;
  out.write(`format: ${r.format === 'onnx' ? 'ONNX' : 'OnnxStream model.txt'}\n`);
  out.write('inputs:\n');
  for (const i of r.inputs) out.write(`  ${i.name}  ${i.dtype ?? '?'}${shapeText(i.shape)}\n`);
  out.write('outputs:\n');
  for (const o of r.outputs) out.write(`  ${o.name}  ${o.dtype ?? '?'}${shapeText(o.shape)}\n`);
  out.write(`operators: ${r.nodes}\n`);
  for (const [op, n] of Object.entries(r.ops)) out.write(`  ${op.padEnd(28)} ${String(n).padStart(6)}\n`);
  out.write(
    `streamed weights: ${r.weights} (${formatBytes(r.weightBytes)}, largest ${formatBytes(r.largestWeightBytes)})\n`,
  );
  out.write(`constants in memory: ${r.constants} (${formatBytes(r.constantBytes)})\n`);
  if (r.estimatedPeakBytes !== null) {
    const notes = [
      ...(r.estimatedPeakExact ? [] : ['some shapes unknown before running: a lower bound']),
      ...(r.estimatedPeakTypesAssumed ? ['value types unknown before running: 4-byte elements assumed'] : []),
    ];
    out.write(
      `estimated peak tensor memory: ${formatBytes(r.estimatedPeakBytes)}${notes.length ? ` (${notes.join('; ')})` : ''}; ${r.foldedNodes} operator${r.foldedNodes === 1 ? '' : 's'} folded into constants\n`,
    );
  } else out.write(`estimated peak tensor memory: unavailable (${r.estimateError})\n`);
}
