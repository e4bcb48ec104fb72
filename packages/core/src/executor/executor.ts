/**
 * The streaming executor: runs a plan one step at a time. Before each kernel it asks the weights
 * provider for the next step's weights (so reads overlap compute), after each kernel it drops the
 * step's weights and every value whose last use it was. It measures the peak of live tensor bytes
 * (a sequence or optional counts the tensors it holds).
 */
import type { Backend, SlicedWeight } from '../backend/backend.js';
import { OnnxStreamError, OperatorError } from '../errors.js';
import { computeTypeOf, toComputeType } from '../formats/weights.js';
import type { Dim, Graph, WeightRef } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { indexValues, resolveIndex } from '../ops/support/tensor-data.js';
import { type Plan, planGraph, type Slot, type Step } from '../planner/plan.js';
import type { WeightsProvider } from '../provider/weights-provider.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { OptionalValue, TensorSequence, tensorsOf, type Value } from '../tensor/value.js';
import type { RunRecorder } from './replay.js';

export interface RunProgress {
  readonly stage: 'run';
  /** 1-based index of the step that just finished. */
  readonly step: number;
  readonly steps: number;
  readonly opType: string;
  readonly nodeName: string;
}

export interface ExecuteOptions {
  readonly provider: WeightsProvider;
  readonly backend: Backend;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: RunProgress) => void;
  /** Collect wall time per operator type and per node. */
  readonly profile?: boolean;
  /** Sees each step's outputs right after its kernel ran (calibration). */
  readonly observe?: (step: Step, outputs: readonly Value[]) => void;
  /** Records the run's kernel calls for replays (replay.ts). */
  readonly recorder?: RunRecorder;
}

export interface OpTime {
  readonly opType: string;
  ms: number;
  count: number;
}

/** One node's wall time in a run (every sample's call together in a batch). */
export interface NodeTime {
  readonly nodeName: string;
  readonly opType: string;
  ms: number;
}

export interface RunStats {
  /** Wall time of the run in milliseconds. */
  readonly ms: number;
  /**
   * Peak bytes of tensors alive at once: activations, feeds kept for later use, the running step's
   * weights and the next step's, which are requested before the kernel runs. (A provider's own
   * read-ahead beyond that is its business: see its byte budget.)
   */
  readonly peakTensorBytes: number;
  /** Bytes of weights requested from the provider, as stored in the model files (before conversion). */
  readonly weightBytes: number;
  readonly steps: number;
  /** Per operator type, when profiling. */
  readonly opTimes?: readonly OpTime[];
  /** Per node in the order the nodes ran, when profiling. */
  readonly nodeTimes?: readonly NodeTime[];
  /**
   * The run replayed a recorded one (replay.ts): its peak and weight figures are the recorded
   * run's; its activations took one arena of `arenaBytes`.
   */
  readonly replayed?: { readonly arenaBytes: number };
}

/**
 * Counts live tensor bytes once per underlying buffer (reshaped views share theirs; a sequence
 * shares its tensors with the values it was built from), and frees buffers owned outside
 * JavaScript (native backends) as soon as the last value over them dies, unless they also back a
 * feed, a weight or a constant.
 */
class LiveBytes {
  #refs = new Map<unknown, number>();
  /** Bytes counted per key: its storage's, all of it while any view of it lives. */
  #counted = new Map<unknown, number>();
  // Weak: a kept weight must not outlive its step just because the run remembers it was kept.
  #kept = new WeakSet<object>();
  bytes = 0;
  peak = 0;

  /** Buffers that belong to the caller or a provider: counted, never freed by the run. */
  keep(t: Tensor): void {
    this.#kept.add(keyOf(t));
  }

  add(v: Value): void {
    if (v instanceof Tensor) this.#addTensor(v);
    else for (const t of tensorsOf(v)) this.#addTensor(t);
  }

  remove(v: Value): void {
    if (v instanceof Tensor) this.#removeTensor(v);
    else for (const t of tensorsOf(v)) this.#removeTensor(t);
  }

