/**
 * One benchmark measurement in its own process, so peak RSS belongs to one engine:
 *   node worker.js <engine> <model> <input.f32> <dims> <runs> <threads>
 * engine: `ort` (onnxruntime-node) or `onnxstream:<backend>:<provider>`. Prints one JSON line.
 */
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { createProvider, type ProviderName } from '@onnxstream/providers';

const [engine, model, inputFile, dimsText, runsText, threadsText] = process.argv.slice(2);
const dims = dimsText.split(',').map(Number);
const runs = Number(runsText);
const threads = Number(threadsText);
const raw = await readFile(inputFile);
const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

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

let ms: number[];
let peakTensorBytes: number | null = null;
if (engine === 'ort') {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  ms = await timeRuns(() => session.run(feeds));
} else {
  const [, backend, provider] = engine.split(':');
  const session = await InferenceSession.create(model, {
    backend,
    threads,
    weightsProvider: createProvider(provider as ProviderName),
  });
  const feeds = { [session.inputNames[0]]: new Tensor('float32', data, dims) };
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
