/**
 * The typed face of the compiled addon (binding/addon.cc), loaded with node-gyp-build: a prebuilt
 * binary from prebuilds/<platform>-<arch>/ when present, else build/Release from a source build.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelLibraryInfo } from '@onnxstream/core/kernel';

export interface NativeInfo extends KernelLibraryInfo {
  /** Freed large blocks kept for reuse (bounded by setBufferCache / ONNXSTREAM_BUFFER_CACHE_MB). */
  readonly bytesCached: number;
}

/** A program from prepareProgram (a native handle). */
export type NativeProgram = { readonly __nativeProgram: never };

export interface NativeBinding {
  /** A block of `bytes`; `lasting`: kept long, so exactly its pages rather than a larger cached block. */
  alloc(bytes: number, lasting?: boolean): ArrayBuffer;
  free(buffer: ArrayBuffer): void;
  /**
   * Keeps a buffer from alloc() for the caller to hand out again, counted as cached: false when the
   * block cache has no room for it (free it then). unpark() counts it as in use again.
   */
  park(buffer: ArrayBuffer): boolean;
  unpark(buffer: ArrayBuffer): void;
  /** Off the JavaScript thread; resolves with the microseconds the kernel itself ran. */
  run(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): Promise<number>;
  runSync(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): void;
  /**
   * KernelBinding.prepareProgram's checks, once: an opaque handle for runPrepared, which keeps the
   * fixed views (their addresses are taken now).
   */
  prepareProgram(
    fixed: readonly ArrayBufferView[],
    openBytes: Float64Array,
    code: Float64Array,
    params: Float64Array,
  ): NativeProgram;
  /** The prepared calls one after another off the JavaScript thread, over the open bases. */
  runPrepared(program: NativeProgram, open: readonly ArrayBufferView[]): Promise<void>;
  info(): NativeInfo;
  setIsa(name: string): void;
  setThreads(threads: number): void;
  /**
   * Microseconds a pool worker spins for the next job before sleeping, and a caller for the other
   * threads' chunks (csrc/threads/pool.h; defaults 300 and 50). For tuning.
   */
  setPoolSpin(workerUs: number, callerUs: number): void;
  resetPeak(): void;
  /** Frees every cached block, restarts the cache's high-water mark and trims glibc's heaps. */
  trim(): void;
  /** Bytes of freed blocks in the block cache (parked buffers apart). */
  cacheLevel(): number;
  /** Frees the most recently cached blocks until at most `bytes` of them are left, and glibc's free heap pages. */
  trimCache(bytes: number): void;
  /** Takes (true) or gives back (false) a lean hold on the block cache (Backend.holdCacheLean). */
  holdCacheLean(on: boolean): void;
  setBufferCache(bytes: number): void;
}

let loaded: NativeBinding | Error | undefined;

/** The addon, loaded once; throws the reason when this installation has no usable binary. */
export function binding(): NativeBinding {
  if (loaded === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const load = require('node-gyp-build') as (dir: string) => NativeBinding;
      loaded = load(join(dirname(fileURLToPath(import.meta.url)), '..'));
    } catch (e) {
      loaded = new Error(`the native addon could not be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}
