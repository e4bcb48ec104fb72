/**
 * The native backend: the kernel operators of @onnxstream/core/kernel over the Node addon. It claims
 * the nodes its kernels cover (float32 today), runs them on native buffers, and leaves everything
 * else to the reference backend.
 */
import type { Backend, HostAllocator } from '@onnxstream/core';
import { checkKernels, createKernelBackend, type KernelBinding } from '@onnxstream/core/kernel';
import { binding, type NativeBinding, type NativeInfo } from './binding.js';
import { BufferPool, nativeTensor } from './memory.js';

let checked: { addon: NativeBinding; kernels: KernelBinding; pool: BufferPool } | undefined;

/**
 * Calls whose kernel ran shorter than this (microseconds) the last time run on the JavaScript thread
 * from then on: the hop to a libuv thread and back costs tens of microseconds per call and makes the
 * run's time uneven (thread wake-ups on a busy machine), while a kernel this short blocks the event
 * loop no longer than a timer's granularity. Longer kernels (a streamed Stable Diffusion convolution)
 * leave it, so that the event loop keeps serving weight reads and the application meanwhile.
 */
export const SYNC_BELOW_US = 4000;
/**
 * After this long (microseconds) of kernels run on the JavaScript thread without the event loop
 * turning, the next call gives it a turn (setImmediate) first: a whole run of short kernels never
 * blocks I/O and timers for longer than about this.
 */
export const YIELD_AFTER_US = 10000;
/** Shapes remembered at most (a model's calls repeat; a long-lived process may see many models). */
const MAX_SHAPES = 8192;

/** A kernel call as measured: its kernel, parameters and buffer sizes, and how long it ran. */
interface Measured {
  readonly kernel: number;
  readonly params: Float64Array;
  readonly sizes: readonly number[];
  us: number;
}

/** A hash of a call's kernel, parameters and buffer sizes (equal calls, equal hashes). */
function hashCall(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): number {
  let h = kernel | 0;
  // Fractions matter little here: calls that differ in them only are told apart by sameCall.
  for (let i = 0; i < params.length; i++) h = Math.imul(h ^ ((params[i] * 65599) | 0), 0x01000193);
  for (let i = 0; i < buffers.length; i++) h = Math.imul(h ^ buffers[i].byteLength, 0x01000193);
  return h;
}

function sameCall(
  m: Measured,
  kernel: number,
  buffers: readonly ArrayBufferView[],
  params: Float64Array,
): boolean {
  if (m.kernel !== kernel || m.params.length !== params.length || m.sizes.length !== buffers.length) {
    return false;
  }
  for (let i = 0; i < params.length; i++) if (m.params[i] !== params[i]) return false;
  for (let i = 0; i < buffers.length; i++) if (m.sizes[i] !== buffers[i].byteLength) return false;
  return true;
}

/**
 * `run` for a KernelBinding: a call the operators give to `run` (large enough, by their estimate, to
 * leave the JavaScript thread) goes there the first time its kernel, parameters and buffer sizes
 * are seen; afterwards it runs on the JavaScript thread while its measured time stays short.
 */
export function adaptiveRun(addon: NativeBinding): KernelBinding['run'] {
  // By hashCall, looked up per call: a string key of the parameters cost about 2 us a call.
  const measured = new Map<number, Measured[]>();
  let count = 0;
  const find = (hash: number, kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array) =>
    measured.get(hash)?.find((m) => sameCall(m, kernel, buffers, params));
  const record = (
    hash: number,
    kernel: number,
    buffers: readonly ArrayBufferView[],
    params: Float64Array,
    us: number,
  ) => {
    const known = find(hash, kernel, buffers, params);
    if (known) {
      known.us = us;
      return;
    }
    if (count >= MAX_SHAPES) {
      measured.clear();
      count = 0;
    }
    const m = { kernel, params, sizes: buffers.map((b) => b.byteLength), us };
    const list = measured.get(hash);
    if (list) list.push(m);
    else measured.set(hash, [m]);
    count++;
  };
  // When the event loop last had a turn that this function knows of (an async call completing or
  // its own yield).
  let turnedAt = performance.now();
  const runHere = (m: Measured, buffers: readonly ArrayBufferView[], params: Float64Array) => {
    const t0 = performance.now();
    addon.runSync(m.kernel, buffers, params);
    m.us = (performance.now() - t0) * 1000;
  };
  return (kernel, buffers, params) => {
    const hash = hashCall(kernel, buffers, params);
    const m = find(hash, kernel, buffers, params);
    if (m !== undefined && m.us < SYNC_BELOW_US) {
      if ((performance.now() - turnedAt) * 1000 < YIELD_AFTER_US) {
        try {
          runHere(m, buffers, params);
        } catch (e) {
          return Promise.reject(e);
        }
        return Promise.resolve();
      }
      // The caller may reuse `params` once this returns (KernelBinding.run).
      const later = params.slice();
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        turnedAt = performance.now();
        runHere(m, buffers, later);
      });
    }
    const mine = params.slice();
    return addon.run(kernel, buffers, params).then((ran) => {
      turnedAt = performance.now();
      record(hash, kernel, buffers, mine, ran);
    });
  };
}

