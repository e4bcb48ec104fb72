// Builds the WebAssembly kernels from the native package's C++ sources (packages/native/csrc, the
// same tree the Node addon compiles) with emscripten, in four variants and two flavours:
//
//   plain    scalar kernels table, no SIMD                      (every wasm engine)
//   simd     + the wasmsimd table, -msimd128                    (SIMD128: Node 16.4+, all current browsers)
//   threads  + -pthread: SharedArrayBuffer memory, worker pool  (Node; browsers when crossOriginIsolated)
//   relaxed  threads + -mrelaxed-simd: relaxed_madd multiply-adds, opcodes renumbered after linking
//            (scripts/relaxed-opcodes.mjs)                     (engines with relaxed SIMD)
//
//   dist/wasm/node/onnxstream-<variant>.cjs + .wasm (+ .worker.js)   CommonJS glue, loaded with wasmBinary
//   dist/wasm/web/onnxstream-<variant>.mjs + .wasm (+ .worker.js)    ES module glue for a Web Worker
//
// Objects are kept in build/wasm/<variant>/ and recompiled only when a source or a header it
// includes changed (emcc -MMD). Debian's emcc needs NODE_PATH=/usr/share/nodejs (acorn); it is set
// here, so turbo's strict environment does not matter.
//
//   node scripts/build-wasm.mjs [plain|simd|threads|relaxed ...]     default: all four
//   node scripts/build-wasm.mjs --flags <variant>            print its compile flags
// Without emcc the build fails when CI is set; elsewhere it says so and builds nothing (the package
// then reports the wasm backend unavailable).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { standardizeRelaxedOpcodes } from './relaxed-opcodes.mjs';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(pkg, '..', 'native');
const objRoot = join(pkg, 'build', 'wasm');
const outRoot = join(pkg, 'dist', 'wasm');

const env = {
  ...process.env,
  NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':'),
  EMCC_SKIP_SANITY_CHECK: '1',
};

