// GEMM and convolution micro-benchmark: native kernels (prepared weights) against onnxruntime-node
// on the same shapes, interleaved, best of N runs (the machine may be shared).
//   node bench/gemm.mjs [threads=2] [runs=10] [filter regexp] [reuse] [sync] [ours|ort] [addon.node ...]
// Build first: npx node-gyp build && npx tsc -p tsconfig.build.json.
// `reuse` recycles output buffers by size (as an arena would) instead of mapping fresh memory per
// call: on VMs where first-touch page faults are slow this separates kernel time from them. `sync`
// runs every kernel on the JavaScript thread (no worker-thread hop per operator). `ours` or `ort`
// measures one engine only: onnxruntime's idle threads can take a core from ours in one process.
// Each `*.node` argument is a build of the addon to measure (copy build/Release/onnxstream_native.node
// aside before rebuilding to compare builds in one process, interleaved); by default, this package's.
import { createRequire } from 'node:module';
import { callTensorKernel, findOp, Tensor } from '@onnxstream/core';
import { encodeOnnxModel } from '@onnxstream/core/onnx';
import { binding } from '../dist/binding.js';
import { nativeBackend } from '../dist/index.js';
import { addonBackend, cpuMs, nodeAttributes, randomTensor } from './bench-tools.mjs';

const numbers = process.argv.slice(2).filter((a) => !a.endsWith('.node'));
const threads = Number(numbers[0] ?? 2);
const runs = Number(numbers[1] ?? 10);
const filter = new RegExp(numbers[2] ?? '.');
const ort = createRequire(new URL('../../core/package.json', import.meta.url))('onnxruntime-node');
const addonPaths = process.argv.slice(2).filter((a) => a.endsWith('.node'));

/** Applies `sync` and `reuse` to one addon. */
function adapt(native) {
  if (process.argv.includes('sync')) {
    // Every kernel on the calling thread: no hop to a libuv worker and back per operator.
    native.run = (id, buffers, params) => Promise.resolve(native.runSync(id, buffers, params));
  }
  if (process.argv.includes('reuse')) {
    const alloc = native.alloc.bind(native);
    const free = new Map();
    native.alloc = (bytes) => free.get(bytes)?.pop() ?? alloc(bytes);
    native.free = (buffer) => {
      if (!free.has(buffer.byteLength)) free.set(buffer.byteLength, []);
      free.get(buffer.byteLength).push(buffer);
    };
  }
  return native;
}

/** A kernel backend over one build of the addon (every call off the JavaScript thread). */
const backendOf = (native) => addonBackend(native, { plain: true, threads });

// [label, backend] per build measured.
if (!addonPaths.length) adapt(binding());
const builds = addonPaths.length
  ? addonPaths.map((p) => [p.split('/').pop(), backendOf(adapt(createRequire(import.meta.url)(p)))])
  : [['ours', nativeBackend]];
nativeBackend.init({ threads });

/**
 * Best wall and process CPU times of each of `fns` (ours per build, then onnxruntime), in
 * alternating blocks of runs so that load from elsewhere hits all alike (not run by run:
 * onnxruntime's threads keep spinning for a while after a run and would take a core from ours).
 * With one thread, CPU time is the figure load does not distort; for runs under a few ms it misses
 * time of threads still running.
 */
async function race(fns) {
  // `ours` / `ort` on the command line measures one engine only (the other's figures stay Infinity).
  const skip = async () => {};
  const last = fns.length - 1;
  const chosen = fns.map((fn, k) =>
    (k === last ? process.argv.includes('ours') : process.argv.includes('ort')) ? skip : fn,
  );
  const best = fns.map(() => Infinity);
  const cpu = fns.map(() => Infinity);
  const rounds = Math.max(2, Math.ceil(runs / 5));
  for (let round = 0; round < rounds; round++) {
    for (const [k, fn] of chosen.entries()) {
      await fn();
      for (let i = 0; i < Math.ceil(runs / rounds); i++) {
        const c0 = cpuMs();
        const t0 = performance.now();
        await fn();
        best[k] = Math.min(best[k], performance.now() - t0);
        cpu[k] = Math.min(cpu[k], cpuMs() - c0);
      }
    }
  }
  return [best, cpu];
}

