// Whole-model timing of native addon builds (and wasm threads builds) in one process, interleaved
// in blocks of runs (the machine may be shared): best, 10th percentile and median wall time, median
// process CPU time and page faults per run, with onnxruntime-node alongside if asked.
//   node bench/model.mjs [model=ultraface] [runs=200] [threads=2] [addon.node ...] [wasm[:dir] ...]
//     [wasmrelaxed[:dir] ...]
//     [spins=W/C,...] [dispatch] [plain] [sync] [reuse] [ort] [profile] [nodes] [noop] [trace] [gaps]
//     [ortnodes] [noplace] [noreplay]
// model: `ultraface` (UltraFace RFB-320, 1x3x240x320), `yolo` (YOLOv8n folder, 1x3x640x640), or a
// path to an .onnx file or model folder with one float32 input, its dims given as `dims=1,3,H,W`.
// Weights are kept in memory in their prepared form (like the RAM provider).
//   addon.node   a build of the addon (copy build/Release/onnxstream_native.node aside before
//                rebuilding, to compare); without any (and without wasm), this package's build;
//                `addon.node@avx2`: with that ISA forced (copies of one build compare ISAs)
//   wasm[:dir]   a wasm threads build: onnxstream-threads.{cjs,wasm,worker.js} in dir (default: the
//                wasm package's dist/wasm/node); `wasmrelaxed[:dir]`: its relaxed-SIMD build
//                (onnxstream-relaxed.*; the V8 flag Node 20 needs is set)
//   spins=W/C,.. the first build once per pool spin setting: worker/caller microseconds (setPoolSpin)
//   dispatch     each build with every large call off the JavaScript thread (plain) and with the
//                backend's adaptive choice (adaptiveRun, the default); `plain`: plain only
//   sync         every kernel on the JavaScript thread; `reuse`: output buffers recycled by size in
//                JavaScript (no fresh pages per run)
//   ort          adds onnxruntime-node; `profile`: time per operator type (the first engine);
//                `nodes`: median, mean and best time and page faults per node (`top=N`: the N
//                slowest, default 40); `noop`: kernels do nothing (what is
//                left is JavaScript and allocation); `trace`: large blocks allocated and freed in a run;
//                `gaps`: per run of the first engine, time inside kernel calls and time between them
//                (JavaScript), fastest run, 10th percentile and median (with `noop`: JavaScript alone)
//   noplace      the first build also with concatInPlace: false (every Concat copies its inputs)
//   noreplay     the first build also with replay: false (every run through the executor; with
//                `profile` or `nodes`, which time each node, no run is replayed)
//   ortnodes     onnxruntime-node's own profile (enableProfiling): kernel time per node, median and
//                best, and their sums; profiling slows onnxruntime (its wall time is printed beside)
import { createRequire } from 'node:module';
import { InferenceSession, Tensor } from '@onnxstream/core';
import { createKernelBackend } from '@onnxstream/core/kernel';
import { testdata } from '@onnxstream/core/testing';
import { binding } from '../dist/binding.js';
import { addonBackend, isAddonArg, loadAddon } from './bench-tools.mjs';
import { keeping } from './keeping-provider.mjs';

const args = process.argv.slice(2);
const positional = args.filter(
  (a) =>
    !isAddonArg(a) &&
    !a.includes('=') &&
    !a.startsWith('wasm') &&
    !/^(ort|profile|sync|nodes|reuse|trace|noop|plain|dispatch|gaps|ortnodes|noplace|noreplay)$/.test(a),
);
const modelName = positional[0] ?? 'ultraface';
const runs = Number(positional[1] ?? 200);
const threads = Number(positional[2] ?? 2);
const addons = args.filter(isAddonArg);
const dimsArg = args.find((a) => a.startsWith('dims='));
const require = createRequire(import.meta.url);