function emccVersion() {
  try {
    return execFileSync('emcc', ['--version'], { env, encoding: 'utf8' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

const sources = (group) =>
  execFileSync(process.execPath, [join(native, 'scripts', 'sources.cjs'), group], { encoding: 'utf8' })
    .split(' ')
    .filter(Boolean)
    .map((f) => join(native, f));

// No C++ exceptions: kernels fail through common/failure.h, which longjmps back to the export that
// called them. emscripten 3.1.6's JavaScript-based exceptions (-fexceptions) route every call that
// may throw through a JavaScript trampoline (YOLOv8n 2.4 times slower), and its wasm exceptions
// escape their catch in pthreads builds.
const NO_EH = ['-fno-exceptions'];
const VARIANTS = {
  plain: { flags: [...NO_EH], sources: [...sources('portable')] },
  simd: { flags: [...NO_EH, '-msimd128'], sources: [...sources('portable'), ...sources('wasmsimd')] },
  threads: {
    flags: [...NO_EH, '-msimd128', '-pthread'],
    sources: [...sources('portable'), ...sources('wasmsimd')],
  },
  relaxed: {
    flags: [...NO_EH, '-msimd128', '-mrelaxed-simd', '-pthread'],
    sources: [...sources('portable'), ...sources('wasmsimd')],
  },
};
// Variants with a pthreads pool.
const THREADED = new Set(['threads', 'relaxed']);
const API = join(pkg, 'csrc', 'wasm-api.cc');

const COMPILE = ['-O3', '-std=c++20', `-I${join(native, 'csrc')}`, '-Wall', '-Wno-unused-function'];

// `--flags <variant>` prints that variant's compile flags (csrc/test/Makefile builds the kernel tests
// with them).
if (process.argv[2] === '--flags') {
  const variant = VARIANTS[process.argv[3]];
  if (!variant) throw new Error(`usage: build-wasm.mjs --flags plain|simd|threads|relaxed`);
  process.stdout.write([...COMPILE, ...variant.flags].join(' '));
  process.exit(0);
}

const version = emccVersion();
if (!version) {
  const msg =
    '@onnxstream/wasm: emcc (emscripten) was not found, so the WebAssembly kernels were not built. ' +
    'Install it (Debian: apt-get install emscripten; scripts/setup.sh does) and build again.';
  if (process.env.CI) {
    console.error(msg);
    process.exit(1);
  }
  console.warn(`${msg}\nThe wasm backend reports itself unavailable until then.`);
  process.exit(0);
}

const EXPORTS = [
  'os_alloc',
  'os_free',
  'os_run',
  'os_kernel_count',
  'os_kernel_name',
  'os_isa',
  'os_isa_supported',
  'os_set_isa',
  'os_threads',
  'os_set_threads',
  'os_bytes_in_use',
  'os_bytes_peak',
  'os_reset_peak',
  'malloc',
  'free',
].map((f) => `_${f}`);

const LINK = [
  '-O3',
  '-sMODULARIZE=1',
  '-sEXPORT_NAME=createOnnxStream',
  '-sALLOW_MEMORY_GROWTH=1',
  '-sMAXIMUM_MEMORY=4GB',
  '-sINITIAL_MEMORY=16MB',
  '-sTOTAL_STACK=1MB',
  `-sEXPORTED_FUNCTIONS=${EXPORTS.join(',')}`,
  '-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8',
  '-Wno-pthreads-mem-growth',
];
// Under Node the glue would otherwise install process-wide 'uncaughtException' and
// 'unhandledRejection' handlers (rethrowing, with its whole source in the message).
const NODE_LINK = ['-sNODEJS_CATCH_EXIT=0', '-sNODEJS_CATCH_REJECTION=0'];
// The pool's workers are started with the module: as many as the loader asks for (osPoolSize),
// since a thread started later would wait for the JavaScript thread to yield.
const THREAD_LINK = ['-sPTHREAD_POOL_SIZE=Module.osPoolSize'];

const FLAVOURS = {
  node: { ext: 'cjs', flags: ['-sENVIRONMENT=node', ...NODE_LINK] },
  web: { ext: 'mjs', flags: ['-sEXPORT_ES6=1', '-sENVIRONMENT=web,worker'] },
};

// The relaxed build's multiply-adds get their standard opcodes (scripts/relaxed-opcodes.mjs); then
// V8 must accept the module with relaxed SIMD enabled (Node 20 behind a flag, set here in a child).
// A module that fails is deleted, so that the next build links it again.
function relax(wasm) {
  try {
    const bytes = readFileSync(wasm);
    const n = standardizeRelaxedOpcodes(bytes);
    if (n === 0) throw new Error(`${wasm}: no relaxed multiply-add found (built without -mrelaxed-simd?)`);
    writeFileSync(wasm, bytes);
    const check =
      "require('v8').setFlagsFromString('--experimental-wasm-relaxed-simd');" +
      'process.exit(WebAssembly.validate(require("fs").readFileSync(process.argv[1])) ? 0 : 1)';
    try {
      execFileSync(process.execPath, ['-e', check, wasm], { stdio: 'inherit' });
    } catch {
      throw new Error(`${wasm}: V8 rejects the module once its relaxed opcodes are renumbered`);
    }
  } catch (e) {
    rmSync(wasm, { force: true });
    throw e;
  }
}

const mtime = (f) => {
  try {
    return statSync(f).mtimeMs;
  } catch {
    return -1;
  }
};

/** Whether `obj` is older than its source or any header its .d file lists. */
function stale(src, obj, dep) {
  const t = mtime(obj);
  if (t < 0 || mtime(src) > t || !existsSync(dep)) return true;
  const deps = readFileSync(dep, 'utf8')
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((s) => s && !s.endsWith(':'));
  return deps.some((d) => mtime(d) > t || mtime(d) < 0);
}

function run(args) {
  return new Promise((resolve, reject) => {
    const p = spawn('emcc', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`emcc ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/** Runs `jobs` (functions returning promises) with at most `n` at a time. */
async function pool(jobs, n) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(VARIANTS);
for (const v of wanted)
  if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (plain, simd, threads, relaxed)`);

const t0 = performance.now();
let compiled = 0;
const compileJobs = [];
const objects = {};
for (const v of wanted) {
  const { flags, sources: srcs } = VARIANTS[v];
  objects[v] = [];
  // Objects built with other flags (or another emcc) are dropped.
  const stamp = join(objRoot, v, 'flags.txt');
  const want = `${version}\n${[...COMPILE, ...flags].join(' ')}\n`;
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== want) {
    rmSync(join(objRoot, v), { recursive: true, force: true });
    mkdirSync(join(objRoot, v), { recursive: true });
    writeFileSync(stamp, want);
  }
  for (const src of [...srcs, API]) {
    const rel = relative(join(pkg, '..'), src).replace(/[\\/]/g, '_').replace(/\.cc$/, '');
    const obj = join(objRoot, v, `${rel}.o`);
    const dep = join(objRoot, v, `${rel}.d`);
    objects[v].push(obj);
    if (!stale(src, obj, dep)) continue;
    compileJobs.push(() => {
      compiled++;
      return run([...COMPILE, ...flags, '-MMD', '-MF', dep, '-c', src, '-o', obj]);
    });
  }
}
await pool(compileJobs, availableParallelism());

const linkJobs = [];
let linked = 0;
for (const v of wanted) {
  for (const [flavour, { ext, flags }] of Object.entries(FLAVOURS)) {
    const dir = join(outRoot, flavour);
    const out = join(dir, `onnxstream-${v}.${ext}`);
    const newest = Math.max(...objects[v].map(mtime), mtime(fileURLToPath(import.meta.url)));
    if (mtime(out) > newest && mtime(join(dir, `onnxstream-${v}.wasm`)) > newest) continue;
    mkdirSync(dir, { recursive: true });
    linkJobs.push(async () => {
      linked++;
      const extra = THREADED.has(v) ? THREAD_LINK : [];
      await run([...VARIANTS[v].flags, ...LINK, ...extra, ...flags, ...objects[v], '-o', out]);
      if (v === 'relaxed') relax(join(dir, `onnxstream-${v}.wasm`));
    });
  }
}
await pool(linkJobs, availableParallelism());

// The pthreads worker (a fixed-name .js file) and the .cjs glue are CommonJS: say so, since the
// package is "type": "module".
mkdirSync(join(outRoot, 'node'), { recursive: true });
writeFileSync(join(outRoot, 'node', 'package.json'), '{ "type": "commonjs" }\n');
// Emscripten 3.1.6 writes <name>.worker.js next to ES module glue too; the web flavour loads it as
// a classic worker script, which is what it is.
rmSync(join(outRoot, 'web', 'package.json'), { force: true });
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `@onnxstream/wasm: ${wanted.join(', ')} built with ${version.replace(/^emcc \([^)]*\) /, 'emcc ')} ` +
    `(${compiled} compiled, ${linked} linked, ${secs} s)`,
);
