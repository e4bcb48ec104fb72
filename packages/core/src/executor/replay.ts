/**
 * Replayed runs. When every step of a plan is a kernel call whose parameters follow from static
 * shapes (no value read in JavaScript) and the provider keeps every weight, one run is recorded:
 * each binding call, and which allocation, feed, output or weight each of its buffers lies in.
 * Later runs with the same plan issue those calls again over one arena of activations laid out
 * from the recorded lifetimes, without the executor's per-step work (planning lookups, tensors,
 * live-byte counting: tens of microseconds a step, 5-9 ms of a YOLOv8n run on a busy machine).
 * A replay first checks that the provider still hands out the recorded weight tensors; if not, the
 * run goes through the executor as usual and the plan is not replayed again.
 */
import type { Backend, KernelRecorder } from '../backend/backend.js';
import type { KernelBinding, KernelProgram } from '../backend/kernel/binding.js';
import type { WeightRef } from '../graph/graph.js';
import type { Plan, Step } from '../planner/plan.js';
import type { WeightsProvider } from '../provider/weights-provider.js';
import type { DataType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Value } from '../tensor/value.js';

/** Reference-backend operators that only view their input (a reshape of its data, no compute). */
const VIEW_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * Operators that read the values of their inputs from this index on in JavaScript (shapes, sizes,
 * scales, bounds): replayed only when those inputs are constants.
 */
const READ_FROM: Readonly<Record<string, number>> = {
  Reshape: 1,
  Squeeze: 1,
  Unsqueeze: 1,
  Resize: 1,
  Upsample: 1,
  Split: 1,
  Slice: 1,
  Clip: 1,
};

/** Activations are laid out in the arena at this alignment (cache lines). */
const ALIGN = 64;

const EMPTY = new Uint8Array(0);

/** Why `plan` cannot be recorded, or undefined when it can. */
export function unreplayable(plan: Plan, backend: Backend, provider: WeightsProvider): string | undefined {
  if (!backend.replays) return `the ${backend.name} backend does not replay runs`;
  for (const step of plan.steps) {
    const { node } = step;
    const kind = node.domain ? `${node.domain}::${node.opType}` : node.opType;
    if (step.rows || step.slices) return `${kind} '${node.name}' reads weight rows`;
    if (step.scope.length > 0) return `${kind} '${node.name}' runs a subgraph`;
    const kernel = step.backend === backend && backend.replays(node);
    if (!kernel && !(step.backend !== backend && !node.domain && VIEW_OPS.has(node.opType))) {
      return `${kind} '${node.name}' is not a replayable kernel`;
    }
    const from = node.domain ? undefined : READ_FROM[node.opType];
    if (from !== undefined && step.inputs.slice(from).some((s) => s.kind === 'value')) {
      return `${kind} '${node.name}' reads a computed input in JavaScript`;
    }
    for (const ref of step.weights) {
      if (!(provider.keeps ? provider.keeps(ref) : provider.update !== undefined)) {
        return `the ${provider.name} provider does not keep weight '${ref.name}'`;
      }
    }
  }
  return undefined;
}

/** Where a recorded buffer lies: its bytes in one of these. */
type Place =
  | { readonly kind: 'arena'; readonly alloc: Allocation; readonly offset: number }
  | { readonly kind: 'feed'; readonly index: number; readonly offset: number }
  | { readonly kind: 'fixed'; readonly tensor: Tensor; readonly offset: number }
  | { readonly kind: 'empty' };

interface Allocation {
  readonly buffer: ArrayBufferLike;
  readonly start: number;
  readonly bytes: number;
  /** First and last call that touched it. */
  first: number;
  last: number;
  /** Byte offset in the arena, or the index of the output it is. */
  at: number;
  output: number;
}

interface RecordedCall {
  readonly kernel: number;
  readonly sync: boolean;
  readonly params: Float64Array;
  readonly buffers: readonly (Place & { readonly bytes: number })[];
}

/** The memory a tensor's data spans. */
function span(t: Tensor): ArrayBufferView {
  return t.data as ArrayBufferView;
}

const within = (v: ArrayBufferView, buffer: ArrayBufferLike, start: number, bytes: number) =>
  v.buffer === buffer && v.byteOffset >= start && v.byteOffset + v.byteLength <= start + bytes;

/**
 * Records one run through KernelCall `recorder` (the executor passes it to every call): the
 * binding calls and where their buffers lie. `finish` turns it into a Replay, or says why not.
 */