const models = {
  ultraface: [testdata('models', 'ultraface-rfb-320', 'version-RFB-320.onnx'), [1, 3, 240, 320]],
  yolo: [testdata('yolov8n-onnxstream'), [1, 3, 640, 640], testdata('yolov8n-onnx', 'yolov8n.onnx')],
};
const [modelPath, dims, ortPath] = models[modelName] ?? [
  modelName,
  dimsArg.slice(5).split(',').map(Number),
  modelName,
];

let seed = 1;
const count = dims.reduce((a, b) => a * b, 1);
const input = new Tensor(
  'float32',
  Float32Array.from({ length: count }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  }),
  dims,
);

/** A kernel backend over one build of the addon. */
function backendOf(addon, label, plain = args.includes('plain')) {
  if (args.includes('reuse')) {
    // Output buffers recycled by size in JavaScript (as an arena would): no fresh pages per run.
    const alloc = addon.alloc.bind(addon);
    const free = new Map();
    addon.alloc = (bytes) => free.get(bytes)?.pop() ?? alloc(bytes);
    addon.free = (buffer) => {
      if (!free.has(buffer.byteLength)) free.set(buffer.byteLength, []);
      free.get(buffer.byteLength).push(buffer);
    };
  }
  if (args.includes('trace')) {
    // Large blocks allocated and freed, with the addon's counters after each (one run, at the end).
    const alloc = addon.alloc.bind(addon);
    const free = addon.free.bind(addon);
    const log = (what, bytes) => {
      if (!tracing || bytes < 256 * 1024) return;
      const i = addon.info();
      console.log(
        `${what} ${(bytes / 1024).toFixed(0)} KiB: in use ${(i.bytesInUse / 1024).toFixed(0)}, cached ${(i.bytesCached / 1024).toFixed(0)}, peak ${(i.bytesPeak / 1024).toFixed(0)}`,
      );
    };
    addon.alloc = (bytes) => {
      const f0 = process.resourceUsage().minorPageFault;
      const b = alloc(bytes);
      new Uint8Array(b).fill(0);
      const f = process.resourceUsage().minorPageFault - f0;
      log(`alloc (${f} faults)`, bytes);
      return b;
    };
    addon.free = (buffer) => {
      const n = buffer.byteLength;
      free(buffer);
      log('free', n);
    };
  }
  if (args.includes('noop')) {
    // Kernels do nothing: what is left is JavaScript (executor, operator layer) and allocation.
    // (From the timed runs on: packing weights needs the kernels.)
    const run = addon.run.bind(addon);
    const runSync = addon.runSync.bind(addon);
    addon.run = (...a) => (noop ? Promise.resolve() : run(...a));
    addon.runSync = (...a) => (noop ? undefined : runSync(...a));
    // A whole replayed run (runProgram: builds from before prepareProgram).
    for (const name of ['runPrepared', 'runProgram']) {
      if (!addon[name]) continue;
      const runProgram = addon[name].bind(addon);
      addon[name] = (...a) => (noop ? Promise.resolve() : runProgram(...a));
    }
  }
  if (args.includes('sync')) addon.run = (id, b, p) => Promise.resolve(addon.runSync(id, b, p));
  if (args.includes('gaps') && !gapsOf) gapsOf = timeKernelCalls(addon);
  // After the `reuse` and `trace` wraps, which the backend's buffer pool then sees.
  const backend = addonBackend(addon, { name: `native ${label}`, plain });
  if (args.includes('nodes')) timeNodes(backend);
  return backend;
}
const nodeTimes = new Map();

/** `nodes`: time per node (a kernel's wall time, hop included), summed over the runs. */
function timeNodes(backend) {
  const run = backend.run.bind(backend);
  backend.run = async (call) => {
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = performance.now();
    const out = await run(call);
    const faults = process.resourceUsage().minorPageFault - f0;
    const key = `${call.node.opType} ${call.node.name} ${call.inputs.map((t) => t?.dims.join('x')).join(' ')} ${JSON.stringify(call.attrs)} -> ${out.map((t) => t?.dims?.join('x')).join(' ')}`;
    if (!nodeTimes.has(key)) nodeTimes.set(key, [[], 0]);
    nodeTimes.get(key)[0].push(performance.now() - t0);
    nodeTimes.get(key)[1] += faults;
    return out;
  };
}
let tracing = false;
let noop = false;

