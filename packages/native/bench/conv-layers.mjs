// YOLOv8n's convolutions (FusedConv with SiLU, prepared weights; `sd`: SD 1.5 UNet's 3x3 ones;
// `ultraface`: UltraFace RFB-320's first and widest pointwise ones, with ReLU) on the native addon
// and on wasm builds, in one process, interleaved in blocks of runs (the machine may be shared):
// best wall time (or process CPU time with `cpu`) and GMAC/s per build, and each build's time over
// the first's.
//   node bench/conv-layers.mjs [threads=1] [runs=20] [filter regexp] [sd|ultraface] [native] [wasm:<dir> ...]
//     [wasmplain:<dir> ...] [wasmrelaxed:<dir> ...] [addon.node ...] [cpu]
//   native          this package's addon (build first: npx node-gyp build && npx tsc -p tsconfig.build.json)
//   addon.node      a build of the addon (copy build/Release/onnxstream_native.node aside before
//                   rebuilding, to compare builds); `addon.node@avx2`: with that ISA forced
//   wasm:<dir>      a wasm threads build: onnxstream-threads.{cjs,wasm,worker.js} in <dir> (the wasm
//                   package's dist/wasm/node, or a copy of it kept aside to compare builds)
//   wasmplain:<dir> the plain build (onnxstream-plain.{cjs,wasm}) in <dir>, on one thread
//   wasmrelaxed:<dir> the relaxed-SIMD threads build (onnxstream-relaxed.*; sets Node 20's V8 flag)
// ACT=relu (environment) fuses ReLU instead of SiLU. Inputs live in JavaScript memory: a wasm call
// copies its input into the heap first (up to 6.5 MB here), which the model's activations do not.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { callTensorKernel, findOp } from '@onnxstream/core';
import { createKernelBackend } from '@onnxstream/core/kernel';
import { nativeBackend } from '../dist/index.js';
import { addonBackend, cpuMs, isAddonArg, loadAddon, nodeAttributes, randomTensor } from './bench-tools.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const isBuild = (a) =>
  a === 'native' || a === 'cpu' || a === 'sd' || a === 'ultraface' || a.startsWith('wasm') || isAddonArg(a);
const positional = args.filter((a) => !isBuild(a));
const threads = Number(positional[0] ?? 1);
const runs = Number(positional[1] ?? 20);
const filter = new RegExp(positional[2] ?? '.');
const useCpu = args.includes('cpu');

/** A kernel backend over one wasm build in `dir` (`threads`, `relaxed` or `plain`). */
async function wasmBackend(variant, dir) {
  const { WasmKernels } = await import('../../wasm/dist/kernels.js');
  const glue = `${dir}/onnxstream-${variant}.cjs`;
  const pool = Math.max(1, threads - 1);
  const m = await require(glue)({
    wasmBinary: readFileSync(glue.replace(/\.cjs$/, '.wasm')),
    osPoolSize: pool,
  });
  const k = new WasmKernels(m, variant, variant === 'plain' ? 1 : pool);
  if (variant !== 'plain') {
    m._os_threads();
    await k.setThreads(threads);
  }
  return createKernelBackend({ name: 'wasm', binding: () => k });
}

