/**
 * `pnpm bench`: speed and memory of whole models, ours against onnxruntime-node in the same run,
 * each measurement in a fresh process (warm-up runs for BENCH_WARMUP_MS, default 3000, at least one;
 * then timed runs; peak RSS of that process). YOLOv8n also runs in the lowest-memory configuration
 * (nocache provider, the `--rpi-lowmem` block cache), and a process that loads Node, our packages and
 * the native addon and runs nothing gives the floor under every peak RSS.
 * Prints a markdown table for BENCHMARKS.md and writes bench-results.json.
 *   BENCH_THREADS (default 2), BENCH_RUNS (default 5), BENCH_ROUNDS (default 3: processes per
 *   engine, taking turns with the other engines; SD scenarios once), BENCH_FILTER (regexp on scenario names),
 *   BENCH_REFERENCE=1 also times the reference backend (slow).
 *   BENCH_SD=1 adds the full-size SD 1.5 memory benchmarks (issues 5 and 6): one UNet evaluation, one
 *   VAE decode (fp32, fp16, W8A8), the text encoder and the tiled decoder's 32x32 tile, and a whole
 *   `onnxstream sd` generation. It makes the models once (make-sd-models.mjs, `onnxstream convert`
 *   and `calibrate`, each command printed) into BENCH_SD_DIR (default ~/.cache/onnxstream-bench/sd15,
 *   about 7 GB, also an OnnxStream SD 1.5 folder) and takes tens of minutes on 2 cores.
 *   BENCH_SD_RUNS (default 1): timed runs per SD model measurement.
 *   BENCH_CHROMIUM=1 adds a YOLOv8n row for the wasm backend in headless Chromium: the demo's
 *   `bench:chromium` (apps/demo/bench/chromium.ts; the threads build with every logical CPU, weights
 *   over HTTP from the Cache API). Chromium's memory is not measured.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { encodeNpy, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { testdata } from '@onnxstream/core/testing';
import { uniformFloats } from './random.js';

interface Measurement {
  engine: string;
  /** null where nothing ran (the `node` floor). */
  medianMs: number | null;
  minMs: number | null;
  runs: number;
  /** null where not measured (Chromium). */
  peakRssBytes: number | null;
  peakTensorBytes: number | null;
  /** `cli` engines: each stage of `onnxstream sd` (see measureCli). */
  stages?: StageMeasurement[];
}

interface StageMeasurement {
  name: string;
  /** The process's peak RSS while the stage ran (what earlier stages left resident included). */
  peakRssBytes: number;
  ms: number;
}

interface Scenario {
  name: string;
  /** Worker input spec (see worker.ts); for `cli` engines, the command's arguments, space-separated. */
  input: string;
  /** Floating-point operations of one run, for GFLOP/s. */
  flops?: number;
  /**
   * [label, engine, model]. engine: a worker engine (see worker.ts), or `cli[:<more arguments>]`: one
   * run of the whole `onnxstream <input> <more arguments> --models-path <model>` process.
   */
  engines: [string, string, string][];
  /** Makes the scenario's models when missing; run only for scenarios the filter keeps. */
  prepare?: () => Promise<void>;
}

const threads = Number(process.env.BENCH_THREADS ?? 2);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const filter = new RegExp(process.env.BENCH_FILTER ?? '.');
const withReference = process.env.BENCH_REFERENCE === '1';
const withSd = process.env.BENCH_SD === '1';
const withChromium = process.env.BENCH_CHROMIUM === '1';
const sdRuns = Number(process.env.BENCH_SD_RUNS ?? 1);
const benchRounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const sdDir = process.env.BENCH_SD_DIR ?? join(homedir(), '.cache', 'onnxstream-bench', 'sd15');
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
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
    // wasm with each provider: with the prefetch one, weights are packed (and 3x3 ones transformed
    // for Winograd) again every run, which the RAM provider keeps done.
    ...(wasm
      ? ([
          ['onnxstream wasm (relaxed simd+threads), ram', 'onnxstream:wasm:ram', ours],
          ['onnxstream wasm (relaxed simd+threads), prefetch', 'onnxstream:wasm:prefetch', ours],
        ] as [string, string, string][])
      : []),
    ...(withReference
      ? [['onnxstream reference, ram', 'onnxstream:reference:ram', ours] as [string, string, string]]
      : []),
  ];
}