  #addTensor(t: Tensor): void {
    const key = keyOf(t);
    const n = this.#refs.get(key) ?? 0;
    this.#refs.set(key, n + 1);
    const counted = n === 0 ? 0 : this.#counted.get(key)!;
    // Distinct storages may share a key (weights sliced from one file buffer): the largest counts.
    if (t.storageBytes > counted) {
      this.bytes += t.storageBytes - counted;
      this.#counted.set(key, t.storageBytes);
    }
  }

  #removeTensor(t: Tensor): void {
    const key = keyOf(t);
    const n = this.#refs.get(key) ?? 0;
    if (n <= 1) {
      this.#refs.delete(key);
      if (n === 1) this.bytes -= this.#counted.get(key)!;
      this.#counted.delete(key);
      if (t.ownsMemory && !this.#kept.has(key)) t.dispose();
    } else this.#refs.set(key, n - 1);
  }

  /**
   * Frees a buffer kept until now: it is forgotten first, since a backend may hand its memory (and
   * so its key) to a tensor made later in the run.
   */
  disposeKept(t: Tensor): void {
    this.#kept.delete(keyOf(t));
    t.dispose();
  }

  /** Whether `t`'s buffer is freed with its one live value: owned by the run and viewed by nothing else. */
  sole(t: Tensor): boolean {
    const key = keyOf(t);
    return t.ownsMemory && this.#refs.get(key) === 1 && !this.#kept.has(key);
  }

  /** Whether a live value uses `t`'s buffer. */
  references(t: Tensor): boolean {
    return this.#refs.has(keyOf(t));
  }

  mark(extra = 0): void {
    if (this.bytes + extra > this.peak) this.peak = this.bytes + extra;
  }
}

function keyOf(t: Tensor): object {
  return t.memoryKey;
}

/** Runs `plan` with `feeds` (by feed name). Returns the requested outputs and run statistics. */
export async function executePlan(
  plan: Plan,
  feeds: ReadonlyMap<string, Value>,
  options: ExecuteOptions,
): Promise<{ outputs: Map<string, Value>; stats: RunStats }> {
  const { outputs, stats } = await executePlanBatch(plan, [feeds], options);
  return { outputs: outputs[0], stats };
}

/**
 * Runs `plan` once per set of feeds, all of them step by step together, so each operator's weights
 * are read once for every sample (OnnxStream's multi-sample runs). Live tensor bytes count every
 * sample's values.
 */