/**
 * KernelBinding.prepareProgram over the addon. The native program holds the fixed views' addresses:
 * each run first checks that none of them has been detached since (freed, or transferred away),
 * which would leave it reading memory that is no longer the view's.
 */
export function prepareProgram(addon: NativeBinding): NonNullable<KernelBinding['prepareProgram']> {
  return (fixed, openBytes, code, params) => {
    const program = addon.prepareProgram(fixed, Float64Array.from(openBytes), code, params);
    const lengths = fixed.map((v) => v.byteLength);
    return {
      run(open) {
        for (let k = 0; k < fixed.length; k++) {
          if (fixed[k].byteLength !== lengths[k]) {
            return Promise.reject(
              new Error(`runPrepared: fixed base ${k} was freed or detached after preparation`),
            );
          }
        }
        return addon.runPrepared(program, open);
      },
    };
  };
}

/**
 * The KernelBinding over a build of the addon: tensors from `pool`, calls through `run` (by default
 * the adaptive choice of thread), replays through prepared programs.
 */
export function addonKernels(
  addon: NativeBinding,
  pool: BufferPool,
  run: KernelBinding['run'] = adaptiveRun(addon),
): KernelBinding {
  return {
    name: 'native',
    kernelNames: () => addon.info().kernels,
    allocTensor: (type, dims, lasting) => nativeTensor(pool, type, dims, lasting),
    run,
    runSync: (kernel, buffers, params) => addon.runSync(kernel, buffers, params),
    prepareProgram: prepareProgram(addon),
  };
}

/** The addon and its KernelBinding, after checking that it has every kernel the operators call. */
function native(): { addon: NativeBinding; kernels: KernelBinding; pool: BufferPool } {
  if (!checked) {
    const addon = binding();
    const pool = new BufferPool(addon);
    const kernels = addonKernels(addon, pool);
    checkKernels(kernels);
    checked = { addon, kernels, pool };
  }
  return checked;
}

export const nativeBackend: Backend = createKernelBackend({
  name: 'native',
  binding: () => native().kernels,
  init(options) {
    const { addon } = native();
    if (options.threads !== undefined) addon.setThreads(options.threads);
  },
  trim(level) {
    const { addon, pool } = native();
    if (level !== undefined) return addon.trimCache(level);
    pool.clear();
    addon.trim();
  },
  cacheLevel: () => native().addon.cacheLevel(),
  holdCacheLean: (on) => native().addon.holdCacheLean(on),
});

/** Whether the addon loads here; the reason when it does not. */
export function nativeAvailability(): { available: true } | { available: false; reason: string } {
  try {
    native();
    return { available: true };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

/** ISA in use, threads and native memory counters. */
export function nativeInfo(): NativeInfo {
  return native().addon.info();
}

/** Starts a new high-water mark for nativeInfo().bytesPeak (to measure one run). */
export function resetNativePeak(): void {
  native().addon.resetPeak();
}

/** Forces an ISA (tests and benchmarks compare paths): 'scalar', 'avx2', 'avx512', 'neon'. */
export function useIsa(name: string): void {
  native().addon.setIsa(name);
}

/**
 * The block cache of the lowest-memory configuration (`onnxstream sd --rpi-lowmem`): a few blocks
 * kept spare one model step to the next save most of the page faults at a few MiB of peak. SD 1.5's
 * UNet (nocache provider, float16 storage, 2 threads): no cache 125 MiB in 15.0 s; 4 MiB 128 MiB in
 * 11.8 s; 8 MiB 134 MiB in 8.0 s; the default 64 MiB 158 MiB in 5.8 s.
 */
export const LOW_MEMORY_BUFFER_CACHE = 4 << 20;

/**
 * Bytes of freed native blocks kept for reuse at most (default 64 MiB, or ONNXSTREAM_BUFFER_CACHE_MB;
 * live and cached bytes together never more than the high-water mark of live bytes, or 64 MiB when
 * that is lower, except through a recorded run: there the mark alone), the buffers of disposed
 * tensors kept for reuse included: a fresh block costs a page fault per page, a reused one
 * none. 0 returns every freed block at once.
 */
export function setBufferCache(bytes: number): void {
  const { addon, pool } = native();
  pool.clear();
  addon.setBufferCache(bytes);
}

/**
 * Host buffers from the native block allocator (freed at once, huge pages for large blocks, reused
 * through its block cache): register.ts installs it for the providers' weight buffers.
 */
export function nativeHostAllocator(): HostAllocator {
  const { addon } = native();
  return { allocate: (bytes) => addon.alloc(bytes), free: (buffer) => addon.free(buffer) };
}
