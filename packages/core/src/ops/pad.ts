import type { Dim } from '../graph/graph.js';
import { asInts, encodeNumbers } from '../tensor/convert.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { elementsOf, uniqueAxes } from './support/tensor-data.js';
import { paddedDim, padMode, padTensor } from './support/tensor-pad.js';

/**
 * Begin and end pads per axis: `pads` as input 1 (opset 11+) or attribute (`paddings` in opset 1),
 * optionally for the listed `axes` only (input 3, opset 18+).
 */
function padsPerAxis(attrs: Attributes, rank: number, padsT: Tensor | undefined, axesT: Tensor | undefined) {
  const pads = padsT ? asInts(padsT) : [...attrs.ints(attrs.has('paddings') ? 'paddings' : 'pads')];
  const axes = axesT ? uniqueAxes(asInts(axesT), rank) : [...Array(rank).keys()];
  check(pads.length === 2 * axes.length, () => `pads has ${pads.length} values for ${axes.length} axes`);
  const begins = new Array<number>(rank).fill(0);
  const ends = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    begins[a] = pads[i];
    ends[a] = pads[i + axes.length];
  });
  return { begins, ends };
}

export const Pad: OpDef = {
  type: 'Pad',
  infer(ctx) {
    const x = ctx.inputs[0];
    if (!x?.dims) return [{ type: x?.type }];
    const [padsM, axesM] = [ctx.inputs[1], ctx.inputs[3]];
    if ((padsM && !padsM.value) || (axesM && !axesM.value))
      return [{ type: x.type, dims: x.dims.map((): Dim => null) }];
    const { begins, ends } = padsPerAxis(ctx.attrs, x.dims.length, padsM?.value, axesM?.value);
    return [{ type: x.type, dims: x.dims.map((d, a) => paddedDim(d, begins[a], ends[a])) }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const { begins, ends } = padsPerAxis(ctx.attrs, x.dims.length, ctx.inputs[1], ctx.inputs[3]);
    const mode = padMode(ctx.attrs.string('mode', 'constant'));
    const cv = ctx.inputs[2];
    let fill: unknown;
    if (cv && cv.size > 0) {
      check(cv.type === x.type, () => `constant_value type ${cv.type} differs from the input type ${x.type}`);
      fill = elementsOf(cv)[0];
    } else if (ctx.attrs.has('value') && x.type !== 'string') {
      fill = encodeNumbers(x.type, [ctx.attrs.float('value')])[0];
    }
    return [padTensor(x, begins, ends, mode, fill)];
  },
};