export async function executePlanBatch(
  plan: Plan,
  feedsList: readonly ReadonlyMap<string, Value>[],
  options: ExecuteOptions,
): Promise<{ outputs: Map<string, Value>[]; stats: RunStats }> {
  const start = performance.now();
  const { provider, signal } = options;
  const samples = feedsList.map(() => new Array<Value | undefined>(plan.valueCount));
  const live = new LiveBytes();
  // Per sample: the Concat outputs allocated so far by producers of their inputs (Plan.placements),
  // held (counted live) until their Concat runs.
  const assembling = feedsList.map(() => new Map<number, Tensor>());
  /** Where value `id` is to be computed, as a Concat output assembled or a view of one; else undefined. */
  const destination = (sample: number, id: number): Tensor | undefined => {
    const own = assembling[sample].get(id);
    if (own) return own;
    const p = plan.placements.get(id);
    if (!p) return undefined;
    let target = assembling[sample].get(p.target);
    if (!target) {
      // A Concat output placed in a later Concat's is a view of that one.
      target = destination(sample, p.target);
      if (!target) {
        target = plan.steps[p.step].backend.allocate!(p.targetType, p.targetDims);
        options.recorder?.allocated(target);
      }
      assembling[sample].set(p.target, target);
      live.add(target);
    }
    return target.subview(p.offset, p.dims);
  };
  feedsList.forEach((feeds, k) => {
    for (const [name, id] of plan.feeds) {
      const v = feeds.get(name);
      if (!v) throw new OnnxStreamError(`missing value '${name}'`);
      samples[k][id] = v;
      live.add(v);
      for (const t of tensorsOf(v)) live.keep(t);
    }
  });
  const opTimes = options.profile ? new Map<string, OpTime>() : undefined;
  const nodeTimes: NodeTime[] | undefined = options.profile
    ? plan.steps.map((s) => ({ nodeName: s.node.name, opType: s.node.opType, ms: 0 }))
    : undefined;
  let weightBytes = 0;
  // The largest block of the running step's sliced weight: two at most (one read ahead) are held.
  let sliceBytes = 0;
  const readSlice = (storedBytes: number, readyBytes: number) => {
    weightBytes += storedBytes;
    sliceBytes = Math.max(sliceBytes, readyBytes);
  };

  provider.beginRun?.(plan.weightOrder);
  // The next step's weights, requested before the current kernel runs, count as held from then on
  // (as read from the file), so the figure does not depend on when the reads complete.
  let nextBytes = 0;
  const fetch = (step: Step | undefined): Promise<Tensor[]> | undefined => {
    nextBytes = 0;
    if (!step || step.weights.length === 0) return undefined;
    nextBytes = step.weights.reduce((sum, w) => sum + w.byteLength, 0);
    const p = Promise.all(step.weights.map((w) => provider.get(w)));
    // The rejection surfaces when the step awaits it; avoid an unhandled-rejection report meanwhile.
    p.catch(ignore);
    return p;
  };
  const readAhead = provider.readAhead !== false;
  let next = fetch(plan.steps[0]);
  try {
    for (let i = 0; i < plan.steps.length; i++) {
      signal?.throwIfAborted();
      const step = plan.steps[i];
      sliceBytes = 0;
      let weights: readonly Tensor[] = NO_TENSORS;
      let raws: readonly Tensor[] = NO_TENSORS;
      // Converted weights nobody keeps: released after the step.
      const converted: Tensor[] = [];
      try {
        // A step without weights does not wait a turn for them.
        raws = next ? await next : NO_TENSORS;
        // Requested after the previous step: these are this step's weights, not the next one's.
        if (!readAhead) nextBytes = 0;
        // Weights prepared already (a provider keeps them so) are used as they are, in `raws`.
        let readied: Tensor[] | undefined;
        for (let k = 0; k < raws.length; k++) {
          const t = raws[k];
          const ref = step.weights[k];
          if (step.backend.isPrepared?.(t)) continue;
          const ready =
            t.type === computeTypeOf(ref)
              ? (prepareFor(plan, step, provider, ref, t) ?? t)
              : await convertFor(plan, step, provider, ref, t);
          if (ready === t) continue;
          // Offer the final form, so a caching provider keeps that instead of the file's.
          if (provider.update?.(ref, ready) !== true) converted.push(ready);
          readied ??= raws.slice();
          readied[k] = ready;
        }
        weights = readied ?? raws;
      } catch (e) {
        throw stepError(step, `cannot load weights: ${(e as Error).message}`, e);
      }
      if (readAhead) next = fetch(plan.steps[i + 1]);
      let weightStepBytes = 0;
      // Indexed loops in the step loop: its iterators were a tenth of a small model's garbage.
      for (let k = 0; k < weights.length; k++) {
        weightStepBytes += weights[k].byteLength;
        live.keep(weights[k]);
      }
      if (options.recorder) {
        if (converted.length > 0)
          options.recorder.invalidate(`a weight of '${step.node.name}' is converted every run`);
        options.recorder.step(step, weights);
      }
      for (let k = 0; k < step.weights.length; k++) weightBytes += step.weights[k].byteLength;
      for (let k = 0; k < step.inputs.length; k++) {
        const s = step.inputs[k];
        if (s.kind === 'const') live.keep(s.tensor);
      }
      // Per step and sample, only what the call itself holds is allocated: a small model's run is
      // a hundred of these, and its garbage cost a young-generation collection every few runs.
      for (let sample = 0; sample < samples.length; sample++) {
        const values = samples[sample];
        const given: (Value | undefined)[] = new Array(step.inputs.length);
        // The inputs as tensors: `given` itself unless a value is a sequence or an optional.
        let tensors = true;
        for (let k = 0; k < given.length; k++) {
          const v = resolveSlot(plan, step, weights, values, step.inputs[k]);
          given[k] = v;
          if (v !== undefined && !(v instanceof Tensor)) tensors = false;
        }
        let donated: boolean[] | undefined;
        for (let k = 0; k < given.length; k++) {
          const slot = step.inputs[k];
          const v = given[k];
          if (slot.kind === 'value' && v instanceof Tensor && step.free.includes(slot.id) && live.sole(v)) {
            donated ??= new Array<boolean>(given.length).fill(false);
            donated[k] = true;
          }
        }
        let scope: ReadonlyMap<string, Value> = NO_SCOPE;
        if (step.scope.length > 0) {
          const named = new Map<string, Value>();
          for (const [name, s] of step.scope) {
            const v = resolveSlot(plan, step, weights, values, s);
            if (v) named.set(name, v);
          }
          scope = named;
        }
        let placed: (Tensor | undefined)[] | undefined;
        if (plan.placements.size > 0) {
          for (let k = 0; k < step.outputs.length; k++) {
            const dest = step.outputs[k] < 0 ? undefined : destination(sample, step.outputs[k]);
            if (!dest) continue;
            placed ??= new Array<Tensor | undefined>(step.outputs.length);
            placed[k] = dest;
          }
        }
        const t0 = opTimes ? performance.now() : 0;
        let outs: Value[];
        try {
          outs = step.rows
            ? [await gatherRows(provider, step.rows, given[1], (bytes) => (weightBytes += bytes))]
            : await step.backend.run({
                op: step.op,
                sliced: step.slices ? slicedWeight(step, provider, readSlice) : undefined,
                inputs: tensors
                  ? (given as (Tensor | undefined)[])
                  : given.map((v) => (v instanceof Tensor ? v : undefined)),
                values: given,
                donated,
                placed,
                recorder: options.recorder,
                attrs: step.attrs,
                opset: step.opset,
                outputCount: step.node.outputs.length,
                node: step.node,
                runSubgraph: (g, subInputs) => runSubgraph(g, new Map([...scope, ...subInputs]), options),
              });
        } catch (e) {
          if (e instanceof Error && e.name === 'AbortError') throw e;
          if (e instanceof OperatorError && e.nodeName === step.node.name) throw e;
          // Errors from a subgraph's operators keep their message, prefixed by the enclosing node.
          throw stepError(step, (e as Error).message, e);
        }
        if (opTimes && nodeTimes) {
          const ms = performance.now() - t0;
          const key = step.node.opType;
          const entry = opTimes.get(key) ?? { opType: key, ms: 0, count: 0 };
          entry.ms += ms;
          entry.count++;
          opTimes.set(key, entry);
          nodeTimes[i].ms += ms;
        }
        options.observe?.(step, outs);
        for (let k = 0; k < step.outputs.length; k++) {
          const id = step.outputs[k];
          if (id < 0) continue;
          const v = outs[k];
          if (!v) throw stepError(step, `produced ${outs.length} outputs, output ${k} is missing`);
          if (v instanceof Tensor) checkDims(step, k, v);
          values[id] = v;
          live.add(v);
          // The Concat ran: its output counts as a value now, no longer as held for it.
          const held = assembling[sample].get(id);
          if (held) {
            assembling[sample].delete(id);
            live.remove(held);
          }
        }
        live.mark(weightStepBytes + 2 * sliceBytes + nextBytes);
        for (let k = 0; k < step.free.length; k++) {
          const id = step.free[k];
          const v = values[id];
          if (v) live.remove(v);
          values[id] = undefined;
        }
      }
      // Hand the weights back (a provider may recycle their buffers) unless a live value still
      // views them (a Reshape of a weight shares its data).
      for (let k = 0; k < raws.length; k++) {
        if (!live.references(raws[k])) provider.release?.(step.weights[k], raws[k]);
      }
      for (let k = 0; k < converted.length; k++)
        if (!live.references(converted[k])) live.disposeKept(converted[k]);
      if (!readAhead) next = fetch(plan.steps[i + 1]);
      options.onProgress?.({
        stage: 'run',
        step: i + 1,
        steps: plan.steps.length,
        opType: step.node.opType,
        nodeName: step.node.name,
      });
    }
  } finally {
    await provider.endRun?.();
  }
  const outputs = samples.map((values) => {
    const out = new Map<string, Value>();
    for (const [name, s] of plan.outputs) {
      const v = s.kind === 'value' ? values[s.id] : s.kind === 'const' ? s.tensor : undefined;
      if (!v) throw new OnnxStreamError(`output '${name}' was not computed`);
      out.set(name, v);
    }
    return out;
  });
  return {
    outputs,
    stats: {
      ms: performance.now() - start,
      peakTensorBytes: live.peak,
      weightBytes,
      steps: plan.steps.length,
      opTimes: opTimes ? [...opTimes.values()].sort((a, b) => b.ms - a.ms) : undefined,
      nodeTimes,
    },
  };
}

