import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, shapeSize } from '../tensor/shape.js';
import type { Attributes } from './attributes.js';
import { check, input, type OpDef } from './op.js';
import { knownDims } from './support/infer.js';
import { gemmNN } from './support/matmul.js';
import { type Col2ImGeometry, col2im } from './support/nn-im2col.js';
import { accumulatorFor, addChannelBias, tensorFromValues } from './support/nn-numeric.js';
import { transposedWindowGeometry, type WindowGeometry, weightKernel } from './support/window.js';

function geometry(attrs: Attributes, xDims: readonly number[], wDims: readonly number[]): WindowGeometry {
  return transposedWindowGeometry(attrs, xDims.slice(2), weightKernel(attrs, wDims));
}

export const ConvTranspose: OpDef = {
  type: 'ConvTranspose',
  infer(ctx) {
    const [x, w] = ctx.inputs;
    const group = ctx.attrs.int('group', 1);
    const m: Dim = typeof w?.dims?.[1] === 'number' ? w.dims[1] * group : null;
    const xd = knownDims(x?.dims);
    const wd = knownDims(w?.dims);
    if (!xd || !wd) {
      const rank = x?.dims?.length;
      return [
        { type: x?.type, dims: rank ? [x!.dims![0], m, ...new Array<Dim>(rank - 2).fill(null)] : undefined },
      ];
    }
    check(xd[1] === wd[0], () => `input has ${xd[1]} channels, weight has ${wd[0]}`);
    return [{ type: x!.type, dims: [xd[0], m, ...geometry(ctx.attrs, xd, wd).out] }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    const w = input(ctx, 1);
    const b = ctx.inputs[2];
    check(isFloat(x.type) && x.type === w.type, () => `unsupported types ${x.type} x ${w.type}`);
    check(
      x.dims.length >= 3 && w.dims.length === x.dims.length,
      () => `input ${formatShape(x.dims)} and weight ${formatShape(w.dims)} ranks differ`,
    );
    const group = ctx.attrs.int('group', 1);
    const [n, c] = x.dims;
    check(
      c === w.dims[0] && c % group === 0,
      () => `input has ${c} channels, weight has ${w.dims[0]} (group ${group})`,
    );
    const g = geometry(ctx.attrs, x.dims, w.dims);
    const cg = c / group;
    const mg = w.dims[1];
    const m = mg * group;
    check(!b || b.size === m, () => `bias has ${b?.size} values for ${m} output channels`);
    const inSpatial = x.dims.slice(2);
    const P = shapeSize(inSpatial);
    const K = shapeSize(g.kernel);
    const S = shapeSize(g.out);
    const xv = asNumbers(x);
    const wv = asNumbers(w);
    // Per group, W^T (Mg*K x Cg) so that columns = W^T . X is a plain row-major GEMM.
    const mk = mg * K;
    const wt = new Float64Array(wv.length);
    for (let gi = 0; gi < group; gi++) {
      for (let ci = 0; ci < cg; ci++) {
        for (let j = 0; j < mk; j++) wt[gi * mk * cg + j * cg + ci] = wv[(gi * cg + ci) * mk + j];
      }
    }
    const outDims = [n, m, ...g.out];
    const out = accumulatorFor(x.type, shapeSize(outDims));
    const col = new Float64Array(mk * P);
    // The input positions are col2im's blocks and the output its image.
    const colGeometry: Col2ImGeometry = { ...g, blocks: inSpatial, image: g.out };
    for (let bi = 0; bi < n; bi++) {
      for (let gi = 0; gi < group; gi++) {
        col.fill(0);
        gemmNN(wt, gi * mk * cg, xv, (bi * c + gi * cg) * P, col, 0, mk, cg, P);
        col2im(col, 0, mg, colGeometry, out, (bi * m + gi * mg) * S);
      }
    }
    if (b) addChannelBias(out, asNumbers(b), S);
    return [tensorFromValues(x.type, out, outDims)];
  },
};