/** `gaps`: the first build's kernel calls, timed: per run, time inside them and between them. */
let gapsOf;
function timeKernelCalls(addon) {
  const state = { inside: 0, between: 0, lastEnd: 0, runs: [] };
  const runSync = addon.runSync.bind(addon);
  const run = addon.run.bind(addon);
  const enter = () => {
    const t = performance.now();
    if (state.lastEnd) state.between += t - state.lastEnd;
    return t;
  };
  const leave = (t0) => {
    state.lastEnd = performance.now();
    state.inside += state.lastEnd - t0;
  };
  addon.runSync = (...a) => {
    const t0 = enter();
    try {
      return runSync(...a);
    } finally {
      leave(t0);
    }
  };
  addon.run = (...a) => {
    const t0 = enter();
    return run(...a).finally(() => leave(t0));
  };
  for (const name of ['runPrepared', 'runProgram']) {
    if (!addon[name]) continue;
    const runProgram = addon[name].bind(addon);
    addon[name] = (...a) => {
      const t0 = enter();
      return runProgram(...a).finally(() => leave(t0));
    };
  }
  state.begin = () => {
    state.inside = 0;
    state.between = 0;
    state.lastEnd = 0;
  };
  state.end = (wall) => state.runs.push([wall, state.inside, state.between]);
  return state;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const engines = [];
// `wasm:<dir>`: a threads build of the wasm package (its onnxstream-threads.cjs, .wasm and .worker.js in
// <dir>; `wasm` alone: the package's dist/wasm/node), measured instead of / beside native builds;
// `wasmrelaxed[:dir]` its relaxed build. [variant, dir] pairs.
const wasmDirs = args
  .filter((a) => /^wasm(relaxed)?(:|$)/.test(a))
  .map((a) => [
    a.startsWith('wasmrelaxed') ? 'relaxed' : 'threads',
    a.includes(':')
      ? a.slice(a.indexOf(':') + 1)
      : new URL('../../wasm/dist/wasm/node', import.meta.url).pathname,
  ]);
if (wasmDirs.some(([variant]) => variant === 'relaxed')) {
  (await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
}
const builds = addons.length
  ? addons.map((a) => loadAddon(require, a))
  : wasmDirs.length
    ? []
    : [['build', binding()]];
// `spins=W/C,W/C,...`: the first build once per pool spin setting (worker/caller microseconds).
const spins = args
  .find((a) => a.startsWith('spins='))
  ?.slice(6)
  .split(',')
  .map((x) => x.split('/').map(Number));
const configs = spins
  ? spins.map(([w, c]) => [
      `${builds[0][0]} spin ${w}/${c}`,
      builds[0][1],
      () => builds[0][1].setPoolSpin(w, c),
    ])
  : builds.map(([label, addon]) => [label, addon, () => {}]);
// `dispatch`: each build twice, with every large call off the JavaScript thread (plain) and with the
// backend's adaptive choice (builds before it never choose the JavaScript thread).
if (args.includes('dispatch')) {
  configs.splice(
    0,
    configs.length,
    ...builds.flatMap(([label, addon]) => [
      [`${label} plain`, addon, () => {}, true],
      [`${label} adaptive`, addon, () => {}, false],
    ]),
  );
}
// `noplace`: the first build again with every Concat copying its inputs (concatInPlace: false);
// `noreplay`: again with every run through the executor (replay: false).
if (args.includes('noplace')) {
  configs.push([`${configs[0][0]} noplace`, configs[0][1], () => {}, undefined, { concatInPlace: false }]);
}
if (args.includes('noreplay')) {
  configs.push([`${configs[0][0]} noreplay`, configs[0][1], () => {}, undefined, { replay: false }]);
}
for (const [label, addon, before, plain, planning] of configs) {
  const session = await InferenceSession.create(modelPath, {
    backend: backendOf(addon, label, plain),
    threads,
    weightsProvider: keeping(),
    ...planning,
    // `nodes` times each node through the backend, which a replayed run does not call.
    ...(args.includes('nodes') ? { replay: false } : {}),
  });
  const name = session.inputNames[0];
  engines.push({
    label,
    session,
    before,
    run: async () => {
      const out = await session.run({ [name]: input });
      for (const t of Object.values(out)) t.dispose();
    },
  });
}
for (const [variant, dir] of wasmDirs) {
  const { readFileSync } = await import('node:fs');
  const { WasmKernels } = await import('../../wasm/dist/kernels.js');
  const glue = `${dir}/onnxstream-${variant}.cjs`;
  const pool = Math.max(1, threads - 1);
  const m = await require(glue)({
    wasmBinary: readFileSync(glue.replace(/\.cjs$/, '.wasm')),
    osPoolSize: pool,
  });
  const k = new WasmKernels(m, variant, pool);
  m._os_threads();
  await k.setThreads(threads);
  const backend = createKernelBackend({ name: 'wasm', binding: () => k });
  // `nodes` times the first engine's nodes only.
  if (args.includes('nodes') && engines.length === 0) timeNodes(backend);
  const session = await InferenceSession.create(modelPath, {
    backend,
    threads,
    weightsProvider: keeping(),
    ...(args.includes('nodes') ? { replay: false } : {}),
  });
  const name = session.inputNames[0];
  engines.push({
    label: `wasm ${variant} ${dir}`,
    session,
    run: async () => {
      const out = await session.run({ [name]: input });
      for (const t of Object.values(out)) t.dispose();
    },
  });
}
if (args.includes('ort')) {
  const ort = createRequire(new URL('../../core/package.json', import.meta.url))('onnxruntime-node');
  const s = await ort.InferenceSession.create(ortPath ?? modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', input.data, dims) };
  engines.push({ label: 'onnxruntime-node', run: () => s.run(feeds) });
}

const times = engines.map(() => []);
const faults = engines.map(() => 0);
const cpus = engines.map(() => []);
const block = 10;
for (const e of engines) for (let i = 0; i < 3; i++) await e.run();
noop = args.includes('noop');
for (let done = 0; done < runs; done += block) {
  for (const [k, e] of engines.entries()) {
    e.before?.();
    await e.run();
    for (let i = 0; i < block; i++) {
      const c0 = cpuMs();
      const f0 = process.resourceUsage().minorPageFault;
      const t0 = performance.now();
      if (k === 0) gapsOf?.begin();
      await e.run();
      times[k].push(performance.now() - t0);
      if (k === 0) gapsOf?.end(times[k].at(-1));
      faults[k] += process.resourceUsage().minorPageFault - f0;
      cpus[k].push(cpuMs() - c0);
    }
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const quantile = (a, q) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) * q)];
console.log(
  `${modelName}, threads ${threads}, ${times[0].length} runs each: wall ms best / 10 % / median, CPU ms median, page faults per run`,
);
for (const [k, e] of engines.entries()) {
  console.log(
    `${e.label.padEnd(40)} ${Math.min(...times[k])
      .toFixed(2)
      .padStart(
        8,
      )} ${quantile(times[k], 0.1).toFixed(2).padStart(8)} ${median(times[k]).toFixed(2).padStart(8)} ${median(cpus[k]).toFixed(2).padStart(8)} ${(faults[k] / times[k].length).toFixed(0).padStart(7)}`,
  );
}
if (gapsOf) {
  // Runs by wall time: the fastest, the 10th percentile and the median.
  const byWall = [...gapsOf.runs].sort((a, b) => a[0] - b[0]);
  console.log(`${engines[0].label}: wall ms, of which inside kernel calls and between them (JavaScript)`);
  for (const [what, q] of [
    ['fastest', 0],
    ['10 %', 0.1],
    ['median', 0.5],
  ]) {
    const [wall, inside, between] = byWall[Math.floor((byWall.length - 1) * q)];
    console.log(
      `  ${what.padEnd(8)} ${wall.toFixed(2).padStart(7)} ${inside.toFixed(2).padStart(7)} ${between.toFixed(2).padStart(7)}`,
    );
  }
}
if (args.includes('ortnodes')) await ortNodes();
if (args.includes('trace')) {
  tracing = true;
  await engines[0].run();
  tracing = false;
}
if (args.includes('profile')) {
  const { session } = engines[0];
  const total = new Map();
  for (let i = 0; i < 20; i++) {
    const out = await session.run({ [session.inputNames[0]]: input }, { profile: true });
    for (const t of Object.values(out)) t.dispose();
    for (const t of session.lastRunStats.opTimes) {
      const e = total.get(t.opType) ?? { ms: 0, count: t.count };
      e.ms += t.ms / 20;
      total.set(t.opType, e);
    }
  }
  for (const [op, t] of [...total].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${op.padEnd(14)} ${t.ms.toFixed(3).padStart(8)} ms x${t.count}`);
  }
}
if (args.includes('nodes')) {
  // Median and mean per node.
  const rows = [...nodeTimes].map(([key, [a, f]]) => [
    key,
    median(a),
    a.reduce((x, y) => x + y, 0) / a.length,
    f / a.length,
    Math.min(...a),
  ]);
  let sum = 0;
  for (const [, m] of rows) sum += m;
  let least = 0;
  for (const r of rows) least += r[4];
  console.log(
    `sum of node medians ${sum.toFixed(2)} ms, of node bests ${least.toFixed(2)} ms; node: median ms, mean ms, best ms, page faults`,
  );
  const top = Number(args.find((a) => a.startsWith('top='))?.slice(4) ?? 40);
  for (const [key, m, mean, f, best] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${m.toFixed(3).padStart(8)} ${mean.toFixed(3).padStart(8)} ${best.toFixed(3).padStart(8)} ${f.toFixed(1).padStart(7)}  ${key}`,
    );
  }
}
process.exit(0);

/** `ortnodes`: onnxruntime-node's profile of `runs` warm runs: kernel time per node. */
async function ortNodes() {
  const { mkdtempSync, readdirSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const ort = createRequire(new URL('../../core/package.json', import.meta.url))('onnxruntime-node');
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  const s = await ort.InferenceSession.create(ortPath ?? modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: join(dir, 'ort'),
  });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', input.data, dims) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const walls = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    walls.push(performance.now() - t0);
  }
  await s.endProfiling();
  const events = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'));
  rmSync(dir, { recursive: true });
  const perNode = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const key = `${e.args.op_name} ${e.name.slice(0, -'_kernel_time'.length)} ${e.args.input_type_shape.map((t) => Object.values(t)[0].join('x')).join(' ')}`;
    if (!perNode.has(key)) perNode.set(key, []);
    perNode.get(key).push(e.dur / 1000);
  }
  // The timed runs only: the last `runs` of each node.
  const rows = [...perNode].map(([key, ms]) => [key, median(ms.slice(-runs)), Math.min(...ms.slice(-runs))]);
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
  console.log(
    `onnxruntime-node profiled, ${runs} runs: wall ms best ${Math.min(...walls).toFixed(2)}, median ${median(walls).toFixed(2)}; ${rows.length} nodes, kernel time sum of medians ${sum(1).toFixed(2)}, of bests ${sum(2).toFixed(2)}; node: median ms, best ms`,
  );
  const top = Number(args.find((a) => a.startsWith('top='))?.slice(4) ?? 40);
  for (const [key, m, best] of rows.sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${m.toFixed(3).padStart(8)} ${best.toFixed(3).padStart(8)}  ${key}`);
  }
}