export class RunRecorder implements KernelRecorder {
  readonly #calls: RecordedCall[] = [];
  /** Allocations that may still be live, by the memory they are in; and every allocation. */
  readonly #allocs = new Map<ArrayBufferLike, Allocation[]>();
  readonly #all: Allocation[] = [];
  /** The weights the run read, in its request order, as the kernels used them. */
  readonly #weights: Tensor[] = [];
  readonly #feeds: Tensor[];
  readonly #fixed: Tensor[] = [];
  #binding: KernelBinding | undefined;
  #wrapped: KernelBinding | undefined;
  #invalid: string | undefined;

  constructor(feeds: readonly Tensor[]) {
    this.#feeds = [...feeds];
  }

  /**
   * The weights (in the step's request order, as its kernels read them) and constants of the step
   * about to run: the same memory every run.
   */
  step(step: Step, weights: readonly Tensor[]): void {
    this.#weights.push(...weights);
    const fixed = [...weights];
    for (const s of step.inputs) if (s.kind === 'const') fixed.push(s.tensor);
    for (const t of fixed) if (t.size > 0 && !this.#fixed.includes(t)) this.#fixed.push(t);
  }

  /** The run cannot be replayed (a weight converted for this run only, ...). */
  invalidate(reason: string): void {
    this.#invalid ??= reason;
  }

  wrap(binding: KernelBinding): KernelBinding {
    if (this.#binding === binding && this.#wrapped) return this.#wrapped;
    if (this.#binding) this.invalidate('the run used two kernel bindings');
    this.#binding = binding;
    this.#wrapped = {
      name: binding.name,
      kernelNames: () => binding.kernelNames(),
      allocTensor: (type, dims) => {
        const t = binding.allocTensor(type, dims);
        if (t.size > 0) this.#allocated(span(t));
        return t;
      },
      run: (kernel, buffers, params) => {
        this.#record(kernel, buffers, params, false);
        return binding.run(kernel, buffers, params);
      },
      runSync: (kernel, buffers, params) => {
        this.#record(kernel, buffers, params, true);
        binding.runSync(kernel, buffers, params);
      },
      ...(binding.toJavaScript ? { toJavaScript: (t: Tensor) => binding.toJavaScript!(t) } : {}),
    };
    return this.#wrapped;
  }

  /** A tensor the engine allocated for the run itself (a Concat's output assembled in place). */
  allocated(t: Tensor): void {
    if (t.size > 0) this.#allocated(span(t));
  }

  #allocated(v: ArrayBufferView): void {
    const list = this.#allocs.get(v.buffer) ?? [];
    // Memory reused by the allocator: the allocations it held before are over.
    const live = list.filter(
      (a) => a.start + a.bytes <= v.byteOffset || a.start >= v.byteOffset + v.byteLength,
    );
    const a = {
      buffer: v.buffer,
      start: v.byteOffset,
      bytes: v.byteLength,
      first: -1,
      last: -1,
      at: -1,
      output: -1,
    };
    live.push(a);
    this.#all.push(a);
    this.#allocs.set(v.buffer, live);
  }

  #record(kernel: number, buffers: readonly ArrayBufferView[], params: Float64Array, sync: boolean): void {
    if (this.#invalid) return;
    const index = this.#calls.length;
    const places: (Place & { bytes: number })[] = [];
    for (const v of buffers) {
      const place = this.#locate(v, index);
      if (!place) {
        this.invalidate(`a buffer of kernel ${kernel} is neither an activation, a feed nor a weight`);
        return;
      }
      places.push({ ...place, bytes: v.byteLength });
    }
    this.#calls.push({ kernel, sync, params: params.slice(), buffers: places });
  }

  #locate(v: ArrayBufferView, call: number): Place | undefined {
    // An absent operand (a convolution without bias).
    if (v.byteLength === 0) return { kind: 'empty' };
    // Weights and feeds first: their memory is held through the run, while an allocation the
    // recorder did not see (a weight packed for the run) may take a buffer an activation had.
    for (let i = 0; i < this.#feeds.length; i++) {
      const d = span(this.#feeds[i]);
      if (within(v, d.buffer, d.byteOffset, d.byteLength))
        return { kind: 'feed', index: i, offset: v.byteOffset - d.byteOffset };
    }
    for (const t of this.#fixed) {
      const d = span(t);
      if (within(v, d.buffer, d.byteOffset, d.byteLength))
        return { kind: 'fixed', tensor: t, offset: v.byteOffset - d.byteOffset };
    }
    const list = this.#allocs.get(v.buffer);
    if (list) {
      for (let i = list.length - 1; i >= 0; i--) {
        const a = list[i];
        if (!within(v, a.buffer, a.start, a.bytes)) continue;
        if (a.first < 0) a.first = call;
        a.last = call;
        return { kind: 'arena', alloc: a, offset: v.byteOffset - a.start };
      }
    }
    return undefined;
  }

  /** The replay of the recorded run whose outputs are `outputs` (each one whole allocation), or why there is none. */
  finish(outputs: readonly Value[]): Replay | string {
    if (this.#invalid) return this.#invalid;
    const binding = this.#binding;
    if (!binding) return 'no kernel ran';
    const specs: { type: DataType; dims: readonly number[]; bytes: number }[] = [];
    for (let k = 0; k < outputs.length; k++) {
      const t = outputs[k];
      if (!(t instanceof Tensor) || t.size === 0) return `output ${k} is not a tensor the kernels wrote`;
      const d = span(t);
      const a = this.#allocs.get(d.buffer)?.find((x) => x.start === d.byteOffset && x.bytes === d.byteLength);
      if (!a || a.first < 0) return `output ${k} is not a tensor the kernels wrote`;
      if (a.output >= 0) return `outputs ${a.output} and ${k} share memory`;
      a.output = k;
      specs.push({ type: t.type, dims: t.dims, bytes: d.byteLength });
    }
    const arenaBytes = layOut(this.#all.filter((a) => a.first >= 0 && a.output < 0));
    const feedBytes = this.#feeds.map((f) => span(f).byteLength);
    try {
      return new Replay(binding, this.#calls, arenaBytes, specs, feedBytes, this.#weights);
    } catch (e) {
      // The binding's checks of the recorded calls failed: the runs go through the executor.
      return `the ${binding.name} binding refused the recorded calls: ${(e as Error).message}`;
    }
  }
}

/**
 * Byte offsets in one arena for allocations whose lifetimes (first to last call) may overlap, as
 * TensorFlow Lite's memory planners do: each in turn goes in the smallest gap that holds it between
 * those already placed that live at the same time, else above them all; in two orders (largest
 * first; calls with the most bytes live first, their allocations largest first), keeping the
 * smaller arena. YOLOv8n, 9.4 MiB live at most at once: 11.1 MiB largest first, 10.0 by calls.
 * Returns the arena's size.
 */
function layOut(allocs: Allocation[]): number {
  const bySize = [...allocs].sort((x, y) => y.bytes - x.bytes || x.first - y.first);
  const calls = new Map<number, Allocation[]>();
  for (const a of allocs) {
    for (let c = a.first; c <= a.last; c++) {
      const live = calls.get(c);
      if (live) live.push(a);
      else calls.set(c, [a]);
    }
  }
  const byCall = [
    ...new Set(
      [...calls.values()]
        .map((live) => ({ live, bytes: live.reduce((sum, a) => sum + a.bytes, 0) }))
        .sort((x, y) => y.bytes - x.bytes)
        .flatMap(({ live }) => live.sort((x, y) => y.bytes - x.bytes)),
    ),
  ];
  const first = placeInGaps(bySize);
  const second = placeInGaps(byCall);
  const best = second.size < first.size ? second : first;
  for (const [a, at] of best.at) a.at = at;
  return best.size;
}

/** Offsets for `order`, placed in turn (see layOut), and the arena's size. */
function placeInGaps(order: readonly Allocation[]): { size: number; at: Map<Allocation, number> } {
  const rounded = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
  const at = new Map<Allocation, number>();
  let size = 0;
  for (const a of order) {
    const clash = [...at.keys()]
      .filter((p) => p.first <= a.last && a.first <= p.last)
      .sort((x, y) => at.get(x)! - at.get(y)!);
    let best = -1;
    let bestGap = Number.POSITIVE_INFINITY;
    let end = 0;
    for (const p of clash) {
      const gap = at.get(p)! - end;
      if (gap >= a.bytes && gap < bestGap) {
        best = end;
        bestGap = gap;
      }
      end = Math.max(end, rounded(at.get(p)! + p.bytes));
    }
    const offset = best >= 0 ? best : end;
    at.set(a, offset);
    size = Math.max(size, rounded(offset + a.bytes));
  }
  return { size, at };
}

/** A recorded run, issued again with new feeds (see the file comment). */
export class Replay {
  readonly #binding: KernelBinding;
  readonly #calls: readonly RecordedCall[];
  readonly #arenaBytes: number;
  readonly #outputs: readonly { type: DataType; dims: readonly number[] }[];
  readonly #weights: readonly Tensor[];
  /** The calls prepared by the binding, where it has KernelBinding.prepareProgram. */
  readonly #program: KernelProgram | undefined;

  constructor(
    binding: KernelBinding,
    calls: readonly RecordedCall[],
    arenaBytes: number,
    outputs: readonly { type: DataType; dims: readonly number[]; bytes: number }[],
    feedBytes: readonly number[],
    weights: readonly Tensor[],
  ) {
    this.#binding = binding;
    this.#calls = calls;
    this.#arenaBytes = arenaBytes;
    this.#outputs = outputs;
    this.#weights = weights;
    if (binding.prepareProgram) {
      const { code, params, fixed } = program(calls, outputs.length, feedBytes.length);
      // The open bases as run() allocates and passes them: the arena, the outputs, the feeds.
      const open = [Math.max(arenaBytes, 1), ...outputs.map((o) => o.bytes), ...feedBytes];
      this.#program = binding.prepareProgram(fixed.map(span), open, code, params);
    }
  }

  /** Bytes of the activations arena a replay allocates (outputs apart). */
  get arenaBytes(): number {
    return this.#arenaBytes;
  }

  /**
   * Whether `provider` still hands out the recorded weights (asked in the run's order, as a run
   * would, and released after). False: the replay must not run.
   */
  async weightsHeld(provider: WeightsProvider, order: readonly WeightRef[]): Promise<boolean> {
    if (provider.held) {
      for (let k = 0; k < order.length; k++) {
        const t = provider.held(order[k]);
        if (t !== this.#weights[k] || t.disposed) return false;
      }
      return true;
    }
    provider.beginRun?.(order);
    try {
      for (let k = 0; k < order.length; k++) {
        const t = await provider.get(order[k]);
        provider.release?.(order[k], t);
        if (t !== this.#weights[k] || t.disposed) return false;
      }
      return true;
    } finally {
      await provider.endRun?.();
    }
  }

  /**
   * Runs the recorded calls on `feeds` (the recorded run's, in order); returns its outputs. With
   * the binding's prepared program, `signal` is checked before the calls start only.
   */
  async run(feeds: readonly Tensor[], signal?: AbortSignal): Promise<Tensor[]> {
    const binding = this.#binding;
    const outputs = this.#outputs.map((o) => binding.allocTensor(o.type, o.dims));
    const arena = binding.allocTensor('uint8', [Math.max(this.#arenaBytes, 1)]);
    try {
      const program = this.#program;
      if (program) {
        signal?.throwIfAborted();
        await program.run([arena, ...outputs, ...feeds].map(span));
        return outputs;
      }
      for (const call of this.#calls) {
        signal?.throwIfAborted();
        const arenaView = span(arena);
        const views = call.buffers.map((b) => {
          if (b.kind === 'empty') return EMPTY;
          let base: ArrayBufferView;
          let offset = b.offset;
          if (b.kind === 'arena') {
            if (b.alloc.output >= 0) base = span(outputs[b.alloc.output]);
            else {
              base = arenaView;
              offset += b.alloc.at;
            }
          } else base = span(b.kind === 'feed' ? feeds[b.index] : b.tensor);
          return new Uint8Array(base.buffer, base.byteOffset + offset, b.bytes);
        });
        if (call.sync) binding.runSync(call.kernel, views, call.params);
        else await binding.run(call.kernel, views, call.params);
      }
    } catch (e) {
      for (const t of outputs) t.dispose();
      throw e;
    } finally {
      arena.dispose();
    }
    return outputs;
  }
}

/**
 * Recorded calls encoded for KernelBinding.prepareProgram, over bases: the arena, the outputs, the
 * feeds (open), then the weights and constants the calls read (`fixed`).
 */
function program(
  calls: readonly RecordedCall[],
  outputs: number,
  feeds: number,
): { code: Float64Array; params: Float64Array; fixed: Tensor[] } {
  const fixed: Tensor[] = [];
  const fixedIndex = new Map<Tensor, number>();
  const code: number[] = [];
  const params: number[] = [];
  for (const call of calls) {
    code.push(call.kernel, call.buffers.length, call.params.length, params.length);
    for (const p of call.params) params.push(p);
    for (const b of call.buffers) {
      if (b.kind === 'empty') code.push(0, 0, 0);
      else if (b.kind === 'arena') {
        const output = b.alloc.output;
        code.push(output >= 0 ? 1 + output : 0, output >= 0 ? b.offset : b.alloc.at + b.offset, b.bytes);
      } else if (b.kind === 'feed') code.push(1 + outputs + b.index, b.offset, b.bytes);
      else {
        let k = fixedIndex.get(b.tensor);
        if (k === undefined) {
          k = fixed.length;
          fixed.push(b.tensor);
          fixedIndex.set(b.tensor, k);
        }
        code.push(1 + outputs + feeds + k, b.offset, b.bytes);
      }
    }
  }
  return { code: Float64Array.from(code), params: Float64Array.from(params), fixed };
}

/** The feeds of a plan's run as the tensors a recording knows, in the plan's feed order. */
export function feedTensors(plan: Plan, feeds: ReadonlyMap<string, Value>): Tensor[] | undefined {
  const out: Tensor[] = [];
  for (const name of plan.feeds.keys()) {
    const v = feeds.get(name);
    if (!(v instanceof Tensor)) return undefined;
    out.push(v);
  }
  return out;
}