/** A MatMul model: A[m,k] (input) x B[k,n] (weight). */
async function matmulModel(m: number, k: number, n: number): Promise<string> {
  const file = join(scratch, `matmul-${m}x${k}x${n}.onnx`);
  const b = uniformFloats(k * n, 7);
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
      engines: [
        ...engines(testdata('yolov8n-onnx', 'yolov8n.onnx'), testdata('yolov8n-onnxstream'), true),
        // The lowest-memory configuration (as `--rpi-lowmem`), and what Node itself takes.
        [
          'onnxstream native, nocache, low-memory block cache',
          'onnxstream:native:nocache:lowmemcache',
          testdata('yolov8n-onnxstream'),
        ],
        ['Node alone (our packages loaded, no model)', 'node', ''],
        ...(withChromium
          ? [
              ['onnxstream wasm (relaxed simd+threads), Chromium, HTTP', 'chromium', ''] as [
                string,
                string,
                string,
              ],
            ]
          : []),
      ],
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
  if (withSd) list.push(...sdScenarios());
  return list.filter((s) => filter.test(s.name));
}

/**
 * Node flags of every measured process, both engines alike, as `pnpm onnxstream` starts the CLI: with
 * Node's default 16 MiB young-generation semi-spaces V8 holds ~30 MiB of heap pages without live data
 * during a long streamed run (core README, Planning and execution).
 */
const NODE_FLAGS = ['--max-semi-space-size=1'];

/** Prints a command line on stderr, so that it can be repeated by hand. */
function printCommand(args: readonly string[]): void {
  process.stderr.write(`$ node ${args.join(' ')}\n`);
}

/** Runs `node <args>`, printed first. */
async function runNode(args: readonly string[]): Promise<void> {
  printCommand(args);
  await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
}

/** Runs `node <args>` unless `output` exists: the SD models are made once. */
async function makeOnce(output: string, args: readonly string[]): Promise<void> {
  if (!existsSync(output)) await runNode(args);
}

