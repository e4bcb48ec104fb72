/**
 * `pnpm bench`: speed and memory of whole models, ours against onnxruntime-node in the same run,
 * each measurement in a fresh process (warm-up run, then timed runs; peak RSS of that process).
 * Prints a markdown table for BENCHMARKS.md and writes bench-results.json.
 *   BENCH_THREADS (default 2), BENCH_RUNS (default 5), BENCH_FILTER (regexp on scenario names),
 *   BENCH_REFERENCE=1 also times the reference backend (slow).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { testdata } from '@onnxstream/core/testing';

interface Measurement {
  engine: string;
  medianMs: number;
  minMs: number;
  runs: number;
  peakRssBytes: number;
  peakTensorBytes: number | null;
}

interface Scenario {
  name: string;
  /** Worker input spec (see worker.ts). */
  input: string;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops?: number;
  /** [label, engine, model] */
  engines: [string, string, string][];
}

const threads = Number(process.env.BENCH_THREADS ?? 2);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const filter = new RegExp(process.env.BENCH_FILTER ?? '.');
const withReference = process.env.BENCH_REFERENCE === '1';
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const scratch = join(tmpdir(), 'onnxstream-bench');

/** Ours (native; reference when asked) with the RAM and the streaming prefetch provider, against onnxruntime. */
function engines(onnx: string, ours = onnx): [string, string, string][] {
  return [
    ['onnxruntime-node 1.30.0', 'ort', onnx],
    ['onnxstream native, ram', 'onnxstream:native:ram', ours],
    ['onnxstream native, prefetch', 'onnxstream:native:prefetch', ours],
    ...(withReference
      ? [['onnxstream reference, ram', 'onnxstream:reference:ram', ours] as [string, string, string]]
      : []),
  ];
}

/** A MatMul model: A[m,k] (input) x B[k,n] (weight). */
async function matmulModel(m: number, k: number, n: number): Promise<string> {
  const file = join(scratch, `matmul-${m}x${k}x${n}.onnx`);
  let s = 7;
  const b = Float32Array.from({ length: k * n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
  const { model } = encodeOnnxModel({
    inputs: [{ name: 'a', type: 'float32', dims: [m, k] }],
    outputs: [{ name: 'y', type: 'float32', dims: [m, n] }],
    nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
    initializers: { b: new Tensor('float32', b, [k, n]) },
  });
  await writeFile(file, model);
  return file;
}

async function scenarios(): Promise<Scenario[]> {
  await mkdir(scratch, { recursive: true });
  const list: Scenario[] = [
    {
      name: 'YOLOv8n 640x640',
      input: `images=1,3,640,640@f32:${testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32')}`,
      flops: 8.7e9,
      engines: engines(testdata('yolov8n-onnx', 'yolov8n.onnx'), testdata('yolov8n-onnxstream')),
    },
    {
      name: 'super-resolution-10 224x224',
      input: 'input=1,1,224,224@random:3',
      engines: engines(testdata('models', 'super-resolution-10', 'model.onnx')),
    },
    {
      name: 'UltraFace RFB-320',
      input: 'input=1,3,240,320@random:4',
      engines: engines(testdata('models', 'ultraface-rfb-320', 'version-RFB-320.onnx')),
    },
  ];
  for (const [m, k, n] of [
    [1024, 1024, 1024],
    [4096, 320, 320],
    [4096, 320, 1280],
  ]) {
    if (!filter.test(`MatMul ${m}x${k}x${n}`)) continue;
    list.push({
      name: `MatMul ${m}x${k}x${n}`,
      input: `a=${m},${k}@random:5`,
      flops: 2 * m * k * n,
      engines: engines(await matmulModel(m, k, n)),
    });
  }
  return list.filter((s) => filter.test(s.name));
}

async function measure(s: Scenario, engine: string, model: string): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [worker, engine, model, s.input, String(runs), String(threads)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const mib = (b: number | null) => (b === null ? '-' : `${(b / 1048576).toFixed(1)} MiB`);
const results: { scenario: string; label: string; m: Measurement }[] = [];
const lines = [
  `Threads: ${threads}; runs: ${runs} after one warm-up; CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; Node ${process.version}.`,
  '',
  '| model | engine | median ms | GFLOP/s | time vs onnxruntime | peak RSS | RSS vs onnxruntime | peak tensor memory |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
for (const s of await scenarios()) {
  let ort: Measurement | undefined;
  for (const [label, engine, model] of s.engines) {
    const m = await measure(s, engine, model);
    if (engine === 'ort') ort = m;
    results.push({ scenario: s.name, label, m });
    const gflops = s.flops ? (s.flops / m.medianMs / 1e6).toFixed(1) : '-';
    const ratio = ort ? (m.medianMs / ort.medianMs).toFixed(2) : '-';
    const rss = ort ? (m.peakRssBytes / ort.peakRssBytes).toFixed(2) : '-';
    const line = `| ${s.name} | ${label} | ${m.medianMs.toFixed(1)} | ${gflops} | ${ratio} | ${mib(m.peakRssBytes)} | ${rss} | ${mib(m.peakTensorBytes)} |`;
    lines.push(line);
    process.stderr.write(`${line}\n`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
await writeFile('bench-results.json', `${JSON.stringify(results, null, 1)}\n`);
