/**
 * A model larger than a wasm heap can ever be (4 GiB) runs on the wasm backend, since no single
 * operator needs more: 65 Gemm layers with 64 MiB weights each, 4.06 GiB in all, generated on
 * demand by the weights provider (nothing is written to disk) and streamed through the heap one
 * operator at a time.
 *
 * Layer i computes y = x . W_i + b_i with W_i filled with s_i / 4096 and b_i with c_i, so an input
 * whose values all equal t_i gives values all equal to t_{i+1} = s_i t_i + c_i. The values are
 * small integers and the weights powers of two, so float32 sums are exact in any order: the output
 * is known without a reference run, and a layer skipped, repeated or run out of order changes it.
 */
import {
  InferenceSession,
  MemoryFiles,
  Tensor,
  type WeightRef,
  type WeightsProvider,
} from '@onnxstream/core';
import { expect, it } from 'vitest';
import { createWasmBackend } from '../src/index.js';

const N = 4096;
const LAYERS = 65;
const WEIGHT_BYTES = N * N * 4;
const MiB = 2 ** 20;

/** The value of every element after `i` layers. */
const valueAfter = (i: number) => ((i * 7) % 13) - 6;
const weightScale = (i: number) => 1 + (i % 2);
const biasValue = (i: number) => valueAfter(i + 1) - weightScale(i) * valueAfter(i);

/**
 * Generates layer i's weight (`w<i>`, filled with s_i / N) or bias (`b<i>`) when the engine asks.
 * Weight buffers the engine has released are refilled for later layers: with requests at most one
 * operator ahead, two buffers serve the whole model.
 */
class GeneratingProvider implements WeightsProvider {
  readonly name = 'generating';
  /** Bytes handed to the engine. */
  servedBytes = 0;
  readonly #released: Float32Array[] = [];

  async get(ref: WeightRef): Promise<Tensor> {
    const match = /^([wb])(\d+)\.bin$/.exec(ref.name);
    if (!match) throw new Error(`unexpected weight ${ref.name}`);
    const layer = Number(match[2]);
    const data =
      match[1] === 'w'
        ? (this.#released.pop() ?? new Float32Array(N * N)).fill(weightScale(layer) / N)
        : new Float32Array(N).fill(biasValue(layer));
    this.servedBytes += data.byteLength;
    return new Tensor('float32', data, ref.dims);
  }

  release(_ref: WeightRef, tensor: Tensor): void {
    if (tensor.size === N * N) this.#released.push(tensor.data as Float32Array);
  }
}

it('streams 4.06 GiB of weights through the wasm heap, which stays near one operator', {
  timeout: 300_000,
}, async () => {
  const lines = Array.from(
    { length: LAYERS },
    (_, i) =>
      `gemm${i}:Gemm*input:${i ? `y${i - 1}` : 'x'}(1,${N});w${i}.bin(float32:${N},${N});b${i}.bin(float32:${N})*output:y${i}(1,${N})`,
  );
  const files = new MemoryFiles([['model.txt', new TextEncoder().encode(`${lines.join('\n')}\n`)]]);
  // The best build here: threads under Node.
  const backend = createWasmBackend({ threads: 2 });
  const provider = new GeneratingProvider();
  const session = await InferenceSession.create(
    { files, entry: 'model.txt' },
    { backend, weightsProvider: provider },
  );
  const t0 = performance.now();
  const x = new Tensor('float32', new Float32Array(N).fill(valueAfter(0)), [1, N]);
  const y = (await session.run({ x }))[`y${LAYERS - 1}`];
  const seconds = (performance.now() - t0) / 1000;
  const info = backend.kernels().info();

  expect(provider.servedBytes).toBeGreaterThan(LAYERS * WEIGHT_BYTES);
  expect(provider.servedBytes).toBeGreaterThan(4 * 2 ** 30);
  expect(y.dims).toEqual([1, N]);
  expect(new Set(y.data as Float32Array)).toEqual(new Set([valueAfter(LAYERS)]));
  // The heap's high-water mark: the initial 16 MiB, one layer's weight in the staging block (and
  // its GEMM panels while the engine packs it, where it does) and 16 KiB activations; nowhere near
  // the model.
  expect(info.heapBytes).toBeLessThan(16 * MiB + 2.5 * WEIGHT_BYTES);
  expect(info.bytesPeak).toBeLessThan(2.5 * WEIGHT_BYTES);
  console.log(
    `${LAYERS} x ${WEIGHT_BYTES / MiB} MiB of weights (${(provider.servedBytes / 2 ** 30).toFixed(2)} GiB) on the wasm ${info.variant} build in ${seconds.toFixed(1)} s: heap ${(info.heapBytes / MiB).toFixed(0)} MiB, staging ${(info.stagingBytes / MiB).toFixed(0)} MiB, peak blocks ${(info.bytesPeak / MiB).toFixed(0)} MiB`,
  );
  y.dispose();
  await session.release();
  await backend.dispose?.();
});
