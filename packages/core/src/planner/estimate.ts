/**
 * Static memory estimate of a plan: replays the executor's allocation pattern with inferred shapes.
 */
import { DTYPES } from '../tensor/dtype.js';
import type { Plan } from './plan.js';

export interface PeakEstimate {
  /** Peak bytes of live tensors (activations + the running step's weights), as the executor counts them. */
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
  plan.steps.forEach((step, i) => {
    const w = step.weights.reduce((s, r) => s + r.byteLength, 0);
    maxStepWeightBytes = Math.max(maxStepWeightBytes, w);
    for (const id of step.outputs) if (id >= 0) live += bytesOf(id);
    if (live + w > peak) {
      peak = live + w;
      peakStep = i;
    }
    for (const id of step.free) live -= bytesOf(id);
  });
  return { peakBytes: peak, peakStep, exact, typesAssumed, maxStepWeightBytes };
}
