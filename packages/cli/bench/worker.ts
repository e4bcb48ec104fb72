/**
 * One benchmark measurement in its own process, so peak RSS belongs to one engine:
 *   node worker.js <engine> <model> <input> <runs> <threads>
 * engine: `ort` (onnxruntime-node), `node` (Node with our packages and the native addon loaded, no
 * model: the floor under every row's RSS) or `onnxstream:<backend>:<provider>[:<mode>+<mode>...]` (backend:
 * native, wasm, reference; modes: fp16arith, fp16storage, uint8arith, the session options below;
 * lowmemcache: the native backend keeps LOW_MEMORY_BUFFER_CACHE of freed blocks, as --rpi-lowmem).
 * input: `<name>=<dims>@<source>` where source is `f32:<file>` (raw little-endian float32),
 * `random:<seed>`, `const:<value>` (float32) or `int64:<value>` (e.g. token ids); several inputs are
 * joined with `;`. Prints one JSON line.
 */
import { readFile } from 'node:fs/promises';
import { InferenceSession, type SessionOptions, Tensor } from '@onnxstream/core';
import { createProvider, type ProviderName } from '@onnxstream/providers';
import { uniformFloats } from './random.js';

const [engine, model, inputSpec, runsText, threadsText] = process.argv.slice(2);
const runs = Number(runsText);
const threads = Number(threadsText);

/** The engine modes and the session options they set. */
const MODES: Readonly<Record<string, SessionOptions>> = {
  fp16arith: { fp16Arithmetic: true },
  fp16storage: { fp16Storage: true },
  // Ranges come from range_data.txt in the model folder (`onnxstream calibrate` writes it).
  uint8arith: { uint8Arithmetic: true },
};

/** Modes that are not session options. */
const LOW_MEMORY_CACHE = 'lowmemcache';

function modeOptions(modes: string | undefined): SessionOptions {
  const options: SessionOptions = {};
  for (const mode of modes?.split('+') ?? []) {
    if (mode === LOW_MEMORY_CACHE) continue;
    const set = MODES[mode];
    if (!set) throw new Error(`unknown engine mode '${mode}' (known: ${Object.keys(MODES).join(', ')})`);
    Object.assign(options, set);
  }
  return options;
}

type Input =
  | { name: string; dims: number[]; type: 'float32'; data: Float32Array }
  | { name: string; dims: number[]; type: 'int64'; data: BigInt64Array };

async function inputs(): Promise<Input[]> {
  return Promise.all(
    inputSpec.split(';').map(async (item): Promise<Input> => {
      const [head, source] = item.split('@');
      const [name, dimsText] = head.split('=');
      const dims = dimsText.split(',').map(Number);
      const n = dims.reduce((a, b) => a * b, 1);
      if (source.startsWith('int64:')) {
        return {
          name,
          dims,
          type: 'int64',
          data: new BigInt64Array(n).fill(BigInt(source.slice('int64:'.length))),
        };
      }
      let data: Float32Array;
      if (source.startsWith('const:')) {
        data = new Float32Array(n).fill(Number(source.slice('const:'.length)));
      } else if (source.startsWith('f32:')) {
        const raw = await readFile(source.slice(4));
        data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      } else {
        data = uniformFloats(n, Number(source.slice('random:'.length)));
      }
      return { name, dims, type: 'float32', data };
    }),
  );
}

/**
 * Warm-up before timing, not counted: runs until this long has passed (at least one run). Both
 * engines get the same: onnxruntime is warm after one run, while our per-operator JavaScript is
 * compiled by V8's optimising tier only after some dozens of runs of a small model (measured on
 * YOLOv8n: the first 20 runs after one warm-up were up to twice as slow as the later ones).
 */
const WARM_UP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);

async function timeRuns(run: () => Promise<unknown>): Promise<number[]> {
  const warmUpEnd = performance.now() + WARM_UP_MS;
  do await run();
  while (performance.now() < warmUpEnd);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return ms;
}

const given = await inputs();
let ms: number[];
let peakTensorBytes: number | null = null;
if (engine === 'node') {
  await import('@onnxstream/native/register');
  ms = [];
} else if (engine === 'ort') {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = Object.fromEntries(given.map((i) => [i.name, new ort.Tensor(i.type, i.data, i.dims)]));
  ms = await timeRuns(() => session.run(feeds));
} else {
  const [, backend, provider, modes] = engine.split(':');
  if (backend === 'native') await import('@onnxstream/native/register');
  if (modes?.split('+').includes(LOW_MEMORY_CACHE)) {
    if (backend !== 'native') throw new Error(`${LOW_MEMORY_CACHE} is a native backend mode`);
    const { setBufferCache, LOW_MEMORY_BUFFER_CACHE } = await import('@onnxstream/native');
    setBufferCache(LOW_MEMORY_BUFFER_CACHE);
  }
  if (backend === 'wasm') {
    // As the CLI does: the relaxed-SIMD build, behind a V8 flag on Node 20.
    (await import('@onnxstream/wasm')).enableRelaxedSimd();
    await import('@onnxstream/wasm/register');
  }
  const session = await InferenceSession.create(model, {
    backend,
    threads,
    weightsProvider: createProvider(provider as ProviderName),
    ...modeOptions(modes),
  });
  const feeds = Object.fromEntries(given.map((i) => [i.name, new Tensor(i.type, i.data, i.dims)]));
  // Outputs are released as a careful application does (native memory is otherwise held until the
  // garbage collector finalises them).
  ms = await timeRuns(async () => {
    for (const output of Object.values(await session.run(feeds))) output.dispose();
  });
  peakTensorBytes = session.lastRunStats?.peakTensorBytes ?? null;
}
ms.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    engine,
    medianMs: ms.length > 0 ? ms[Math.floor(ms.length / 2)] : null,
    minMs: ms.length > 0 ? ms[0] : null,
    runs: ms.length,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakTensorBytes,
  })}\n`,
);