/** `make` run at most once per bench run (SD scenarios share models). */
function once(make: () => Promise<void>): () => Promise<void> {
  let made: Promise<void> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

const makeSdScript = fileURLToPath(
  new URL('../../../stable-diffusion/scripts/make-sd-models.mjs', import.meta.url),
);

/**
 * The SD model cache: the builder's fp32 ONNX models (external data) in fp32/ (fp32_l32/: the decoder
 * built for 32x32 latent tiles), converted into OnnxStream's SD 1.5 folder layout at the top, so
 * BENCH_SD_DIR is also an `onnxstream sd --models-path` folder (reference section 7.1).
 */
const sd = {
  unetOnnx: join(sdDir, 'fp32', 'unet', 'model.onnx'),
  textEncoderOnnx: join(sdDir, 'fp32', 'text_encoder', 'model.onnx'),
  vaeDecoderOnnx: join(sdDir, 'fp32', 'vae_decoder', 'model.onnx'),
  vaeTileDecoderOnnx: join(sdDir, 'fp32_l32', 'vae_decoder', 'model.onnx'),
  unetFp16: join(sdDir, 'unet_fp16'),
  textEncoderFp32: join(sdDir, 'text_encoder_fp32'),
  vaeDecoderFp16: join(sdDir, 'vae_decoder_fp16'),
  vaeDecoderQu8: join(sdDir, 'vae_decoder_qu8'),
  vaeTileDecoderFp16: join(sdDir, 'vae_decoder_fp16_l32'),
};
const modelTxt = (folder: string) => join(folder, 'model.txt');
/** The 64x64 decoder's input (OnnxStream's name, `--onnxstream-names`). */
const VAE_DECODER_INPUT = 'input.1';
/** Latents the W8A8 decoder's ranges are calibrated on: the timed input's distribution, other seeds. */
const CALIBRATION_SEEDS = [11, 12, 13];

const makeSdUnet = once(async () => {
  await makeOnce(sd.unetOnnx, [makeSdScript, join(sdDir, 'fp32'), '--only', 'unet']);
  await makeOnce(modelTxt(sd.unetFp16), [cli, 'convert', sd.unetOnnx, sd.unetFp16, '--fp16']);
});

const makeSdTextEncoder = once(async () => {
  // OnnxStream's input name (`onnx::Reshape_0`, int64), as its text_encoder_fp32.
  await makeOnce(sd.textEncoderOnnx, [
    makeSdScript,
    join(sdDir, 'fp32'),
    '--only',
    'text_encoder',
    '--onnxstream-names',
  ]);
  await makeOnce(modelTxt(sd.textEncoderFp32), [cli, 'convert', sd.textEncoderOnnx, sd.textEncoderFp32]);
});

const makeSdVaeDecoder = once(async () => {
  await makeOnce(sd.vaeDecoderOnnx, [
    makeSdScript,
    join(sdDir, 'fp32'),
    '--only',
    'vae_decoder',
    '--onnxstream-names',
  ]);
  await makeOnce(modelTxt(sd.vaeDecoderFp16), [
    cli,
    'convert',
    sd.vaeDecoderOnnx,
    sd.vaeDecoderFp16,
    '--fp16',
  ]);
  await makeOnce(modelTxt(sd.vaeDecoderQu8), [
    cli,
    'convert',
    sd.vaeDecoderOnnx,
    sd.vaeDecoderQu8,
    '--uint8',
  ]);
  // W8A8 takes each operator's output range from range_data.txt: recorded running the uint8 folder
  // in float32, as OnnxStream's --decoder-calibrate with --rpi-lowmem.
  const ranges = join(sd.vaeDecoderQu8, 'range_data.txt');
  if (existsSync(ranges)) return;
  const inputs: string[] = [];
  const latents = join(sdDir, 'calibration');
  await mkdir(latents, { recursive: true });
  for (const seed of CALIBRATION_SEEDS) {
    const file = join(latents, `vae-latent-${seed}.npy`);
    await writeFile(file, encodeNpy(new Tensor('float32', uniformFloats(4 * 64 * 64, seed), [1, 4, 64, 64])));
    inputs.push('--input', `${VAE_DECODER_INPUT}=${file}`);
  }
  await runNode([cli, 'calibrate', sd.vaeDecoderQu8, ...inputs, '--output', ranges, '--backend', 'native']);
});

const makeSdVaeTileDecoder = once(async () => {
  // Input `latent_sample` (the builder's default naming), as OnnxStream's vae_decoder_fp16_l32.
  await makeOnce(sd.vaeTileDecoderOnnx, [
    makeSdScript,
    join(sdDir, 'fp32_l32'),
    '--only',
    'vae_decoder',
    '--latent',
    '32',
  ]);
  await makeOnce(modelTxt(sd.vaeTileDecoderFp16), [
    cli,
    'convert',
    sd.vaeTileDecoderOnnx,
    sd.vaeTileDecoderFp16,
    '--fp16',
  ]);
});

/** BENCH_SD_DIR as a complete OnnxStream SD 1.5 folder, tokenizer from the shared test data. */
const makeSdFolder = once(async () => {
  await makeSdTextEncoder();
  await makeSdUnet();
  await makeSdVaeTileDecoder();
  const tokenizer = join(sdDir, 'tokenizer');
  await mkdir(tokenizer, { recursive: true });
  for (const file of ['vocab.txt', 'merges.txt']) {
    if (!existsSync(join(tokenizer, file))) await copyFile(testdata('clip', file), join(tokenizer, file));
  }
  // Last: vae_decoder_qu8/range_data.txt is the file the folder is recognised by.
  await makeSdVaeDecoder();
});

/**
 * Issues 5 and 6: peak RSS and time of each full-size SD 1.5 model run once (64x64 latent, 77x768
 * text context, batch 1), onnxruntime-node on the fp32 model against our providers and weight
 * formats, and of a whole `onnxstream sd` generation.
 */
function sdScenarios(): Scenario[] {
  const unetInput = 'sample=1,4,64,64@random:6;timestep=1@const:999;encoder_hidden_states=1,77,768@random:7';
  const ort = 'onnxruntime-node 1.30.0 (fp32 model)';
  return [
    {
      name: 'SD 1.5 UNet 64x64 (fp32 weights)',
      input: unetInput,
      prepare: makeSdUnet,
      engines: [
        ['onnxruntime-node 1.30.0', 'ort', sd.unetOnnx],
        ['onnxstream native, prefetch', 'onnxstream:native:prefetch', sd.unetOnnx],
        ['onnxstream native, nocache', 'onnxstream:native:nocache', sd.unetOnnx],
        ['onnxstream native, ram', 'onnxstream:native:ram', sd.unetOnnx],
      ],
    },
    {
      name: 'SD 1.5 UNet 64x64 (OnnxStream folder, fp16 weights)',
      input: unetInput,
      prepare: makeSdUnet,
      engines: [
        [ort, 'ort', sd.unetOnnx],
        ['onnxstream native, prefetch, fp32 arithmetic', 'onnxstream:native:prefetch', sd.unetFp16],
        ['onnxstream native, prefetch, fp16 storage', 'onnxstream:native:prefetch:fp16storage', sd.unetFp16],
        ['onnxstream native, prefetch, fp16 arithmetic', 'onnxstream:native:prefetch:fp16arith', sd.unetFp16],
        // The lowest-memory configuration (the CLI's --rpi-lowmem engine settings, fp16 storage).
        [
          'onnxstream native, nocache, fp16 storage, 4 MiB block cache',
          'onnxstream:native:nocache:fp16storage+lowmemcache',
          sd.unetFp16,
        ],
        // The same computing in float16 where the kernels can (fp16 arithmetic).
        [
          'onnxstream native, nocache, fp16 arithmetic, 4 MiB block cache',
          'onnxstream:native:nocache:fp16arith+lowmemcache',
          sd.unetFp16,
        ],
      ],
    },
    {
      // The full-image decoder; OnnxStream reads its weights with DiskNoCache, as `onnxstream sd`.
      name: 'SD 1.5 VAE decoder 64x64 latent (512x512 image)',
      input: `${VAE_DECODER_INPUT}=1,4,64,64@random:8`,
      prepare: makeSdVaeDecoder,
      engines: [
        [ort, 'ort', sd.vaeDecoderOnnx],
        ['onnxstream native, nocache, fp32 weights', 'onnxstream:native:nocache', sd.vaeDecoderOnnx],
        [
          'onnxstream native, nocache, fp16 folder, fp32 arithmetic',
          'onnxstream:native:nocache',
          sd.vaeDecoderFp16,
        ],
        [
          'onnxstream native, nocache, fp16 folder, fp16 arithmetic',
          'onnxstream:native:nocache:fp16arith',
          sd.vaeDecoderFp16,
        ],
        [
          'onnxstream native, nocache, uint8 folder, W8A8 (uint8 arithmetic, range_data.txt)',
          'onnxstream:native:nocache:uint8arith',
          sd.vaeDecoderQu8,
        ],
      ],
    },
    // The generation's other two models, as `onnxstream sd` runs them (its breakdown).
    {
      name: 'SD 1.5 text encoder (77 tokens)',
      input: 'onnx::Reshape_0=1,77@int64:49407',
      prepare: makeSdTextEncoder,
      engines: [
        [ort, 'ort', sd.textEncoderOnnx],
        ['onnxstream native, prefetch, fp32 folder', 'onnxstream:native:prefetch', sd.textEncoderFp32],
      ],
    },
    {
      name: 'SD 1.5 VAE decoder 32x32 latent tile (256x256)',
      input: 'latent_sample=1,4,32,32@random:9',
      prepare: makeSdVaeTileDecoder,
      engines: [
        [ort, 'ort', sd.vaeTileDecoderOnnx],
        [
          'onnxstream native, prefetch, fp16 folder, fp32 arithmetic',
          'onnxstream:native:prefetch',
          sd.vaeTileDecoderFp16,
        ],
      ],
    },
    {
      // 2 text encoder runs, 3 x 2 UNet evaluations (classifier-free guidance: two runs, or one
      // two-sample run with --cfg-batch), 9 decoder tiles or 1 full decode.
      name: 'SD 1.5 generation 512x512, 3 steps (onnxstream sd)',
      input: 'sd --backend native --steps 3 --seed 1 --download never',
      prepare: makeSdFolder,
      engines: [
        // The defaults: float32 arithmetic on the float16 weights, guidance branches as two runs.
        ['native, streaming (prefetch; tiled VAE)', 'cli', sdDir],
        ['native, streaming, --cfg-batch (both guidance branches in one run)', 'cli:--cfg-batch', sdDir],
        [
          'native, --rpi-lowmem --not-tiled (nocache; fp32 arithmetic UNet; W8A8 VAE)',
          'cli:--rpi-lowmem --not-tiled',
          sdDir,
        ],
      ],
    },
  ];
}

/** Stages of `onnxstream sd` in order: with stderr not a terminal it prints `<stage> N/N` as each ends. */
const SD_STAGES: readonly (readonly [string, string])[] = [
  ['text', 'start-up + text encoder'],
  ['unet', 'UNet'],
  ['vae', 'VAE decoder'],
];

/** A process's VmRSS and VmHWM (peak) in bytes; zeros when it is gone or /proc is missing. */
function residentBytes(pid: number): { rss: number; peak: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // exited, or not Linux
  }
  const bytes = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: bytes('VmRSS'), peak: bytes('VmHWM') };
}

