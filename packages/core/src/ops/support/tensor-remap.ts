/**
 * Separable index remapping: each output coordinate along each axis reads one input coordinate
 * (or a fill value). Expand, Tile, Pad (every mode) and CenterCropPad are all this one loop with
 * different per-axis maps.
 */
import { shapeSize, stridesOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { allocElements, elementsOf, tensorOf } from './tensor-data.js';

/** Per output axis, the input coordinate of each output coordinate; -1 reads the fill value. */
export type AxisMaps = readonly Int32Array[];

export function remapAxes(x: Tensor, outDims: readonly number[], maps: AxisMaps, fill?: unknown): Tensor {
  const rank = outDims.length;
  const n = shapeSize(outDims);
  const out = allocElements(x.type, n);
  const src = elementsOf(x);
  if (n > 0 && rank === 0) out[0] = src[0];
  if (n === 0 || rank === 0) return tensorOf(x.type, out, outDims, x.quant);
  const strides = stridesOf(x.dims);
  // Element offsets per axis and coordinate; -1 marks the fill value.
  const offs = maps.map((m, a) => m.map((i) => (i < 0 ? -1 : i * strides[a])));
  const inner = outDims[rank - 1];
  const innerOffs = offs[rank - 1];
  const counter = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; ) {
    let base = 0;
    for (let a = 0; a < rank - 1 && base >= 0; a++) {
      const off = offs[a][counter[a]];
      base = off < 0 ? -1 : base + off;
    }
    if (base < 0) {
      if (fill !== undefined) for (let j = 0; j < inner; j++) out[o + j] = fill;
      o += inner;
    } else {
      for (let j = 0; j < inner; j++, o++) {
        const off = innerOffs[j];
        if (off >= 0) out[o] = src[base + off];
        else if (fill !== undefined) out[o] = fill;
      }
    }
    for (let a = rank - 2; a >= 0; a--) {
      if (++counter[a] < outDims[a]) break;
      counter[a] = 0;
    }
  }
  return tensorOf(x.type, out, outDims, x.quant);
}

/** The map of one axis that repeats or broadcasts: output coordinate j reads j modulo the input size. */
export function cyclicMap(inSize: number, outSize: number): Int32Array {
  const m = new Int32Array(outSize);
  for (let j = 0; j < outSize; j++) m[j] = j % inSize;
  return m;
}
