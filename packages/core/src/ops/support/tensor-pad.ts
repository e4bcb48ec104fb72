/**
 * Padding and cropping along axes (Pad, CenterCropPad): negative pads crop, positive pads extend
 * with a constant or by reflecting, repeating the edge, or wrapping around.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { check } from '../op.js';
import { type AxisMaps, remapAxes } from './tensor-remap.js';

type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

export function padMode(mode: string): PadMode {
  check(
    mode === 'constant' || mode === 'reflect' || mode === 'edge' || mode === 'wrap',
    () => `unknown pad mode '${mode}'`,
  );
  return mode;
}

/**
 * Input coordinate for each output coordinate of one axis. Negative pads crop first; the
 * non-constant modes then extend the cropped range.
 */
function padAxisMap(size: number, begin: number, end: number, mode: PadMode): Int32Array {
  const lo = Math.max(-begin, 0);
  const len = size - lo - Math.max(-end, 0);
  check(len >= 0, () => `pads ${begin},${end} crop more than the dimension of ${size}`);
  const before = Math.max(begin, 0);
  const outSize = len + before + Math.max(end, 0);
  check(
    mode === 'constant' || len > 0 || outSize === 0,
    () => `${mode} padding needs a non-empty input dimension`,
  );
  const map = new Int32Array(outSize);
  const period = 2 * (len - 1);
  for (let j = 0; j < outSize; j++) {
    let p = j - before;
    if (p < 0 || p >= len) {
      if (mode === 'constant') p = -1 - lo;
      else if (mode === 'edge') p = p < 0 ? 0 : len - 1;
      else if (mode === 'wrap') p = ((p % len) + len) % len;
      else if (period === 0) p = 0;
      else {
        // Reflection without repeating the edge, periodic beyond one reflection (numpy's 'reflect').
        p = ((p % period) + period) % period;
        if (p >= len) p = period - p;
      }
    }
    map[j] = p + lo;
  }
  return map;
}

/** Pads (or crops) `x` by `begins`/`ends` per axis; `fill` is the raw constant element (zero when undefined). */
export function padTensor(
  x: Tensor,
  begins: readonly number[],
  ends: readonly number[],
  mode: PadMode,
  fill?: unknown,
): Tensor {
  const maps: AxisMaps = x.dims.map((d, a) => padAxisMap(d, begins[a], ends[a], mode));
  return remapAxes(
    x,
    maps.map((m) => m.length),
    maps,
    fill,
  );
}

/** Output size of one padded axis (unknown stays unknown). */
export function paddedDim(d: number | string | null, begin: number, end: number): number | null {
  return typeof d === 'number' ? d + begin + end : null;
}
