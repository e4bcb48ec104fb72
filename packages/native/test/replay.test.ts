import '../src/register.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor, type WeightsProvider } from '@onnxstream/core';
import { createKernelBackend, type KernelBinding, UnaryOp } from '@onnxstream/core/kernel';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { closeness, HoldingProvider, readFloat32, testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { addonKernels, prepareProgram } from '../src/backend.js';
import { binding } from '../src/binding.js';
import { BufferPool } from '../src/memory.js';
import { random, tensor } from './helpers.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const ultraface = testdata('models', 'ultraface-rfb-320', 'version-RFB-320.onnx');
const image = (seed: number) => tensor([1, 3, 240, 320], seed, -1, 1);
const bits = (t: Tensor) => Array.from(t.data as Float32Array);

async function sessions(
  model: string | Uint8Array,
  provider: () => WeightsProvider = () => new HoldingProvider(),
) {
  const replayed = await InferenceSession.create(model, { backend: 'native', weightsProvider: provider() });
  const executed = await InferenceSession.create(model, {
    backend: 'native',
    weightsProvider: provider(),
    replay: false,
  });
  return { replayed, executed };
}

describe('replayed runs', () => {
  it('UltraFace: recorded once, then replayed with the executor’s bits for each new input', async () => {
    const { replayed, executed } = await sessions(ultraface);
    const first = await replayed.run({ input: image(1) });
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
    const peak = replayed.lastRunStats!.peakTensorBytes;
    const kept = { scores: bits(first.scores), boxes: bits(first.boxes) };
    for (const seed of [2, 3, 1]) {
      const got = await replayed.run({ input: image(seed) });
      const stats = replayed.lastRunStats!;
      // Activations in one arena no larger than the recorded run's peak of live tensors.
      expect(stats.replayed!.arenaBytes).toBeGreaterThan(0);
      expect(stats.replayed!.arenaBytes).toBeLessThanOrEqual(peak);
      const want = await executed.run({ input: image(seed) });
      expect(executed.lastRunStats!.replayed).toBeUndefined();
      expect(bits(got.scores)).toEqual(bits(want.scores));
      expect(bits(got.boxes)).toEqual(bits(want.boxes));
      expect(got.scores).not.toBe(first.scores);
    }
    // Outputs of earlier runs are the caller's: later runs write elsewhere.
    expect(bits(first.scores)).toEqual(kept.scores);
    expect(bits(first.boxes)).toEqual(kept.boxes);
  });

  it('YOLOv8n: the replay has the executor’s bits and OnnxStream’s output', async () => {
    const { replayed, executed } = await sessions(testdata('yolov8n-onnxstream'));
    const reference = (name: string) => readFloat32(testdata('yolov8n-onnxstream-reference', name));
    const images = new Tensor('float32', await reference('synthetic_input_images.f32'), [1, 3, 640, 640]);
    const expected = await reference('synthetic_output0_onnxstream_fp32.f32');
    await replayed.run({ images });
    const { output0 } = await replayed.run({ images });
    // Packed in the smaller of two orders (9.4 MiB live at most at once; largest first alone: 11.1).
    expect(replayed.lastRunStats!.replayed!.arenaBytes / 2 ** 20).toBeLessThanOrEqual(10);
    expect(closeness(output0.data as Float32Array, expected, 1e-3, 1e-4)).toBeUndefined();
    expect(bits(output0)).toEqual(bits((await executed.run({ images })).output0));
  });

  it('stops replaying when the provider no longer hands out the recorded weights', async () => {
    const provider = new HoldingProvider();
    const { replayed, executed } = await sessions(ultraface, () => provider);
    await replayed.run({ input: image(4) });
    await replayed.run({ input: image(4) });
    expect(replayed.lastRunStats!.replayed).toBeDefined();
    // The kept weights dropped: the next run reads and packs them again through the executor.
    provider.kept.clear();
    for (let run = 0; run < 2; run++) {
      const got = await replayed.run({ input: image(5) });
      expect(replayed.lastRunStats!.replayed).toBeUndefined();
      expect(bits(got.scores)).toEqual(bits((await executed.run({ input: image(5) })).scores));
    }
  });

  it('checks the recorded weights through get() where the provider has no held()', async () => {
    const holding = new HoldingProvider();
    // The same provider without held(): every replay asks for each weight as a run would.
    const asking: WeightsProvider = {
      name: 'asking',
      init: (files) => holding.init(files),
      get: (ref) => holding.get(ref),
      update: (ref, t) => holding.update(ref, t),
    };
    const { replayed, executed } = await sessions(ultraface, () => asking);
    await replayed.run({ input: image(7) });
    const got = await replayed.run({ input: image(7) });
    expect(replayed.lastRunStats!.replayed).toBeDefined();
    expect(bits(got.scores)).toEqual(bits((await executed.run({ input: image(7) })).scores));
    holding.kept.clear();
    await replayed.run({ input: image(7) });
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
  });

  it('runs through the executor when the binding refuses the recorded calls', async () => {
    const addon = binding();
    const kernels: KernelBinding = {
      ...addonKernels(addon, new BufferPool(addon)),
      prepareProgram: () => {
        throw new RangeError('prepareProgram: bad base');
      },
    };
    const backend = createKernelBackend({ name: 'refusing', binding: () => kernels });
    const refusing = await InferenceSession.create(ultraface, {
      backend,
      weightsProvider: new HoldingProvider(),
    });
    const { executed } = await sessions(ultraface);
    for (let run = 0; run < 3; run++) {
      const got = await refusing.run({ input: image(8) });
      expect(refusing.lastRunStats!.replayed).toBeUndefined();
      expect(bits(got.scores)).toEqual(bits((await executed.run({ input: image(8) })).scores));
    }
  });

  it('never replays a profiled run or one with progress, and stops at an aborted signal', async () => {
    const { replayed } = await sessions(ultraface);
    await replayed.run({ input: image(6) });
    await replayed.run({ input: image(6) }, { profile: true });
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
    expect(replayed.lastRunStats!.nodeTimes!.length).toBeGreaterThan(0);
    const steps: number[] = [];
    await replayed.run({ input: image(6) }, { onProgress: (e) => steps.push(e.step) });
    expect(replayed.lastRunStats!.replayed).toBeUndefined();
    expect(steps.length).toBe(replayed.lastRunStats!.steps);
    const controller = new AbortController();
    controller.abort();
    await expect(replayed.run({ input: image(6) }, { signal: controller.signal })).rejects.toThrow(/abort/i);
    await replayed.run({ input: image(6) });
    expect(replayed.lastRunStats!.replayed).toBeDefined();
  });

  it('is not recorded where weights are read every run or an operator computes in JavaScript', async () => {
    // The default provider reads each weight from the files when needed (keeps none).
    const plain = await InferenceSession.create(ultraface, { backend: 'native' });
    await plain.run({ input: image(7) });
    await plain.run({ input: image(7) });
    expect(plain.lastRunStats!.replayed).toBeUndefined();
    // CumSum runs on the reference backend (JavaScript) between two native kernels.
    const N = 64;
    const { model } = encodeOnnxModel({
      inputs: [{ name: 'x', type: 'float32', dims: [1, N] }],
      outputs: [{ name: 'y', type: 'float32' }],
      initializers: {
        axis: new Tensor('int64', BigInt64Array.of(1n), []),
        w: new Tensor('float32', random(N, 8), [1, N]),
      },
      nodes: [
        { op: 'Sigmoid', name: 's', inputs: ['x'], outputs: ['s'] },
        { op: 'CumSum', name: 'c', inputs: ['s', 'axis'], outputs: ['c'] },
        { op: 'Mul', name: 'm', inputs: ['c', 'w'], outputs: ['y'] },
      ],
    });
    const { replayed } = await sessions(model);
    const reference = await InferenceSession.create(model, { backend: 'reference' });
    for (const seed of [9, 10]) {
      const x = tensor([1, N], seed);
      const got = await replayed.run({ x });
      expect(replayed.lastRunStats!.replayed).toBeUndefined();
      const want = await reference.run({ x });
      expect(closeness(got.y.data as Float32Array, want.y.data as Float32Array, 1e-6, 1e-6)).toBeUndefined();
    }
  });
});

describe('prepareProgram (the native replay of recorded calls)', () => {
  const addon = binding();
  const unary = addon.info().kernels.indexOf('unary_f32');
  const n = 1000;
  const x = random(n, 12);
  const open = (...bytes: number[]) => Float64Array.from(bytes);
  // Per call: kernel, buffer count, parameter count, first parameter; per buffer: base, offset, bytes.
  const call = (from: [number, number], to: [number, number], kernel = unary, bytes = 4 * n) =>
    [kernel, 2, 4, 0, from[0], from[1], 4 * n, to[0], to[1], bytes] as const;
  const params = Float64Array.of(0, 0, 0, n);

  it('runs the calls in order off the JavaScript thread over each run’s open bases, as runSync would', async () => {
    // Base 0 (open): an arena; base 1 (fixed): x. y = f(x) into bytes [0, 4n), then f(y) into [4n, 8n).
    const code = Float64Array.of(...call([1, 0], [0, 0]), ...call([0, 0], [0, 4 * n]));
    const program = addon.prepareProgram([x], open(8 * n), code, params);
    const once = new Float32Array(n);
    const twice = new Float32Array(n);
    addon.runSync(unary, [x, once], params);
    addon.runSync(unary, [once, twice], params);
    for (const arena of [new Float32Array(2 * n), new Float32Array(2 * n)]) {
      await addon.runPrepared(program, [arena]);
      expect(Array.from(arena.subarray(0, n))).toEqual(Array.from(once));
      expect(Array.from(arena.subarray(n))).toEqual(Array.from(twice));
    }
  });

  it('checks every index and range once, and each run’s bases; rejects with a kernel’s own error', async () => {
    const y = new Float32Array(n);
    // Base 0 (open): y, 4n bytes; base 1 (fixed): x.
    const prepare = (code: Float64Array, p = params) => addon.prepareProgram([x], open(4 * n), code, p);
    const copy = (base: number, offset: number, bytes: number, kernel = unary) =>
      Float64Array.of(kernel, 2, 4, 0, 1, 0, 4 * n, base, offset, bytes);
    expect(() => prepare(copy(2, 0, 4 * n))).toThrow(/bad base/);
    expect(() => prepare(copy(0, 4, 4 * n))).toThrow(/bad byte offset/);
    expect(() => prepare(copy(0, 0, 4 * n + 4))).toThrow(/bad byte count/);
    expect(() => prepare(copy(0, 0, 4 * n, 9999))).toThrow(/kernel id/);
    expect(() => prepare(copy(0, 0, 4 * n).subarray(0, 8))).toThrow(/truncated/);
    expect(() => prepare(copy(0, 0, 4 * n), params.subarray(0, 2))).toThrow(/parameter/);
    const program = prepare(copy(0, 0, 4 * n));
    expect(() => addon.runPrepared({} as never, [y])).toThrow(/bad arguments/);
    expect(() => addon.runPrepared(program, [])).toThrow(/0 bases given, the program has 1/);
    expect(() => addon.runPrepared(program, [new Float32Array(n + 1)])).toThrow(
      /base 0 has 4004 bytes, the program was prepared for 4000/,
    );
    // Within the bases, but shorter than the kernel needs: the kernel's own check.
    await expect(addon.runPrepared(prepare(copy(0, 0, 40)), [y])).rejects.toThrow(
      /unary_f32: buffer 1 holds 40 bytes/,
    );
  });

  /** A script that prepares y = -x over n values (x of 2s) in whatever loads it, as `addon`, `run()`. */
  const negate = (n: number) => `
    const addon = require(${JSON.stringify(createRequire(import.meta.url).resolve('node-gyp-build'))})(${JSON.stringify(packageDir)});
    const unary = addon.info().kernels.indexOf('unary_f32');
    const x = new Float32Array(${n}).fill(2);
    const y = new Float32Array(${n});
    const program = addon.prepareProgram([x], Float64Array.of(${4 * n}), Float64Array.of(
      unary, 2, 4, 0, 1, 0, ${4 * n}, 0, 0, ${4 * n}), Float64Array.of(${UnaryOp.neg}, 0, 0, ${n}));
    const run = () => addon.runPrepared(program, [y]).then(() => y[${n - 1}]);
  `;

  it('lets the process exit once its runs are done (the event loop is held only while one is pending)', () => {
    const child = spawnSync(process.execPath, ['-e', `${negate(1000)} run().then((v) => console.log(v));`], {
      encoding: 'utf8',
      timeout: 30000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('-2');
  });

  it('runs in worker threads, and a worker ended during its runs takes nothing down with it', async () => {
    const n = 1 << 20;
    const worker = new Worker(
      `${negate(n)}
      const { parentPort } = require('node:worker_threads');
      (async () => {
        parentPort.postMessage(await run());
        for (;;) await run();
      })();`,
      { eval: true },
    );
    expect(await new Promise((resolve) => worker.once('message', resolve))).toBe(-2);
    // Runs of the worker's are queued or running now.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await worker.terminate();
    const y = new Float32Array(n);
    const program = addon.prepareProgram(
      [x.subarray(0, 1000)],
      open(4 * n),
      Float64Array.of(unary, 2, 4, 0, 1, 0, 4000, 0, 0, 4000),
      Float64Array.of(UnaryOp.neg, 0, 0, 1000),
    );
    await addon.runPrepared(program, [y]);
    expect(y[999]).toBe(-x[999]);
  });

  it('refuses to run once a fixed view has been detached', async () => {
    const weight = new Float32Array(n);
    const program = prepareProgram(addon)(
      [weight],
      [4 * n],
      Float64Array.of(...call([1, 0], [0, 0])),
      params,
    );
    await program.run([new Float32Array(n)]);
    structuredClone(weight.buffer, { transfer: [weight.buffer] });
    await expect(program.run([new Float32Array(n)])).rejects.toThrow(/fixed base 0 was freed or detached/);
  });
});