const node = (opType, domain, attrs) => ({
  name: opType,
  opType,
  domain,
  inputs: ['x', 'w', 'b'],
  outputs: ['y'],
  attributes: nodeAttributes(attrs),
});

async function ortSession(spec, feeds) {
  const { model } = encodeOnnxModel(spec);
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const f = Object.fromEntries(
    Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.dims)]),
  );
  return () => s.run(f);
}

const rows = [];
for (const [m, k, n] of [
  [1024, 1024, 1024],
  [4096, 320, 320],
  [4096, 320, 1280],
]) {
  const name = `MatMul ${m}x${k}x${n}`;
  if (!filter.test(name)) continue;
  const a = randomTensor([m, k]);
  const b = randomTensor([k, n]);
  const op = findOp('', 'MatMul');
  const [best, cpu] = await race([
    ...builds.map(([, backend]) => {
      const packed = backend.prepareWeight(node('MatMul', '', {}), 1, b);
      return async () => {
        const [y] = await callTensorKernel(op, [a, packed], {}, { backend });
        y.dispose();
      };
    }),
    await ortSession(
      {
        inputs: [{ name: 'a', type: 'float32', dims: [m, k] }],
        outputs: [{ name: 'y', type: 'float32', dims: [m, n] }],
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
        initializers: { b },
      },
      { a },
    ),
  ]);
  rows.push([name, 2 * m * k * n, best, cpu]);
}

/** A FusedConv (input C x H x W, M output channels, square kernel, stride, groups) against onnxruntime. */
async function convCase(c, h, w, m, kk, s, group, activation) {
  const name = `FusedConv ${c}x${h}x${w} -> ${m} k${kk} s${s}${group > 1 ? ` g${group}` : ''} ${activation}`;
  if (!filter.test(name)) return;
  const p = (kk - 1) >> 1;
  const attrs = { pads: [p, p, p, p], strides: [s, s], group, activation };
  const x = randomTensor([1, c, h, w]);
  const wt = randomTensor([m, c / group, kk, kk]);
  const b = randomTensor([m]);
  const op = findOp('com.onnxstream', 'FusedConv');
  const oh = Math.floor((h + 2 * p - kk) / s) + 1;
  const ow = Math.floor((w + 2 * p - kk) / s) + 1;
  // onnxruntime: Conv, then the activation (SiLU as x * Sigmoid(x)).
  const tail =
    activation === 'silu'
      ? [
          { op: 'Sigmoid', inputs: ['c'], outputs: ['g'] },
          { op: 'Mul', inputs: ['c', 'g'], outputs: ['y'] },
        ]
      : [{ op: 'Relu', inputs: ['c'], outputs: ['y'] }];
  const [best, cpu] = await race([
    ...builds.map(([, backend]) => {
      // Depthwise weights are used as they are (nothing prepared).
      const packed = backend.prepareWeight(node('FusedConv', 'com.onnxstream', attrs), 1, wt) ?? wt;
      return async () => {
        const [y] = await callTensorKernel(op, [x, packed, b], attrs, { backend });
        y.dispose();
      };
    }),
    await ortSession(
      {
        inputs: [{ name: 'x', type: 'float32', dims: [1, c, h, w] }],
        outputs: [{ name: 'y', type: 'float32', dims: [1, m, oh, ow] }],
        nodes: [
          {
            op: 'Conv',
            inputs: ['x', 'w', 'b'],
            outputs: ['c'],
            attrs: { pads: { ints: attrs.pads }, strides: { ints: [s, s] }, group: { i: group } },
          },
          ...tail,
        ],
        initializers: { w: wt, b },
      },
      { x },
    ),
  ]);
  rows.push([name, 2 * m * (c / group) * kk * kk * oh * ow, best, cpu]);
}

