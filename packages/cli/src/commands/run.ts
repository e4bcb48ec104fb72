import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeNpy,
  InferenceSession,
  type NodeTime,
  parseNpy,
  type RunStats,
  type Tensor,
} from '@onnxstream/core';
import { createProvider, type ProviderName } from '@onnxstream/providers';
import { type BackendChoice, chooseBackend } from '../backends.js';
import { type EngineFlags, engineOptionsWithRanges, safeFileName, splitAssignment } from '../options.js';
import { UsageError } from '../usage.js';

export interface RunCommandOptions extends EngineFlags {
  input?: string[];
  output?: string[];
  outputDir: string;
  backend: BackendChoice;
  provider: ProviderName;
  threads?: number;
  repeat: number;
  json?: boolean;
  profile?: boolean;
}

export interface RunReport {
  outputs: { name: string; shape: number[]; dtype: string; file: string }[];
  runs: { ms: number }[];
  peakRssBytes: number;
  peakTensorBytes: number;
}

/** An `--input NAME=FILE.npy` tensor. */
export async function readNpyInput(name: string, file: string): Promise<Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new UsageError(`--input ${name}: cannot read '${file}': ${(e as Error).message}`);
  }
  return parseNpy(bytes, file);
}

/** `onnxstream run <model> --input NAME=FILE.npy ...`: runs a model on .npy inputs and writes .npy outputs. */
export async function runCommand(model: string, opts: RunCommandOptions): Promise<number> {
  const feeds: Record<string, Tensor> = {};
  for (const item of opts.input ?? []) {
    const [name, file] = splitAssignment(item, '--input');
    feeds[name] = await readNpyInput(name, file);
  }
  const backend = await chooseBackend(opts.backend, (line) => process.stderr.write(`${line}\n`));
  const session = await InferenceSession.create(model, {
    backend,
    threads: opts.threads,
    weightsProvider: createProvider(opts.provider),
    ...(await engineOptionsWithRanges(opts)),
  });
  try {
    const runs: { ms: number }[] = [];
    let result: Record<string, Tensor> = {};
    let peakTensorBytes = 0;
    let last: RunStats | undefined;
    const profiled: RunStats[] = [];
    for (let i = 0; i < opts.repeat; i++) {
      result = await session.run(feeds, { outputs: opts.output, profile: opts.profile });
      last = session.lastRunStats!;
      if (opts.profile) profiled.push(last);
      runs.push({ ms: round(last.ms) });
      peakTensorBytes = Math.max(peakTensorBytes, last.peakTensorBytes);
    }
    await mkdir(opts.outputDir, { recursive: true });
    const taken = new Set<string>();
    const outputs: RunReport['outputs'] = [];
    for (const [name, tensor] of Object.entries(result)) {
      const file = join(opts.outputDir, `${safeFileName(name, taken)}.npy`);
      await writeFile(file, encodeNpy(tensor));
      outputs.push({ name, shape: [...tensor.dims], dtype: tensor.type, file });
    }
    const report: RunReport = {
      outputs,
      runs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakTensorBytes,
    };
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      printReport(report, session.backendName, opts.profile ? last : undefined);
      if (opts.profile) printNodeTimes(profiled);
    }
    return 0;
  } finally {
    await session.release();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function printReport(r: RunReport, backend: string, profiled: RunStats | undefined): void {
  const out = process.stdout;
  for (const o of r.outputs) out.write(`${o.name}  ${o.dtype}[${o.shape.join(',')}]  -> ${o.file}\n`);
  const times = r.runs.map((x) => `${x.ms} ms`).join(', ');
  out.write(`backend ${backend}; ${r.runs.length} run${r.runs.length > 1 ? 's' : ''}: ${times}\n`);
  out.write(
    `peak tensor memory ${formatBytes(r.peakTensorBytes)}, peak RSS ${formatBytes(r.peakRssBytes)}\n`,
  );
  if (profiled?.opTimes) {
    const total = profiled.opTimes.reduce((s, t) => s + t.ms, 0);
    out.write('time per operator type (last run):\n');
    for (const t of profiled.opTimes) {
      const pct = total > 0 ? (100 * t.ms) / total : 0;
      out.write(
        `  ${t.opType.padEnd(28)} ${t.ms.toFixed(2).padStart(10)} ms  ${pct.toFixed(1).padStart(5)} %  x${t.count}\n`,
      );
    }
  }
}

/** Nodes printed by --profile, slowest first. */
const PROFILED_NODES = 20;

/**
 * --profile's time per node (OnnxStream's ops_times_printf): the mean over the runs after the first
 * (which loads, converts and packs weights) when there are several, the slowest first, and how much
 * of the run's wall time the nodes took (the rest is the executor's own work between them).
 */
function printNodeTimes(runs: readonly RunStats[]): void {
  const timed = runs.length > 1 ? runs.slice(1) : runs;
  const first = timed[0]?.nodeTimes;
  if (!first) return;
  const nodes: NodeTime[] = first.map((t, i) => ({
    ...t,
    ms: timed.reduce((sum, r) => sum + (r.nodeTimes?.[i]?.ms ?? 0), 0) / timed.length,
  }));
  const sum = nodes.reduce((s, t) => s + t.ms, 0);
  const wall = timed.reduce((s, r) => s + r.ms, 0) / timed.length;
  const out = process.stdout;
  const which = runs.length > 1 ? `mean of runs 2-${runs.length}` : 'one run';
  out.write(
    `time per node (${which}): ${nodes.length} nodes took ${sum.toFixed(2)} ms of ${wall.toFixed(2)} ms; the slowest:\n`,
  );
  for (const t of [...nodes].sort((a, b) => b.ms - a.ms).slice(0, PROFILED_NODES)) {
    const pct = sum > 0 ? (100 * t.ms) / sum : 0;
    out.write(
      `  ${t.nodeName.padEnd(28)} ${t.opType.padEnd(16)} ${t.ms.toFixed(3).padStart(9)} ms  ${pct.toFixed(1).padStart(5)} %\n`,
    );
  }
}
