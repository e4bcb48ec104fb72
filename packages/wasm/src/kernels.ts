/**
 * One loaded build as a KernelBinding: tensors in the wasm heap, kernels called with heap pointers.
 *
 * Memory growth: a heap that grows gets a new ArrayBuffer; without threads the old one is detached
 * and every view of it reads as empty. Tensors therefore carry a relocator (Tensor.setRelocator):
 * their `data` is rebuilt over the current heap when that happens. Kernels never see stale views:
 * a tensor's block is found by its view object (or the view's offset in a heap buffer), not by
 * reading through it.
 *
 * Weights and feeds live in JavaScript memory. A kernel call copies such inputs into one staging
 * block, reused by every call and grown only for a larger operator, so the heap's high-water mark
 * stays near the largest operator's weights plus the live activations (wasm memory never shrinks;
 * the allocator reuses what is freed).
 */
import { type DataType, DTYPES, Tensor } from '@onnxstream/core';
import type { KernelBinding, KernelLibraryInfo } from '@onnxstream/core/kernel';
import { type EmModule, memoryOf, type WasmVariant } from './module.js';

export interface WasmInfo extends KernelLibraryInfo {
  /** The build in use. */
  readonly variant: WasmVariant;
  /** Size of the staging block for inputs in JavaScript memory (the largest operator's so far). */
  readonly stagingBytes: number;
  /**
   * Size of the wasm heap: its high-water mark, since WebAssembly memory grows and never shrinks.
   * Near the largest operator's weights plus the live activations, not the model's size.
   */
  readonly heapBytes: number;
}

