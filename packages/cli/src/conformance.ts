/**
 * Runner for ONNX's backend conformance cases: every folder holding `model.onnx` and
 * `test_data_set_*` (input_N.pb / output_N.pb: TensorProto, or SequenceProto/OptionalProto for the
 * values the graph declares so), judged with ONNX's comparison rule: rtol 1e-3 and atol 1e-7 for
 * floats, exact for integers, bool, strings and shapes; sequences element by element, optionals by
 * presence then value.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  asNumbers,
  type Backend,
  errorMessage,
  InferenceSession,
  kindOf,
  MemoryFiles,
  OptionalValue,
  Tensor,
  TensorSequence,
  UnsupportedError,
  type Value,
  type ValueInfo,
} from '@onnxstream/core';
import { decodeValueProtoBytes, readOnnxModel } from '@onnxstream/core/onnx';

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
  let declaredInputs: readonly ValueInfo[] = [];
  let declaredOutputs: readonly ValueInfo[] = [];
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
    declaredInputs = graph.inputs;
    declaredOutputs = graph.outputs;
    const map = [...graph.inputs, ...graph.outputs].find((v) => v.nonTensor === 'map');
    if (map) return done('unsupported', `'${map.name}' is a map`);
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
      const inputs = await readValues(setDir, 'input_', declaredInputs);
      const expected = await readValues(setDir, 'output_', declaredOutputs);
      const feeds: Record<string, Value> = {};
      inputs.forEach((v, i) => {
        feeds[session!.inputNames[i] ?? `#${i}`] = v;
      });
      const outputs = await session.runValues(feeds);
      const names = session.outputNames;
      if (expected.length !== names.length) {
        return done('failed', `${set}: ${expected.length} expected outputs, model has ${names.length}`);
      }
      for (let i = 0; i < names.length; i++) {
        const problem = compareValues(outputs[names[i]], expected[i]);
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
  return /unsupported ONNX data type|is a map|values are not supported/.test(m);
}

/** Reads `<prefix>N.pb` files in order, each decoded as the graph declares value N (tensor, sequence or optional). */
async function readValues(dir: string, prefix: string, declared: readonly ValueInfo[]): Promise<Value[]> {
  const files = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'));
  files.sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
  const out: Value[] = [];
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    const info = declared[Number(f.slice(prefix.length, -3))];
    try {
      out.push(decodeValueProtoBytes(bytes, info));
    } catch (e) {
      throw new UnsupportedError(
        '',
        f,
        `cannot read ${f} as the ${info?.nonTensor ?? 'tensor'} the model declares: ${errorMessage(e)}`,
      );
    }
  }
  return out;
}

/**
 * ONNX's comparison rule for any value: same kind; sequences of the same length compared tensor by
 * tensor; optionals both empty or both holding equal values. Returns the first mismatch, or undefined.
 */
export function compareValues(got: Value | undefined, want: Value): string | undefined {
  if (!got) return 'missing';
  if (want instanceof Tensor)
    return got instanceof Tensor ? compareTensors(got, want) : `${aKind(got)}, expected a tensor`;
  if (want instanceof TensorSequence) {
    if (!(got instanceof TensorSequence)) return `${aKind(got)}, expected a sequence`;
    if (got.length !== want.length) return `a sequence of ${got.length} tensors, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const problem = compareTensors(got.tensors[i], want.tensors[i]);
      if (problem) return `sequence element ${i}: ${problem}`;
    }
    return undefined;
  }
  if (!(got instanceof OptionalValue)) return `${aKind(got)}, expected an optional`;
  if (!want.value) return got.value ? `an optional holding ${got.value}, expected an empty one` : undefined;
  if (!got.value) return `an empty optional, expected one holding ${want.value}`;
  return compareValues(got.value, want.value);
}

function aKind(v: Value): string {
  return v instanceof OptionalValue ? 'an optional' : `a ${kindOf(v)}`;
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
