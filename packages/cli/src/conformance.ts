/**
 * Runner for ONNX's backend conformance cases: every folder holding `model.onnx` and
 * `test_data_set_*` (input_N.pb / output_N.pb TensorProtos), judged with ONNX's comparison rule:
 * rtol 1e-3 and atol 1e-7 for floats, exact for integers, bool, strings and shapes.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  asNumbers,
  type Backend,
  decodeTensorProtoBytes,
  errorMessage,
  InferenceSession,
  MemoryFiles,
  readOnnxModel,
  type Tensor,
  UnsupportedError,
} from '@onnxstream/core';

export type CaseStatus = 'passed' | 'failed' | 'unsupported';

export interface CaseResult {
  readonly name: string;
  readonly status: CaseStatus;
  /** Operator types of the case's top-level graph. */
  readonly ops: readonly string[];
  readonly message?: string;
  readonly ms: number;
}

export interface ConformanceOptions {
  readonly backend?: string | Backend;
  /** Only cases whose folder name matches. */
  readonly filter?: RegExp;
  readonly onCase?: (r: CaseResult) => void;
}

export const RTOL = 1e-3;
export const ATOL = 1e-7;

/** Finds case folders (containing model.onnx) below `dir`, sorted. */
export async function findCases(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'model.onnx')) {
      out.push(d);
      return;
    }
    for (const e of entries) if (e.isDirectory()) await walk(join(d, e.name));
  };
  await walk(dir);
  return out.sort();
}

export async function runConformance(dir: string, options: ConformanceOptions = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const caseDir of await findCases(dir)) {
    const name = relative(dir, caseDir) || caseDir;
    if (options.filter && !options.filter.test(name)) continue;
    const r = await runCase(caseDir, name, options.backend);
    results.push(r);
    options.onCase?.(r);
  }
  return results;
}

export async function runCase(
  caseDir: string,
  name: string,
  backend?: string | Backend,
): Promise<CaseResult> {
  const t0 = performance.now();
  let ops: string[] = [];
  const done = (status: CaseStatus, message?: string): CaseResult => ({
    name,
    status,
    ops,
    message,
    ms: performance.now() - t0,
  });
  let modelBytes: Uint8Array;
  try {
    modelBytes = await readFile(join(caseDir, 'model.onnx'));
    const graph = await readOnnxModel(new MemoryFiles([['model.onnx', modelBytes]]), 'model.onnx');
    ops = [...new Set(graph.nodes.map((n) => (n.domain ? `${n.domain}::${n.opType}` : n.opType)))].sort();
    const nonTensor = [...graph.inputs, ...graph.outputs].find((v) => v.nonTensor);
    if (nonTensor)
      return done('unsupported', `'${nonTensor.name}' is a ${nonTensor.nonTensor}, not a tensor`);
  } catch (e) {
    return done(isUnsupported(e) ? 'unsupported' : 'failed', errorMessage(e));
  }
  let session: InferenceSession | undefined;
  try {
    session = await InferenceSession.create(join(caseDir, 'model.onnx'), { backend });
    const sets = (await readdir(caseDir)).filter((d) => d.startsWith('test_data_set_')).sort();
    if (sets.length === 0) return done('failed', 'no test_data_set_* folder');
    for (const set of sets) {
      const setDir = join(caseDir, set);
      const inputs = await readTensors(setDir, 'input_');
      const expected = await readTensors(setDir, 'output_');
      const feeds: Record<string, Tensor> = {};
      inputs.forEach((t, i) => {
        feeds[session!.inputNames[i] ?? `#${i}`] = t;
      });
      const outputs = await session.run(feeds);
      const names = session.outputNames;
      if (expected.length !== names.length) {
        return done('failed', `${set}: ${expected.length} expected outputs, model has ${names.length}`);
      }
      for (let i = 0; i < names.length; i++) {
        const problem = compareTensors(outputs[names[i]], expected[i]);
        if (problem) return done('failed', `${set}: output '${names[i]}': ${problem}`);
      }
    }
    return done('passed');
  } catch (e) {
    return done(isUnsupported(e) ? 'unsupported' : 'failed', errorMessage(e));
  } finally {
    await session?.release();
  }
}

function isUnsupported(e: unknown): boolean {
  if (e instanceof UnsupportedError) return true;
  const m = errorMessage(e);
  return /unsupported ONNX data type|is a (sequence|optional|map)/.test(m);
}

async function readTensors(dir: string, prefix: string): Promise<Tensor[]> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'));
  files.sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
  const out: Tensor[] = [];
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    try {
      out.push(decodeTensorProtoBytes(bytes));
    } catch (e) {
      throw new UnsupportedError('', f, `cannot read ${f} as a tensor: ${errorMessage(e)}`);
    }
  }
  return out;
}

/** ONNX's comparison rule. Returns a description of the first mismatch, or undefined. */
export function compareTensors(got: Tensor | undefined, want: Tensor): string | undefined {
  if (!got) return 'missing';
  if (got.type !== want.type) return `type ${got.type}, expected ${want.type}`;
  if (got.dims.length !== want.dims.length || got.dims.some((d, i) => d !== want.dims[i])) {
    return `shape [${got.dims}], expected [${want.dims}]`;
  }
  const g = got.data as ArrayLike<unknown>;
  const w = want.data as ArrayLike<unknown>;
  const float = /^(float|bfloat)/.test(want.type);
  if (!float) {
    for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) return `element ${i} is ${g[i]}, expected ${w[i]}`;
    return undefined;
  }
  const gv = asNumbers(got);
  const wv = asNumbers(want);
  for (let i = 0; i < wv.length; i++) {
    const a = gv[i];
    const b = wv[i];
    if (Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= ATOL + RTOL * Math.abs(b)) continue;
    return `element ${i} is ${a}, expected ${b}`;
  }
  return undefined;
}

/** Per-operator counts, counting a case once for each operator type it contains. */
export function countsByOp(results: readonly CaseResult[]): Map<string, Record<CaseStatus, number>> {
  const m = new Map<string, Record<CaseStatus, number>>();
  for (const r of results) {
    for (const op of r.ops.length ? r.ops : ['(unreadable)']) {
      const c = m.get(op) ?? { passed: 0, failed: 0, unsupported: 0 };
      c[r.status]++;
      m.set(op, c);
    }
  }
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}

export function summary(results: readonly CaseResult[]): Record<CaseStatus, number> {
  const s = { passed: 0, failed: 0, unsupported: 0 };
  for (const r of results) s[r.status]++;
  return s;
}

/** True when `path` is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
