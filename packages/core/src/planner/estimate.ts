/**
 * Static memory estimate of a plan: replays the executor's allocation pattern with inferred shapes.
 */
import { computeTypeOf } from '../formats/weights.js';
import type { WeightRef } from '../graph/graph.js';
import { DTYPES } from '../tensor/dtype.js';
import type { Plan, Step } from './plan.js';

export interface PeakEstimate {
  /**
   * Peak bytes of live tensors (activations, the running and the next step's weights), as the executor
   * counts them with a read-ahead provider; an upper bound where elementwise kernels write in place
   * (native, wasm) or the provider reads no weights ahead (`readAhead: false`).
   */
  readonly peakBytes: number;
  /** Index of the step at the peak. */
  readonly peakStep: number;
  /** False when some value's shape is unknown before running (it then counts as 0 bytes: a lower bound). */
  readonly exact: boolean;
  /** Some value types are unknown before running (model.txt declares none): 4-byte elements were assumed. */
  readonly typesAssumed: boolean;
  /** The largest single step's weight bytes. */
  readonly maxStepWeightBytes: number;
}

export function estimatePeak(plan: Plan): PeakEstimate {
  let exact = true;
  let typesAssumed = false;
  const bytesOf = (id: number): number => {
    const m = plan.metas.get(plan.valueNames[id]);
    if (!m?.dims || m.dims.some((d) => typeof d !== 'number')) {
      exact = false;
      return 0;
    }
    if (!m.type) typesAssumed = true;
    const count = (m.dims as number[]).reduce((a, b) => a * b, 1);
    return count * (m.type ? DTYPES[m.type].bytes : 4);
  };
  let live = 0;
  for (const id of plan.feeds.values()) live += bytesOf(id);
  let peak = live;
  let peakStep = -1;
  let maxStepWeightBytes = 0;
  const { weightBytes, heldBytes } = stepWeightBytes(plan.steps);
  plan.steps.forEach((step, i) => {
    maxStepWeightBytes = Math.max(maxStepWeightBytes, weightBytes[i]);
    for (const id of step.outputs) if (id >= 0) live += bytesOf(id);
    const held = heldBytes[i];
    if (live + held > peak) {
      peak = live + held;
      peakStep = i;
    }
    for (const id of step.free) live -= bytesOf(id);
  });
  return { peakBytes: peak, peakStep, exact, typesAssumed, maxStepWeightBytes };
}

/**
 * Per step: its weights as operators see them (after conversions such as float16 -> float32; a
 * sliced weight (Step.slices) two blocks, one read ahead), and the weight bytes held while its kernel
 * runs: those plus the next step's as read from the file, requested before the kernel runs.
 */
export function stepWeightBytes(steps: readonly Pick<Step, 'weights' | 'slices'>[]): {
  weightBytes: number[];
  heldBytes: number[];
} {
  const seen = (r: WeightRef) => r.dims.reduce((a, b) => a * b, 1) * DTYPES[computeTypeOf(r)].bytes;
  const weightBytes = steps.map(
    (step) =>
      step.weights.reduce((s, r) => s + seen(r), 0) +
      (step.slices ? (2 * seen(step.slices.ref) * step.slices.rows) / step.slices.ref.dims[0] : 0),
  );
  const fileBytes = steps.map((step) => step.weights.reduce((s, r) => s + r.byteLength, 0));
  return { weightBytes, heldBytes: weightBytes.map((w, i) => w + (fileBytes[i + 1] ?? 0)) };
}