/**
 * Step.slices as the kernel call's `sliced`: blocks of rows read through the provider's `getRows`,
 * converted and prepared as the whole weight would be.
 */
const NO_TENSORS: readonly Tensor[] = Object.freeze([]);

const ignore = () => {};

/** `w` prepared (packed) by its step's backend; undefined when shared by several nodes or left as it is. */
function prepareFor(
  plan: Plan,
  step: Step,
  provider: WeightsProvider,
  ref: WeightRef,
  w: Tensor,
): Tensor | undefined {
  if (plan.sharedWeights.has(ref.name)) return undefined;
  const kept = provider.keeps ? provider.keeps(ref) : provider.update !== undefined;
  return step.backend.prepareWeight?.(step.node, step.node.inputs.indexOf(ref.name), w, kept);
}

/** A weight stored in another type than its compute type, converted and prepared. */
async function convertFor(
  plan: Plan,
  step: Step,
  provider: WeightsProvider,
  ref: WeightRef,
  t: Tensor,
): Promise<Tensor> {
  // A backend may prepare (pack) the stored form itself, converting in the same pass.
  const ready = prepareFor(plan, step, provider, ref, t);
  if (ready) return ready;
  // The backend converts in its own memory when it can (no JavaScript garbage per weight).
  const to = computeTypeOf(ref);
  const loaded = (await step.backend.convertWeight?.(t, to)) ?? toComputeType(ref, t);
  const prepared = prepareFor(plan, step, provider, ref, loaded);
  if (prepared && loaded !== t && loaded.ownsMemory) loaded.dispose();
  return prepared ?? loaded;
}