interface Block {
  readonly ptr: number;
  readonly bytes: number;
  freed: boolean;
  /** Objects whose collection frees the block (the disposer, every view made of it) still alive. */
  refs: number;
}

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export class WasmKernels implements KernelBinding {
  readonly name: string;
  readonly variant: WasmVariant;
  readonly #m: EmModule;
  readonly #memory: WebAssembly.Memory;
  readonly #names: readonly string[];
  /** Views of heap blocks made here, to their block (also once detached). */
  readonly #blocks = new WeakMap<object, Block>();
  /** Every heap ArrayBuffer seen: a view of an older one is a heap view too. */
  readonly #heaps = new WeakSet<object>();
  readonly #finalizer = new FinalizationRegistry<Block>((b) => {
    if (--b.refs === 0) this.#free(b);
  });
  #staging = 0;
  #stagingBytes = 0;
  #poolSize: number;
  #terminated = false;

  constructor(m: EmModule, variant: WasmVariant, poolSize: number) {
    this.#m = m;
    this.variant = variant;
    this.name = `wasm-${variant}`;
    this.#memory = memoryOf(m);
    this.#poolSize = poolSize;
    this.#names = Array.from({ length: m._os_kernel_count() }, (_, i) =>
      m.UTF8ToString(m._os_kernel_name(i)),
    );
    this.#unrefWorkers();
  }

  /** Under Node, lets the process exit while pool workers wait for work. */
  #unrefWorkers(): void {
    const pt = this.#m.PThread;
    for (const w of [...(pt?.unusedWorkers ?? []), ...(pt?.runningWorkers ?? [])]) w.unref?.();
  }

  /** The current heap (a new ArrayBuffer after each growth). */
  #heap(): ArrayBuffer {
    const b = this.#memory.buffer as ArrayBuffer;
    this.#heaps.add(b);
    return b;
  }

  kernelNames(): readonly string[] {
    return this.#names;
  }

  /** A heap block of `bytes` (64-byte aligned); throws when the heap cannot grow. */
  #alloc(bytes: number): number {
    // Pointers come back as signed 32-bit integers: those above 2 GiB are negative.
    const ptr = this.#m._os_alloc(bytes) >>> 0;
    if (!ptr)
      throw new RangeError(`wasm heap: cannot allocate ${bytes} bytes (the heap is limited to 4 GiB)`);
    return ptr;
  }

  #free(b: Block): void {
    if (b.freed || this.#terminated) return;
    b.freed = true;
    this.#m._os_free(b.ptr, b.bytes);
  }

  allocTensor(type: DataType, dims: readonly number[]): Tensor {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count === 0) return Tensor.zeros(type, dims);
    const ctor = DTYPES[type].array;
    if (!ctor || DTYPES[type].big) throw new TypeError(`wasm tensors cannot hold ${type}`);
    const bytes = count * DTYPES[type].bytes;
    const block: Block = { ptr: this.#alloc(bytes), bytes, freed: false, refs: 0 };
    const view = () => {
      const v = new (ctor as Float32ArrayConstructor)(this.#heap(), block.ptr, count);
      this.#blocks.set(v, block);
      block.refs++;
      this.#finalizer.register(v, block);
      return v as never;
    };
    const t = new Tensor(type, view(), dims);
    // Freed by dispose() (the engine does, once the last consumer ran), else once the tensor, its
    // reshaped views and every view made of the block are garbage.
    const dispose = () => this.#free(block);
    block.refs++;
    this.#finalizer.register(dispose, block);
    t.setDisposer(dispose);
    t.setRelocator(view);
    return t;
  }

  /** Copies a heap tensor into JavaScript memory and frees the heap block. */
  toJavaScript(t: Tensor): Tensor {
    const copy = new Tensor(t.type, (t.data as Float32Array).slice() as never, t.dims, t.quant);
    t.dispose();
    return copy;
  }

  /**
   * Where a view's bytes are: [address, bytes] in the heap, or undefined for JavaScript memory. A
   * view made here spans its whole block, so a detached one still says where its block is.
   */
  #locate(v: ArrayBufferView): [number, number] | undefined {
    const b = this.#blocks.get(v);
    if (b) {
      if (b.freed) throw new Error('wasm kernels: a tensor was used after it was freed');
      return [b.ptr, b.bytes];
    }
    if (!this.#heaps.has(v.buffer)) return undefined;
    // A view made elsewhere of the heap: valid while its buffer is (shared memory never detaches).
    if ((v.buffer as ArrayBuffer).byteLength === 0) {
      throw new Error('wasm kernels: a view of the heap went stale when it grew; read tensor.data again');
    }
    return [v.byteOffset, v.byteLength];
  }

  runSync(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): void {
    this.#heap();
    const n = buffers.length;
    // Located before the staging block may grow the heap (and detach views of it).
    const places = buffers.map((v) => this.#locate(v));
    // Staging layout: the (pointer, bytes) pairs, the parameters, then each input from JavaScript.
    const argBytes = align(n * 8) + align(params.length * 8);
    let need = argBytes;
    for (let i = 0; i < n; i++) if (places[i] === undefined) need += align(buffers[i].byteLength);
    this.#ensureStaging(need);
    const heap = this.#heap();
    const u8 = new Uint8Array(heap);
    const pairs = new Uint32Array(heap, this.#staging, n * 2);
    let at = this.#staging + argBytes;
    for (let i = 0; i < n; i++) {
      let place = places[i];
      if (place === undefined) {
        const v = buffers[i];
        place = [v.byteLength ? at : 0, v.byteLength];
        u8.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
        at += align(v.byteLength);
      }
      pairs[2 * i] = place[0];
      pairs[2 * i + 1] = place[1];
    }
    const p = this.#staging + align(n * 8);
    new Float64Array(heap, p, params.length).set(params);
    const err = this.#m._os_run(kernel, this.#staging, n, p, params.length);
    if (err) throw new Error(this.#m.UTF8ToString(err));
  }

  /** Kernels run on the calling thread (and the build's pool); the promise is already settled. */
  run(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array): Promise<void> {
    try {
      this.runSync(kernel, buffers, params);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Grows the staging block to at least `bytes` (by a quarter at least, to avoid creeping). */
  #ensureStaging(bytes: number): void {
    if (bytes <= this.#stagingBytes) return;
    const size = Math.max(bytes, Math.ceil((this.#stagingBytes * 1.25) / 65536) * 65536);
    if (this.#staging) this.#m._os_free(this.#staging, this.#stagingBytes);
    this.#staging = 0;
    this.#stagingBytes = 0;
    this.#staging = this.#alloc(size);
    this.#stagingBytes = size;
  }

  #string<T>(s: string, fn: (ptr: number) => T): T {
    const len = this.#m.lengthBytesUTF8(s) + 1;
    const ptr = this.#m._malloc(len);
    try {
      this.#m.stringToUTF8(s, ptr, len);
      return fn(ptr);
    } finally {
      this.#m._free(ptr);
    }
  }

  info(): WasmInfo {
    const m = this.#m;
    return {
      variant: this.variant,
      isa: m.UTF8ToString(m._os_isa()),
      isas: ['scalar', 'wasmsimd'].filter((isa) => this.#string(isa, (p) => m._os_isa_supported(p)) === 1),
      threads: m._os_threads(),
      kernels: this.#names,
      bytesInUse: m._os_bytes_in_use(),
      bytesPeak: m._os_bytes_peak(),
      stagingBytes: this.#stagingBytes,
      heapBytes: this.#heap().byteLength,
    };
  }

  /** Switches the kernels to `isa` ('scalar', or 'wasmsimd' in the SIMD builds). */
  setIsa(name: string): void {
    const err = this.#string(name, (p) => this.#m._os_set_isa(p));
    if (err) throw new Error(`wasm: ISA '${name}': ${this.#m.UTF8ToString(err)}`);
  }

  resetPeak(): void {
    this.#m._os_reset_peak();
  }

  /**
   * Sizes the pool (the calling thread included). Only the threaded builds have one; the others stay
   * at 1. Workers are started first where needed: a thread started without a ready worker would
   * wait for the JavaScript thread to yield.
   */
  async setThreads(threads: number): Promise<void> {
    const pt = this.#m.PThread;
    const n = Math.max(1, Math.floor(threads));
    if (!pt || n === this.#m._os_threads()) return;
    // The old threads' workers return to the pool only once this thread yields: let them.
    for (let i = 0; i < 50 && pt.unusedWorkers.length < n - 1; i++)
      await new Promise((r) => setTimeout(r, 1));
    const loads: Promise<void>[] = [];
    while (pt.unusedWorkers.length + loads.length < n - 1) {
      pt.allocateUnusedWorker();
      const w = pt.unusedWorkers[pt.unusedWorkers.length - 1];
      loads.push(new Promise<void>((resolve) => pt.loadWasmModuleToWorker(w, resolve)));
    }
    await Promise.all(loads);
    this.#poolSize = Math.max(this.#poolSize, n - 1);
    this.#m._os_set_threads(n);
    this.#unrefWorkers();
  }

  /** Workers the pthreads pool holds (0 for the other builds). */
  get poolSize(): number {
    return this.#m.PThread ? this.#poolSize : 0;
  }

  /** Stops the pool's workers (pthreads build); the module is unusable afterwards. */
  terminate(): void {
    this.#terminated = true;
    this.#m.PThread?.terminateAllThreads();
  }
}
