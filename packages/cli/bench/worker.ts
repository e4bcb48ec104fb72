/**
 * One benchmark measurement in its own process, so peak RSS belongs to one engine:
 *   node worker.js <engine> <model> <input> <runs> <threads>
 * engine: `ort` (onnxruntime-node) or `onnxstream:<backend>:<provider>` (backend: native, wasm, reference).
 * input: `<name>=<dims>@<source>` where source is `f32:<file>` (raw little-endian float32) or
 * `random:<seed>`; several inputs are joined with `;`. Prints one JSON line.
 */
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { createProvider, type ProviderName } from '@onnxstream/providers';

const [engine, model, inputSpec, runsText, threadsText] = process.argv.slice(2);
const runs = Number(runsText);
const threads = Number(threadsText);

async function inputs(): Promise<{ name: string; dims: number[]; data: Float32Array }[]> {
  return Promise.all(
    inputSpec.split(';').map(async (item) => {
      const [head, source] = item.split('@');
      const [name, dimsText] = head.split('=');
      const dims = dimsText.split(',').map(Number);
      const n = dims.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (source.startsWith('const:')) {
        data = new Float32Array(n).fill(Number(source.slice('const:'.length)));
      } else if (source.startsWith('f32:')) {
        const raw = await readFile(source.slice(4));
        data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      } else {
        let s = Number(source.slice('random:'.length)) >>> 0 || 1;
        data = Float32Array.from({ length: n }, () => {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          return s / 2 ** 32 - 0.5;
        });
      }
      return { name, dims, data };
    }),
  );
}

async function timeRuns(run: () => Promise<unknown>): Promise<number[]> {
  await run(); // warm-up, not counted
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
if (engine === 'ort') {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = Object.fromEntries(given.map((i) => [i.name, new ort.Tensor('float32', i.data, i.dims)]));
  ms = await timeRuns(() => session.run(feeds));
} else {
  const [, backend, provider] = engine.split(':');
  if (backend === 'native') await import('@onnxstream/native/register');
  if (backend === 'wasm') await import('@onnxstream/wasm/register');
  const session = await InferenceSession.create(model, {
    backend,
    threads,
    weightsProvider: createProvider(provider as ProviderName),
  });
  const feeds = Object.fromEntries(given.map((i) => [i.name, new Tensor('float32', i.data, i.dims)]));
  ms = await timeRuns(() => session.run(feeds));
  peakTensorBytes = session.lastRunStats?.peakTensorBytes ?? null;
}
ms.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    engine,
    medianMs: ms[Math.floor(ms.length / 2)],
    minMs: ms[0],
    runs: ms.length,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    peakTensorBytes,
  })}\n`,
);
