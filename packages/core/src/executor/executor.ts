/**
 * The streaming executor: runs a plan one step at a time. Before each kernel it asks the weights
 * provider for the next step's weights (so reads overlap compute), after each kernel it drops the
 * step's weights and every value whose last use it was. It measures the peak of live tensor bytes.
 */
import type { Backend } from '../backend/backend.js';
import { OnnxStreamError, OperatorError } from '../errors.js';
import { toComputeType } from '../formats/weights.js';
import type { Dim, Graph, WeightRef } from '../graph/graph.js';
import type { ValueMeta } from '../ops/op.js';
import { type Plan, planGraph, type Slot, type Step } from '../planner/plan.js';
import type { WeightsProvider } from '../provider/weights-provider.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

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
  /** Collect wall time per operator type. */
  readonly profile?: boolean;
}

export interface OpTime {
  readonly opType: string;
  ms: number;
  count: number;
}

export interface RunStats {
  /** Wall time of the run in milliseconds. */
  readonly ms: number;
  /** Peak bytes of tensors alive at once: activations, feeds kept for later use, and the current step's weights. */
  readonly peakTensorBytes: number;
  /** Bytes of weights requested from the provider. */
  readonly weightBytes: number;
  readonly steps: number;
  /** Per operator type, when profiling. */
  readonly opTimes?: readonly OpTime[];
}

/** Counts live tensor bytes once per underlying buffer (reshaped views share theirs). */
class LiveBytes {
  #refs = new Map<unknown, number>();
  bytes = 0;
  peak = 0;

  add(t: Tensor): void {
    const key = keyOf(t);
    const n = this.#refs.get(key) ?? 0;
    this.#refs.set(key, n + 1);
    if (n === 0) this.bytes += t.byteLength;
  }

  remove(t: Tensor): void {
    const key = keyOf(t);
    const n = this.#refs.get(key) ?? 0;
    if (n <= 1) {
      this.#refs.delete(key);
      if (n === 1) this.bytes -= t.byteLength;
    } else this.#refs.set(key, n - 1);
  }

  mark(extra = 0): void {
    if (this.bytes + extra > this.peak) this.peak = this.bytes + extra;
  }
}

function keyOf(t: Tensor): unknown {
  const d = t.data;
  return Array.isArray(d) ? d : (d as Uint8Array).buffer;
}

/** Runs `plan` with `feeds` (by feed name). Returns the requested outputs and run statistics. */
export async function executePlan(
  plan: Plan,
  feeds: ReadonlyMap<string, Tensor>,
  options: ExecuteOptions,
): Promise<{ outputs: Map<string, Tensor>; stats: RunStats }> {
  const start = performance.now();
  const { provider, signal } = options;
  const values = new Array<Tensor | undefined>(plan.valueCount);
  const live = new LiveBytes();
  for (const [name, id] of plan.feeds) {
    const t = feeds.get(name);
    if (!t) throw new OnnxStreamError(`missing value '${name}'`);
    values[id] = t;
    live.add(t);
  }
  const opTimes = options.profile ? new Map<string, OpTime>() : undefined;
  let weightBytes = 0;

  provider.beginRun?.(plan.weightOrder);
  const fetch = (step: Step | undefined): Promise<Tensor[]> | undefined => {
    if (!step || step.weights.length === 0) return undefined;
    const p = Promise.all(step.weights.map((w) => provider.get(w)));
    // The rejection surfaces when the step awaits it; avoid an unhandled-rejection report meanwhile.
    p.catch(() => {});
    return p;
  };
  let next = fetch(plan.steps[0]);
  try {
    for (let i = 0; i < plan.steps.length; i++) {
      signal?.throwIfAborted();
      const step = plan.steps[i];
      let weights: Tensor[] = [];
      try {
        weights = ((await next) ?? []).map((t, k) => {
          const ref = step.weights[k];
          const converted = toComputeType(ref, t);
          // Offer the converted form once, so a caching provider keeps that instead.
          if (converted !== t) provider.update?.(ref, converted);
          return converted;
        });
      } catch (e) {
        throw stepError(step, `cannot load weights: ${(e as Error).message}`, e);
      }
      next = fetch(plan.steps[i + 1]);
      const byRef = new Map<WeightRef, Tensor>(step.weights.map((w, k) => [w, weights[k]]));
      let weightStepBytes = 0;
      for (const w of weights) weightStepBytes += w.byteLength;
      weightBytes += weightStepBytes;
      const resolve = (s: Slot): Tensor | undefined => {
        switch (s.kind) {
          case 'none':
            return undefined;
          case 'const':
            return s.tensor;
          case 'weight':
            return byRef.get(s.ref);
          case 'value': {
            const v = values[s.id];
            if (!v) throw stepError(step, `internal: value '${plan.valueNames[s.id]}' is not available`);
            return v;
          }
        }
      };
      const inputs = step.inputs.map(resolve);
      const scope = new Map<string, Tensor>();
      for (const [name, s] of step.scope) {
        const t = resolve(s);
        if (t) scope.set(name, t);
      }
      const t0 = opTimes ? performance.now() : 0;
      let outs: Tensor[];
      try {
        outs = await step.backend.run({
          op: step.op,
          inputs,
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
      if (opTimes) {
        const key = step.node.opType;
        const entry = opTimes.get(key) ?? { opType: key, ms: 0, count: 0 };
        entry.ms += performance.now() - t0;
        entry.count++;
        opTimes.set(key, entry);
      }
      step.outputs.forEach((id, k) => {
        if (id < 0) return;
        const t = outs[k];
        if (!t) throw stepError(step, `produced ${outs.length} outputs, output ${k} is missing`);
        checkDims(step, k, t);
        values[id] = t;
        live.add(t);
      });
      live.mark(weightStepBytes);
      for (const id of step.free) {
        const t = values[id];
        if (t) live.remove(t);
        values[id] = undefined;
      }
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
  const outputs = new Map<string, Tensor>();
  for (const [name, s] of plan.outputs) {
    const t = s.kind === 'value' ? values[s.id] : s.kind === 'const' ? s.tensor : undefined;
    if (!t) throw new OnnxStreamError(`output '${name}' was not computed`);
    outputs.set(name, t);
  }
  return {
    outputs,
    stats: {
      ms: performance.now() - start,
      peakTensorBytes: live.peak,
      weightBytes,
      steps: plan.steps.length,
      opTimes: opTimes ? [...opTimes.values()].sort((a, b) => b.ms - a.ms) : undefined,
    },
  };
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
  feeds: Map<string, Tensor>,
  options: ExecuteOptions,
): Promise<Tensor[]> {
  const key = signature(feeds);
  let cache = subgraphPlans.get(graph);
  if (!cache) {
    cache = new Map();
    subgraphPlans.set(graph, cache);
  }
  let plan = cache.get(key);
  if (!plan) {
    const metas = new Map<string, ValueMeta>([...feeds].map(([n, t]) => [n, { type: t.type, dims: t.dims }]));
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

/** A cache key for the types and shapes of a set of feeds. */
export function signature(feeds: ReadonlyMap<string, Tensor>): string {
  return [...feeds].map(([n, t]) => `${n}:${t.type}:${t.dims.join('x')}`).join('|');
}
