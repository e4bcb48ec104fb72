/**
 * Resize (opset 10+) and Upsample on float32, or float16 under fp16 arithmetic, nearest (every nearest_mode) or linear, with the
 * half_pixel, half_pixel_symmetric, pytorch_half_pixel, tf_half_pixel_for_nn, align_corners and
 * asymmetric coordinates, over the last two axes. Cubic, antialiasing, tf_crop_and_resize, aspect
 * ratio policies and resizing of leading axes stay with the reference.
 */
import {
  asNumbers,
  type KernelCall,
  type Node,
  normalizeAxis,
  shapeSize,
  type Tensor,
} from '../../../index.js';
import { CoordMode, NearestMode } from '../kernels.js';
import { elemParam, isFloat, type KernelOp, outputTensor, runKernel } from './kernel-op.js';
import { attrsOf, reference, valueDims, view } from './support.js';

/** Coordinate and rounding modes as the reference reads them (Upsample and Resize-10: opset 9/10 defaults). */
function modes(node: Node, opset: number): { mode: string; coord: string; nearest: string } {
  const a = attrsOf(node);
  const old = node.opType === 'Upsample' || opset < 11;
  return {
    mode: a.string('mode', 'nearest'),
    coord: a.string('coordinate_transformation_mode', old ? 'asymmetric' : 'half_pixel'),
    nearest: a.string('nearest_mode', old ? 'simple' : 'round_prefer_floor'),
  };
}

/** Scale per axis, as the reference derives it from sizes or scales. */
function scalesOf(call: KernelCall, dims: readonly number[], outDims: readonly number[]): number[] {
  const rank = dims.length;
  const scales = new Array<number>(rank).fill(1);
  if (call.node.opType === 'Upsample') {
    const s = call.inputs[1] ? asNumbers(call.inputs[1]) : call.attrs.floats('scales');
    return dims.map((_, i) => s[i]);
  }
  const axes = call.attrs.has('axes')
    ? call.attrs.ints('axes').map((a) => normalizeAxis(a, rank))
    : [...Array(rank).keys()];
  const sizes = call.opset >= 11 ? call.inputs[3] : undefined;
  if (sizes && sizes.size > 0) {
    for (const a of axes) scales[a] = outDims[a] / dims[a];
  } else {
    const s = asNumbers(call.inputs[call.opset < 11 ? 1 : 2]!);
    axes.forEach((a, i) => {
      scales[a] = s[i];
    });
  }
  return scales;
}

export const resizeOps: KernelOp = {
  types: ['Resize', 'Upsample'],
  placesOutputs: true,
  replayable: true,
  supports(node, types, opset) {
    const a = attrsOf(node);
    const { mode, coord, nearest } = modes(node, opset);
    return (
      isFloat(types[0]) &&
      (mode === 'nearest' || mode === 'linear') &&
      Object.hasOwn(CoordMode, coord) &&
      Object.hasOwn(NearestMode, nearest) &&
      (mode === 'nearest' || a.int('antialias', 0) === 0) &&
      a.string('keep_aspect_ratio_policy', 'stretch') === 'stretch'
    );
  },
  async run(call, binding) {
    const x = call.inputs[0] as Tensor;
    const rank = x.dims.length;
    const outDims = valueDims(call);
    const scales = scalesOf(call, x.dims, outDims);
    const lead = rank - 2;
    if (
      rank < 2 ||
      x.dims.slice(0, lead).some((d, i) => outDims[i] !== d || scales[i] !== 1) ||
      x.size === 0
    ) {
      return reference(call);
    }
    const { mode, coord, nearest } = modes(call.node, call.opset);
    const y = outputTensor(binding, outDims, x.type as 'float32' | 'float16', call);
    await runKernel(
      binding,
      'resize_f32',
      y.size,
      [view(x), view(y)],
      [
        mode === 'linear' ? 1 : 0,
        shapeSize(x.dims.slice(0, lead)),
        x.dims[lead],
        x.dims[lead + 1],
        outDims[lead],
        outDims[lead + 1],
        CoordMode[coord as keyof typeof CoordMode],
        NearestMode[nearest as keyof typeof NearestMode],
        scales[lead],
        scales[lead + 1],
        ...elemParam(x),
      ],
    );
    return [y];
  },
};
