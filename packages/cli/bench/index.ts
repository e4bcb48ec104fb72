/**
 * `pnpm bench`: speed and memory of whole models, ours against onnxruntime-node in the same run,
 * each measurement in a fresh process (warm-up run, then timed runs; peak RSS of that process).
 * Prints a markdown table for BENCHMARKS.md and writes bench-results.json.
 *   BENCH_THREADS (default 2), BENCH_RUNS (default 5), BENCH_FILTER (regexp on scenario names),
 *   BENCH_REFERENCE=1 also times the reference backend (slow).
 *   BENCH_SD=1 adds the full-size SD 1.5 UNet memory benchmark: it generates the models once with
 *   packages/stable-diffusion/scripts/make-sd-models.mjs into BENCH_SD_DIR (default
 *   ~/.cache/onnxstream-bench/sd15; about 6 GB) and takes tens of minutes on 2 cores.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, homedir, tmpdir } from 'node:os';
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
const withSd = process.env.BENCH_SD === '1';
const sdRuns = Number(process.env.BENCH_SD_RUNS ?? 1);
const sdDir = process.env.BENCH_SD_DIR ?? join(homedir(), '.cache', 'onnxstream-bench', 'sd15');
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const scratch = join(tmpdir(), 'onnxstream-bench');

/**
 * Ours (native; the wasm backend's best build where asked; reference when asked) with the RAM and the
 * streaming prefetch provider, against onnxruntime.
 */
function engines(onnx: string, ours = onnx, wasm = false): [string, string, string][] {
  return [
    ['onnxruntime-node 1.30.0', 'ort', onnx],
    ['onnxstream native, ram', 'onnxstream:native:ram', ours],
    ['onnxstream native, prefetch', 'onnxstream:native:prefetch', ours],
    ...(wasm
      ? [
          ['onnxstream wasm (simd+threads), prefetch', 'onnxstream:wasm:prefetch', ours] as [
            string,
            string,
            string,
          ],
        ]
      : []),
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
      engines: engines(testdata('yolov8n-onnx', 'yolov8n.onnx'), testdata('yolov8n-onnxstream'), true),
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
  if (withSd) list.push(...(await sdScenarios()));
  return list.filter((s) => filter.test(s.name));
}

/**
 * Writes the full-size SD 1.5 UNet once: fp32 ONNX with external data (the builder), and an
 * OnnxStream folder with float16 weights made from it by `onnxstream convert --fp16`.
 */
async function sdModels(): Promise<{ fp32: string; fp16: string }> {
  const script = fileURLToPath(
    new URL('../../../stable-diffusion/scripts/make-sd-models.mjs', import.meta.url),
  );
  const cli = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
  const run = (args: string[]) => promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
  const fp32 = join(sdDir, 'fp32', 'unet', 'model.onnx');
  if (!existsSync(fp32)) {
    process.stderr.write(`writing ${fp32} ...\n`);
    await run([script, join(sdDir, 'fp32'), '--only', 'unet']);
  }
  const fp16 = join(sdDir, 'unet_fp16');
  if (!existsSync(join(fp16, 'model.txt'))) {
    process.stderr.write(`converting to ${fp16} ...\n`);
    await run([cli, 'convert', fp32, fp16, '--fp16']);
  }
  return { fp32, fp16 };
}

/**
 * Peak RSS and time of one SD 1.5 UNet evaluation (64x64 latent, 77x768 context, batch 1), as
 * issue 5 asks: onnxruntime-node on the fp32 model against our providers, fp32 and fp16.
 */
async function sdScenarios(): Promise<Scenario[]> {
  const { fp32, fp16 } = await sdModels();
  const input = 'sample=1,4,64,64@random:6;timestep=1@const:999;encoder_hidden_states=1,77,768@random:7';
  return [
    {
      name: 'SD 1.5 UNet 64x64 (fp32 weights)',
      input,
      engines: [
        ['onnxruntime-node 1.30.0', 'ort', fp32],
        ['onnxstream native, prefetch', 'onnxstream:native:prefetch', fp32],
        ['onnxstream native, nocache', 'onnxstream:native:nocache', fp32],
        ['onnxstream native, ram', 'onnxstream:native:ram', fp32],
      ],
    },
    {
      name: 'SD 1.5 UNet 64x64 (OnnxStream folder, fp16 weights)',
      input,
      engines: [
        ['onnxruntime-node 1.30.0 (fp32 model)', 'ort', fp32],
        ['onnxstream native, prefetch, fp32 arithmetic', 'onnxstream:native:prefetch', fp16],
        ['onnxstream native, prefetch, fp16 storage', 'onnxstream:native:prefetch:fp16storage', fp16],
        ['onnxstream native, prefetch, fp16 arithmetic', 'onnxstream:native:prefetch:fp16arith', fp16],
      ],
    },
  ];
}

async function measure(s: Scenario, engine: string, model: string): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [worker, engine, model, s.input, String(s.name.startsWith('SD ') ? sdRuns : runs), String(threads)],
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