/**
 * One whole CLI process: wall time, the peak RSS it prints at exit, and each stage's peak (the
 * high-water mark at the stage's end when the stage raised it, else the largest RSS sampled every
 * 20 ms during it).
 */
async function measureCli(s: Scenario, engine: string, modelsPath: string): Promise<Measurement> {
  const more = engine
    .slice('cli:'.length)
    .split(' ')
    .filter((a) => a !== '');
  const args = [...NODE_FLAGS, cli, ...s.input.split(' '), ...more, '--models-path', modelsPath];
  args.push('--threads', String(threads), '--output', join(scratch, 'sd.png'));
  printCommand(args);
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid ?? 0;
  const stages: StageMeasurement[] = [];
  let stageStart = start;
  let sampled = 0;
  let peakBefore = 0;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, residentBytes(pid).rss);
  }, 20);
  let stdout = '';
  let stderrTail = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail = `${stderrTail}${line}\n`.slice(-4000);
    const ended = /^(\w+) (\d+)\/\2$/.exec(line);
    const stage = SD_STAGES[stages.length];
    if (ended && ended[1] === stage?.[0]) {
      const { rss, peak } = residentBytes(pid);
      const now = performance.now();
      stages.push({
        name: stage[1],
        peakRssBytes: peak > peakBefore ? peak : Math.max(sampled, rss),
        ms: now - stageStart,
      });
      peakBefore = peak;
      sampled = 0;
      stageStart = now;
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const ms = performance.now() - start;
  const printed = /peak RSS: ([\d.]+) MiB/.exec(stdout);
  if (code !== 0 || !printed) throw new Error(`onnxstream sd failed (exit ${code}):\n${stderrTail}`);
  return {
    engine,
    medianMs: ms,
    minMs: ms,
    runs: 1,
    peakRssBytes: Number(printed[1]) * 2 ** 20,
    peakTensorBytes: null,
    stages,
  };
}

