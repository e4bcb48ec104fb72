// What the kernel benchmark scripts share: seeded inputs, process CPU time and a kernel backend over
// a build of the addon.
import { Tensor } from '@onnxstream/core';
import { checkKernels, createKernelBackend } from '@onnxstream/core/kernel';
import { addonKernels } from '../dist/backend.js';
import { BufferPool } from '../dist/memory.js';

let seed = 1;

/** A float32 tensor of uniform values in [-0.5, 0.5), the same sequence in every run. */
export const randomTensor = (dims) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    }),
    dims,
  );

/** User and system CPU time of this process, in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** ONNX node attributes from plain values: arrays as ints, strings, numbers as ints. */
export const nodeAttributes = (attrs) =>
  new Map(
    Object.entries(attrs).map(([k, v]) => [
      k,
      Array.isArray(v)
        ? { type: 'ints', value: v }
        : typeof v === 'string'
          ? { type: 'string', value: v }
          : { type: 'int', value: v },
    ]),
  );

/** Whether a command-line argument names an addon build: `path.node`, or `path.node@isa`. */
export const isAddonArg = (a) => /\.node(@\w+)?$/.test(a);

/**
 * The addon an argument names, with its ISA forced when it ends in `@isa` (`/tmp/a.node@avx2`: two
 * copies of one build compare two ISAs' kernel tables in one process), and its display name.
 */
export function loadAddon(require, arg) {
  const [path, isa] = arg.split('@');
  const addon = require(path);
  if (isa) addon.setIsa(isa);
  return [arg.split('/').pop(), addon];
}

/**
 * A kernel backend over one build of the addon, as the package's backend makes one: disposed
 * tensors' buffers reused by size, large calls off the JavaScript thread by the backend's adaptive
 * choice, or every call (`plain`). `threads` sizes the addon's pool now; init({ threads }) later.
 */
export function addonBackend(addon, { name = 'native', plain = false, threads } = {}) {
  const pool = new BufferPool(addon);
  const kernels = {
    ...addonKernels(
      addon,
      pool,
      plain ? (kernel, buffers, params) => addon.run(kernel, buffers, params) : undefined,
    ),
    // Builds from before prepareProgram took their whole runs in one call (runProgram) each time,
    // and those from before that replay their runs call by call.
    ...(addon.prepareProgram
      ? {}
      : {
          prepareProgram: addon.runProgram
            ? (fixed, _open, code, params) => ({
                run: (open) => addon.runProgram([...open, ...fixed], code, params),
              })
            : undefined,
        }),
  };
  checkKernels(kernels);
  if (threads !== undefined) addon.setThreads(threads);
  return createKernelBackend({
    name,
    binding: () => kernels,
    init: (o) => {
      if (o.threads !== undefined) addon.setThreads(o.threads);
    },
  });
}