/** The scope of a step whose subgraphs read nothing from it. */
const NO_SCOPE: ReadonlyMap<string, Value> = new Map();

/** The value a step's slot holds in one sample's `values` (weights: the step's, as prepared). */
function resolveSlot(
  plan: Plan,
  step: Step,
  weights: readonly Tensor[],
  values: readonly (Value | undefined)[],
  s: Slot,
): Value | undefined {
  switch (s.kind) {
    case 'none':
      return undefined;
    case 'const':
      return s.tensor;
    case 'weight': {
      const k = step.weights.indexOf(s.ref);
      return k < 0 ? undefined : weights[k];
    }
    case 'value': {
      const v = values[s.id];
      if (!v) throw stepError(step, `internal: value '${plan.valueNames[s.id]}' is not available`);
      return v;
    }
  }
}

function slicedWeight(
  step: Step,
  provider: WeightsProvider,
  onRead: (storedBytes: number, readyBytes: number) => void,
): SlicedWeight {
  const { ref, input, rows } = step.slices!;
  const { backend, node } = step;
  return {
    input,
    rows,
    dims: ref.dims,
    async read(first: number, count: number): Promise<Tensor> {
      if (
        !Number.isInteger(first) ||
        !Number.isInteger(count) ||
        first < 0 ||
        count < 1 ||
        first + count > ref.dims[0]
      )
        throw new OnnxStreamError(
          `rows [${first}, ${first + count}) are outside weight '${ref.name}' (${ref.dims[0]} rows)`,
        );
      const raw = await provider.getRows!(
        ref,
        Int32Array.from({ length: count }, (_, i) => first + i),
      );
      const storedBytes = raw.byteLength;
      const to = computeTypeOf(ref);
      // A backend may read the stored form itself (float16 packed per call), as for a whole weight.
      let ready = raw.type === to ? undefined : backend.prepareWeight?.(node, input, raw, false);
      if (!ready) {
        const block = { ...ref, dims: raw.dims, byteLength: raw.byteLength };
        const loaded =
          raw.type === to ? raw : ((await backend.convertWeight?.(raw, to)) ?? toComputeType(block, raw));
        if (loaded !== raw) raw.dispose();
        ready = backend.prepareWeight?.(node, input, loaded, false) ?? loaded;
        if (ready !== loaded) loaded.dispose();
      }
      onRead(storedBytes, ready.byteLength);
      return ready;
    },
  };
}