const builds = [];
for (const a of args.filter(isBuild).filter((x) => !['cpu', 'sd', 'ultraface'].includes(x))) {
  if (a === 'native') {
    nativeBackend.init({ threads });
    builds.push([a, nativeBackend]);
  } else if (isAddonArg(a)) {
    const [name, addon] = loadAddon(require, a);
    builds.push([name, addonBackend(addon, { threads })]);
  } else {
    const variant = a.startsWith('wasmplain:')
      ? 'plain'
      : a.startsWith('wasmrelaxed:')
        ? 'relaxed'
        : 'threads';
    if (variant === 'relaxed')
      (await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
    builds.push([a, await wasmBackend(variant, a.slice(a.indexOf(':') + 1))]);
  }
}
if (!builds.length)
  throw new Error('name at least one build: native, addon.node, wasm:<dir> or wasmplain:<dir>');

const op = findOp('com.onnxstream', 'FusedConv');
// Input C x H x H, M output channels, kernel, stride.
const yoloLayers = [
  [3, 640, 16, 3, 2],
  [16, 320, 32, 3, 2],
  [16, 160, 16, 3, 1],
  [32, 160, 32, 1, 1],
  [48, 160, 32, 1, 1],
  [32, 160, 64, 3, 2],
  [32, 80, 32, 3, 1],
  [64, 80, 64, 1, 1],
  [128, 80, 64, 1, 1],
  [64, 80, 128, 3, 2],
  [64, 40, 64, 3, 1],
  [128, 40, 128, 1, 1],
  [256, 40, 128, 1, 1],
  [128, 40, 256, 3, 2],
  [256, 20, 256, 1, 1],
  [384, 20, 256, 1, 1],
  [128, 20, 128, 3, 1],
  [512, 20, 256, 1, 1],
];
// UltraFace RFB-320 (240 x 320 input, ReLU): its first convolution, pointwise ones and its
// depthwise ones at 120 x 160 and at the narrow planes, at both strides (a sixth entry: the group
// count).
const ultrafaceLayers = [
  [3, [240, 320], 16, 3, 2],
  [16, [120, 160], 16, 3, 1, 16],
  [16, [120, 160], 32, 1, 1],
  [32, [120, 160], 32, 3, 2, 32],
  [32, [60, 80], 32, 1, 1],
  [64, [30, 40], 64, 1, 1],
  [128, [15, 20], 128, 1, 1],
  [256, [8, 10], 256, 1, 1],
  [64, [30, 40], 64, 3, 1, 64],
  [128, [15, 20], 128, 3, 1, 128],
  [256, [8, 10], 256, 3, 1, 256],
  [32, [60, 80], 32, 3, 2, 32],
  [64, [30, 40], 64, 3, 2, 64],
  [128, [15, 20], 128, 3, 2, 128],
];
// SD 1.5's UNet at a 64 x 64 latent: resnet convolutions per level (deep K: 2880 to 23040).
const sdLayers = [
  [320, 64, 320, 3, 1],
  [960, 64, 320, 3, 1],
  [640, 32, 640, 3, 1],
  [1280, 16, 1280, 3, 1],
  [2560, 8, 1280, 3, 1],
];
const layers = args.includes('sd') ? sdLayers : args.includes('ultraface') ? ultrafaceLayers : yoloLayers;
for (const [c, size, m, kk, s, group = 1] of layers) {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const name = `${c}x${h}x${w}->${m} k${kk}s${s}${group > 1 ? ` g${group}` : ''}`;
  if (!filter.test(name)) continue;
  const p = (kk - 1) >> 1;
  const attrs = {
    pads: [p, p, p, p],
    strides: [s, s],
    group,
    activation: process.env.ACT ?? (args.includes('ultraface') ? 'relu' : 'silu'),
  };
  const node = {
    name: 'FusedConv',
    opType: 'FusedConv',
    domain: 'com.onnxstream',
    inputs: ['x', 'w', 'b'],
    outputs: ['y'],
    attributes: nodeAttributes(attrs),
  };
  const x = randomTensor([1, c, h, w]);
  const wt = randomTensor([m, c / group, kk, kk]);
  const b = randomTensor([m]);
  const oh = Math.floor((h + 2 * p - kk) / s) + 1;
  const ow = Math.floor((w + 2 * p - kk) / s) + 1;
  const fns = builds.map(([, backend]) => {
    const packed = backend.prepareWeight(node, 1, wt) ?? wt;
    return async () => {
      const [y] = await callTensorKernel(op, [x, packed, b], attrs, { backend });
      y.dispose();
    };
  });
  const best = fns.map(() => Infinity);
  const rounds = 4;
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      await fn();
      for (let j = 0; j < Math.ceil(runs / rounds); j++) {
        const c0 = cpuMs();
        const t0 = performance.now();
        await fn();
        best[i] = Math.min(best[i], useCpu ? cpuMs() - c0 : performance.now() - t0);
      }
    }
  }
  const macs = (m * c * kk * kk * oh * ow) / group;
  const cells = best.map(
    (ms) => `${ms.toFixed(3).padStart(8)} ms ${(macs / ms / 1e6).toFixed(1).padStart(5)} GMAC/s`,
  );
  const ratios =
    best.length > 1
      ? `  x first: ${best
          .slice(1)
          .map((ms) => (ms / best[0]).toFixed(2))
          .join(' ')}`
      : '';
  console.log(`${name.padEnd(22)} ${cells.join(' | ')}${ratios}`);
}
console.log(
  `builds: ${builds.map(([label]) => label).join(' | ')}; threads ${threads}, best of ${runs} ${useCpu ? 'CPU' : 'wall'} times`,
);
// The wasm pools' workers would keep the process alive.
process.exit(0);