/** YOLOv8n in headless Chromium, measured by the demo's benchmark (its own build and server). */
async function measureChromium(): Promise<Measurement> {
  const { stdout } = await promisify(execFile)(
    'pnpm',
    ['--filter', '@onnxstream/demo', 'run', 'bench:chromium', String(runs)],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

async function measure(s: Scenario, engine: string, model: string): Promise<Measurement> {
  if (engine === 'cli' || engine.startsWith('cli:')) return measureCli(s, engine, model);
  if (engine === 'chromium') return measureChromium();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...NODE_FLAGS,
      worker,
      engine,
      model,
      s.input,
      String(s.name.startsWith('SD ') ? sdRuns : runs),
      String(threads),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/**
 * Each engine of a scenario measured in BENCH_ROUNDS fresh processes, the engines taking turns (in
 * reverse order every other round): on a shared machine a burst of load then falls on one round of
 * some engines instead of on every run of one. Per engine: the median of its rounds' medians, the
 * best run, the largest peak RSS. SD scenarios, whole CLI runs and Chromium are measured once.
 */
async function measureRounds(s: Scenario): Promise<Measurement[]> {
  const once = (engine: string) =>
    s.name.startsWith('SD ') || engine === 'chromium' || engine.startsWith('cli');
  const rounds: Measurement[][] = s.engines.map(() => []);
  for (let r = 0; r < benchRounds; r++) {
    const order = [...s.engines.keys()];
    if (r % 2 === 1) order.reverse();
    for (const k of order) {
      const [, engine, model] = s.engines[k];
      if (r === 0 || !once(engine)) rounds[k].push(await measure(s, engine, model));
    }
  }
  return rounds.map((ms) => {
    if (ms.length === 1) return ms[0];
    const timed = ms.filter((m) => m.medianMs !== null);
    const medians = timed.map((m) => m.medianMs!).sort((a, b) => a - b);
    const peaks = ms.map((m) => m.peakRssBytes).filter((b) => b !== null);
    return {
      ...ms[0],
      medianMs: medians.length > 0 ? medians[Math.floor(medians.length / 2)] : null,
      minMs: timed.length > 0 ? Math.min(...timed.map((m) => m.minMs!)) : null,
      runs: ms.reduce((n, m) => n + m.runs, 0),
      peakRssBytes: peaks.length > 0 ? Math.max(...peaks) : null,
    };
  });
}

const mib = (b: number | null) => (b === null ? '-' : `${(b / 1048576).toFixed(1)} MiB`);
const results: { scenario: string; label: string; m: Measurement }[] = [];
const lines = [
  `Threads: ${threads}; runs: ${runs} after ${Number(process.env.BENCH_WARMUP_MS ?? 3000) / 1000} s of warm-up runs (at least one), in each of ${benchRounds} rounds of fresh processes, engines taking turns (median of the rounds' medians)${withSd ? ` (SD models: ${sdRuns}; a whole generation: 1, no warm-up)` : ''}; CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; Node ${process.version} (${NODE_FLAGS.join(' ')}).`,
  '',
  '| model | engine | median ms | GFLOP/s | time vs onnxruntime | peak RSS | RSS vs onnxruntime | peak tensor memory |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
const notes: string[] = [];
for (const s of await scenarios()) {
  await s.prepare?.();
  const measured = await measureRounds(s);
  let ort: Measurement | undefined;
  for (const [k, [label, engine]] of s.engines.entries()) {
    const m = measured[k];
    if (engine === 'ort') ort = m;
    results.push({ scenario: s.name, label, m });
    const ms = m.medianMs;
    const gflops = s.flops && ms !== null ? (s.flops / ms / 1e6).toFixed(1) : '-';
    const ratio = ort?.medianMs && ms !== null ? (ms / ort.medianMs).toFixed(2) : '-';
    const rss =
      ort?.peakRssBytes && m.peakRssBytes !== null ? (m.peakRssBytes / ort.peakRssBytes).toFixed(2) : '-';
    const line = `| ${s.name} | ${label} | ${ms === null ? '-' : ms.toFixed(ms < 10 ? 2 : 1)} | ${gflops} | ${ratio} | ${mib(m.peakRssBytes)} | ${rss} | ${mib(m.peakTensorBytes)} |`;
    lines.push(line);
    process.stderr.write(`${line}\n`);
    if (m.stages) {
      const stages = m.stages.map(
        (st) => `${st.name} ${mib(st.peakRssBytes)} (${(st.ms / 1000).toFixed(1)} s)`,
      );
      const note = `- ${s.name}, ${label}: peak RSS (time) by stage: ${stages.join(', ')}.`;
      notes.push(note);
      process.stderr.write(`${note}\n`);
    }
  }
}
if (notes.length > 0) lines.push('', ...notes);
process.stdout.write(`${lines.join('\n')}\n`);
await writeFile('bench-results.json', `${JSON.stringify(results, null, 1)}\n`);