/**
 * A Gather of a weight's rows by `indices` (Step.rows): only those rows are read, then converted to
 * the type operators see. Output: indices.dims + the weight's row dims.
 */
async function gatherRows(
  provider: WeightsProvider,
  ref: WeightRef,
  indices: Value | undefined,
  onRead: (bytes: number) => void,
): Promise<Tensor> {
  if (!(indices instanceof Tensor)) throw new OnnxStreamError('Gather: indices must be a tensor');
  const count = ref.dims[0];
  const rows = Int32Array.from(indexValues(indices), (i) => resolveIndex(i, count));
  const read = await provider.getRows!(ref, rows);
  onRead(read.byteLength);
  const out = toComputeType(ref, read);
  // The rows as read may sit in a host-allocated buffer: freed now rather than by the collector.
  if (out !== read) read.dispose();
  return out.reshape([...indices.dims, ...ref.dims.slice(1)]);
}

function stepError(step: Step, message: string, cause?: unknown): OperatorError {
  return new OperatorError(step.node.opType, step.node.name, message, step.node.source, { cause });
}

function checkDims(step: Step, k: number, t: Tensor): void {
  const declared: readonly Dim[] | undefined = step.declared[k];
  if (!declared) return;
  if (
    declared.length !== t.dims.length ||
    declared.some((d, i) => typeof d === 'number' && d !== t.dims[i])
  ) {
    throw stepError(
      step,
      `output '${step.node.outputs[k]}' is declared ${formatShape(declared)} but has shape ${formatShape(t.dims)}`,
    );
  }
}

const NO_WEIGHTS: WeightsProvider = {
  name: 'none',
  get: (ref) => Promise.reject(new OnnxStreamError(`subgraph weight '${ref.name}' has no provider`)),
};

/** Plans per subgraph and feed signature, a few per subgraph: bodies whose shapes change every iteration stay bounded. */
const subgraphPlans = new WeakMap<Graph, Map<string, Plan>>();
const SUBGRAPH_PLANS_PER_GRAPH = 8;

/** Runs an If/Loop/Scan body. Values it reads from enclosing scopes come in `feeds` too. */
async function runSubgraph(
  graph: Graph,
  feeds: Map<string, Value>,
  options: ExecuteOptions,
): Promise<Value[]> {
  const key = signature(feeds);
  let cache = subgraphPlans.get(graph);
  if (!cache) {
    cache = new Map();
    subgraphPlans.set(graph, cache);
  }
  let plan = cache.get(key);
  if (!plan) {
    const metas = new Map<string, ValueMeta>([...feeds].map(([n, v]) => [n, metaOf(v)]));
    plan = await planGraph(graph, {
      feeds: metas,
      outputs: graph.outputs.map((o) => o.name),
      backend: options.backend,
    });
    if (cache.size >= SUBGRAPH_PLANS_PER_GRAPH) cache.delete(cache.keys().next().value!);
    cache.set(key, plan);
  }
  const { outputs } = await executePlan(plan, feeds, {
    ...options,
    provider: NO_WEIGHTS,
    onProgress: undefined,
  });
  return graph.outputs.map((o) => outputs.get(o.name)!);
}

/** What planning knows of a fed value: a tensor's type and shape, the kind and element type of others. */
export function metaOf(v: Value): ValueMeta {
  if (v instanceof Tensor) return { type: v.type, dims: v.dims };
  if (v instanceof TensorSequence) return { kind: 'sequence', type: v.elementType };
  return { kind: 'optional', optionalOf: v.elementKind, type: v.elementType };
}

/** A cache key for what metaOf tells of a set of feeds. */
export function signature(feeds: ReadonlyMap<string, Value>): string {
  return [...feeds].map(([n, v]) => `${n}:${key(v)}`).join('|');
}

function key(v: Value): string {
  if (v instanceof Tensor) return `${v.type}:${v.dims.join('x')}`;
  if (v instanceof OptionalValue) return `optional-${v.elementKind}:${v.elementType}`;
  return `sequence:${v.elementType}`;
}
