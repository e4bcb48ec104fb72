/**
 * `pnpm bench`: speed and memory of whole models, ours against onnxruntime-node in the same run,
 * each measurement in a fresh process (warm-up run, then timed runs; peak RSS of that process).
 * Prints a markdown table for BENCHMARKS.md and writes bench-results.json.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
  input: string;
  dims: number[];
  runs: number;
  /** [label, engine, model] */
  engines: [string, string, string][];
}

const threads = Number(process.env.BENCH_THREADS ?? 2);
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const yoloInput = testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32');

const scenarios: Scenario[] = [
  {
    name: 'YOLOv8n 640x640',
    input: yoloInput,
    dims: [1, 3, 640, 640],
    runs: Number(process.env.BENCH_RUNS ?? 3),
    engines: [
      ['onnxruntime-node 1.30.0 (yolov8n.onnx)', 'ort', testdata('yolov8n-onnx', 'yolov8n.onnx')],
      [
        'onnxstream reference, prefetch (model folder)',
        'onnxstream:reference:prefetch',
        testdata('yolov8n-onnxstream'),
      ],
      [
        'onnxstream reference, ram (model folder)',
        'onnxstream:reference:ram',
        testdata('yolov8n-onnxstream'),
      ],
    ],
  },
];

async function measure(s: Scenario, engine: string, model: string): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [worker, engine, model, s.input, s.dims.join(','), String(s.runs), String(threads)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const mib = (b: number | null) => (b === null ? '-' : `${(b / 1048576).toFixed(1)} MiB`);
const results: { scenario: string; label: string; m: Measurement }[] = [];
const lines = [
  `Threads: ${threads}; CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; Node ${process.version}.`,
  '',
  '| model | engine | median ms | vs onnxruntime | peak RSS | RSS vs onnxruntime | peak tensor memory |',
  '|---|---|---:|---:|---:|---:|---:|',
];
for (const s of scenarios) {
  let ort: Measurement | undefined;
  for (const [label, engine, model] of s.engines) {
    const m = await measure(s, engine, model);
    if (engine === 'ort') ort = m;
    results.push({ scenario: s.name, label, m });
    const ratio = ort ? (m.medianMs / ort.medianMs).toFixed(2) : '-';
    const rss = ort ? (m.peakRssBytes / ort.peakRssBytes).toFixed(2) : '-';
    lines.push(
      `| ${s.name} | ${label} | ${m.medianMs.toFixed(1)} | ${ratio} | ${mib(m.peakRssBytes)} | ${rss} | ${mib(m.peakTensorBytes)} |`,
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
await writeFile('bench-results.json', `${JSON.stringify(results, null, 1)}\n`);
