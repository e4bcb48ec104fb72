/**
 * The wasm heap: tensors survive its growth (views are rebuilt over the new buffer), the engine
 * frees them by storage rather than by the heap's one ArrayBuffer, and streamed weights pass
 * through one staging block, so the heap's high-water mark follows the largest operator, not the
 * model's size. All of its 4 GiB is usable, and a kernel that finds it exhausted fails with an
 * error while the module stays usable.
 */
import { InferenceSession, MemoryFiles, Tensor } from '@onnxstream/core';
import { closeness } from '@onnxstream/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend, loadWasm, type WasmKernels } from '../src/index.js';
import { both, random } from './helpers.js';

const MiB = 2 ** 20;
const loaded: WasmKernels[] = [];
afterAll(() => {
  for (const k of loaded) k.terminate();
});

describe.each(['simd', 'threads'] as const)('the wasm heap (%s build)', (variant) => {
  it('keeps tensors valid across heap growth, for JavaScript and for kernels', async () => {
    const k = await loadWasm({ variant, threads: 2 });
    loaded.push(k);
    const a = k.allocTensor('float32', [1000]);
    (a.data as Float32Array).set(random(1000, 1));
    const view = a.data as Float32Array;
    const heap = k.info().heapBytes;
    // 64 MiB more than the heap has: it must grow.
    const big = k.allocTensor('float32', [(heap + 64 * MiB) / 4]);
    expect(k.info().heapBytes).toBeGreaterThan(heap);
    // Without threads the old buffer is detached and the old view reads as empty; the tensor
    // rebuilds its view. Shared memory never detaches.
    expect(view.length).toBe(variant === 'threads' ? 1000 : 0);
    expect(Array.from((a.data as Float32Array).subarray(0, 5))).toEqual(
      Array.from(random(1000, 1).subarray(0, 5)),
    );
    // A reshaped view shares the block (and its relocation).
    const r = a.reshape([10, 100]);
    expect(r.memoryKey).toBe(a.memoryKey);
    expect(big.memoryKey).not.toBe(a.memoryKey);
    // Kernels take the stale view too: blocks are found by the view, not read through it.
    const y = k.allocTensor('float32', [1000]);
    const relu = k.kernelNames().indexOf('unary_f32');
    k.runSync(relu, [view, y.data as Float32Array], Float64Array.from([0, 0, 0, 1000]));
    const want = random(1000, 1).map((v) => Math.max(v, 0));
    expect(closeness(y.data as Float32Array, want, 0, 0)).toBeUndefined();
    const inUse = k.info().bytesInUse;
    big.dispose();
    expect(k.info().bytesInUse).toBe(inUse - big.byteLength);
    // Disposing a reshaped view frees the block the tensor shares.
    r.dispose();
    expect(k.info().bytesInUse).toBe(inUse - big.byteLength - a.byteLength);
    expect(() => k.runSync(relu, [view, y.data as Float32Array], Float64Array.from([0, 0, 0, 1000]))).toThrow(
      /used after it was freed/,
    );
    y.dispose();
  });

  it('streams weights through one staging block: heap high-water near the largest operator, not the model', async () => {
    // Eight MatMul layers with 8 MiB weights each (64 MiB of weights), tiny activations.
    const layers = 8;
    const [n, h] = [1024, 2048];
    const lines: string[] = [];
    const files: [string, Uint8Array][] = [];
    for (let i = 0; i < layers; i++) {
      const [rows, cols] = i % 2 === 0 ? [n, h] : [h, n];
      lines.push(
        `mm${i}:MatMul*input:${i ? `y${i - 1}` : 'x'}(1,${rows});w${i}.bin(float32:${rows},${cols})*output:y${i}(1,${cols})`,
      );
      const w = random(rows * cols, i + 1, -0.03, 0.03);
      files.push([`w${i}.bin`, new Uint8Array(w.buffer)]);
    }
    files.push(['model.txt', new TextEncoder().encode(`${lines.join('\n')}\n`)]);
    const model = () => ({ files: new MemoryFiles(files), entry: 'model.txt' });
    const backend = createWasmBackend({ variant, threads: 2 });
    const session = await InferenceSession.create(model(), { backend });
    const reference = await InferenceSession.create(model(), { backend: 'reference' });
    const x = new Tensor('float32', random(n, 99, -1, 1), [1, n]);
    const want = (await reference.run({ x }))[`y${layers - 1}`].data as Float32Array;
    for (let run = 0; run < 2; run++) {
      const got = (await session.run({ x }))[`y${layers - 1}`];
      expect(closeness(got.data as Float32Array, want, 1e-3, 1e-5), `run ${run}`).toBeUndefined();
      got.dispose();
    }
    const info = backend.kernels().info();
    const weight = n * h * 4;
    // One weight staged (8 MiB) plus its packed form while it is made (8 MiB) on top of the
    // initial 16 MiB heap: nowhere near the 64 MiB of weights.
    expect(info.stagingBytes).toBeLessThan(1.3 * weight);
    expect(info.heapBytes).toBeLessThan(16 * MiB + 2.5 * weight);
    expect(info.heapBytes).toBeLessThan((layers * weight) / 2);
    expect(info.bytesInUse).toBe(info.stagingBytes);
    await session.release();
    await reference.release();
    await backend.dispose?.();
  });

  it('uses the whole 4 GiB heap, and reports a kernel that runs out of it as an error naming it', async () => {
    const backend = createWasmBackend({ variant, threads: 2 });
    await backend.init?.({});
    const k = backend.kernels();
    // Inputs in the heap, and a staging block (for the kernel's arguments) made now, so that the
    // call below needs no heap memory besides its output and what the kernel allocates itself.
    const tensorInHeap = (dims: number[], seed: number) => {
      const t = k.allocTensor('float32', dims);
      (t.data as Float32Array).set(random(t.size, seed, -1, 1));
      return t;
    };
    const a = tensorInHeap([64, 8192], 1);
    const w = tensorInHeap([8192, 64], 2);
    const relu = k.kernelNames().indexOf('unary_f32');
    const x = random(4096, 3);
    k.runSync(relu, [x, new Float32Array(4096)], Float64Array.from([0, 0, 0, 4096]));
    // Fill the heap up to its 4 GiB limit.
    const output = k.allocTensor('float32', [64, 64]);
    const fillers: Tensor[] = [];
    for (let bytes = 256 * MiB; bytes >= 64; ) {
      try {
        fillers.push(k.allocTensor('uint8', [bytes]));
      } catch {
        bytes /= 2;
      }
    }
    expect(k.info().heapBytes).toBeGreaterThan(4 * 2 ** 30 - 64 * MiB);
    // Blocks above 2 GiB (pointers the module returns as negative 32-bit integers) work for kernels.
    const high = fillers.filter((f) => f.size >= 4 * x.length).at(-1)!.data as Uint8Array;
    const highView = new Float32Array(high.buffer, high.byteOffset, x.length);
    expect(highView.byteOffset).toBeGreaterThan(2 ** 31);
    k.runSync(relu, [x, highView], Float64Array.from([0, 0, 0, 4096]));
    const relued = x.map((v) => Math.max(v, 0));
    expect(closeness(highView, relued, 0, 0)).toBeUndefined();
    // Room for the output (16 KiB) and the kernel's bookkeeping (64 KiB in all), not for its packing
    // buffers (the A panels of a task's rows for a K chunk: 64 x 512 floats, 128 KiB): it runs out
    // of memory in the pool's tasks (threads build).
    output.dispose();
    const [room] = fillers.filter((f) => f.size >= 64 * 1024).sort((p, q) => p.size - q.size);
    room.dispose();
    await expect(both(backend, 'MatMul', [a, w])).rejects.toThrow(/^matmul_f32: out of memory/);
    for (const f of fillers) f.dispose();
    const { got, want } = await both(backend, 'MatMul', [a, w]);
    expect(closeness(got[0].data as Float32Array, want[0].data as Float32Array, 1e-4, 1e-3)).toBeUndefined();
    await backend.dispose?.();
  });
});