// YOLOv8n's convolutions (input C x H x W, M output channels, kernel, stride), fused with SiLU.
for (const [c, h, m, kk, s] of [
  [3, 640, 16, 3, 2],
  [16, 320, 32, 3, 2],
  [16, 160, 16, 3, 1],
  [32, 160, 32, 1, 1],
  [32, 160, 64, 3, 2],
  [32, 80, 32, 3, 1],
  [64, 80, 80, 3, 1],
  [80, 80, 80, 3, 1],
  [192, 80, 64, 1, 1],
  [64, 40, 64, 3, 1],
  [384, 40, 128, 1, 1],
  [128, 20, 128, 3, 1],
  [384, 20, 256, 1, 1],
]) {
  await convCase(c, h, h, m, kk, s, 1, 'silu');
}

// UltraFace RFB-320's slowest convolutions (C x H x W, M, kernel, stride, groups), fused with ReLU:
// few channels at large sizes, pointwise and depthwise; then a 3x3 of its branches and a head's
// (Winograd over two tiles).
for (const [c, h, w, m, kk, s, group] of [
  [3, 240, 320, 16, 3, 2, 1],
  [16, 120, 160, 16, 3, 1, 16],
  [16, 120, 160, 32, 1, 1, 1],
  [32, 120, 160, 32, 3, 2, 32],
  [32, 60, 80, 32, 1, 1, 1],
  [32, 60, 80, 32, 3, 1, 32],
  [64, 30, 40, 64, 3, 1, 64],
  [256, 4, 5, 12, 3, 1, 1],
  [16, 30, 40, 16, 3, 1, 1],
]) {
  await convCase(c, h, w, m, kk, s, group, 'relu');
}

// The whole of YOLOv8n: our model folder (RAM-kept packed weights) against onnxruntime on its .onnx.
if (filter.test('YOLOv8n')) {
  await import('../dist/register.js');
  const { InferenceSession } = await import('@onnxstream/core');
  const { keeping } = await import('./keeping-provider.mjs');
  const { testdata, readFloat32 } = await import('@onnxstream/core/testing');
  const images = new Tensor(
    'float32',
    await readFloat32(testdata('yolov8n-onnxstream-reference', 'synthetic_input_images.f32')),
    [1, 3, 640, 640],
  );
  const sessions = [];
  for (const [, backend] of builds) {
    sessions.push(
      await InferenceSession.create(testdata('yolov8n-onnxstream'), {
        backend,
        threads,
        weightsProvider: keeping(),
      }),
    );
  }
  const s = await ort.InferenceSession.create(testdata('yolov8n-onnx', 'yolov8n.onnx'), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = { images: new ort.Tensor('float32', images.data, images.dims) };
  const [best, cpu] = await race([
    ...sessions.map((session) => async () => {
      const { output0 } = await session.run({ images });
      output0.dispose();
    }),
    () => s.run(feeds),
  ]);
  rows.push(['YOLOv8n 640x640 (whole model)', 8.7e9, best, cpu]);
  await sessions[0].run({ images }, { profile: true });
  for (const t of [...sessions[0].lastRunStats.opTimes].sort((a, b) => b.ms - a.ms).slice(0, 8)) {
    console.log(`  ${t.opType.padEnd(12)} ${t.ms.toFixed(2).padStart(8)} ms x${t.count}`);
  }
}

console.log(
  `threads ${threads}, best of ${runs}: wall ms, GFLOP/s, CPU ms; ${builds.map(([label]) => label).join(' | ')} | onnxruntime-node`,
);
const cell = (flops, ms, cpu) =>
  `${ms.toFixed(3).padStart(8)} ${(flops / ms / 1e6).toFixed(1).padStart(7)} ${cpu.toFixed(2).padStart(8)}`;
for (const [name, flops, best, cpu] of rows) {
  console.log(`${name.padEnd(40)} ${best.map((ms, k) => cell(flops, ms, cpu[k])).join('  | ')}`);
}
