import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { formatShape } from '../tensor/shape.js';
import { transposeData } from '../tensor/transpose.js';
import { check, input, type OpDef } from './op.js';
import { broadcastN } from './support/elementwise.js';
import { broadcastsTo } from './support/infer.js';
import { gemmNN, gemmNT } from './support/matmul.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const Gemm: OpDef = {
  type: 'Gemm',
  infer(ctx) {
    const [a, b] = ctx.inputs;
    if (!a?.dims || !b?.dims) return [{ type: a?.type }];
    check(
      a.dims.length === 2 && b.dims.length === 2,
      () => `Gemm needs 2-D A and B, got ${formatShape(a.dims!)} and ${formatShape(b.dims!)}`,
    );
    const transA = ctx.attrs.int('transA', 0) !== 0;
    const transB = ctx.attrs.int('transB', 0) !== 0;
    const ka: Dim = transA ? a.dims[0] : a.dims[1];
    const kb: Dim = transB ? b.dims[1] : b.dims[0];
    check(
      typeof ka !== 'number' || typeof kb !== 'number' || ka === kb,
      () => `Gemm inner dimensions differ: ${ka} and ${kb}`,
    );
    return [{ type: a.type, dims: [transA ? a.dims[1] : a.dims[0], transB ? b.dims[0] : b.dims[1]] }];
  },
  run(ctx) {
    const a = input(ctx, 0);
    const b = input(ctx, 1);
    const c = ctx.inputs[2];
    check(
      a.type === b.type && (!c || c.type === a.type),
      () => `input types differ: ${a.type}, ${b.type}${c ? `, ${c.type}` : ''}`,
    );
    check(
      a.dims.length === 2 && b.dims.length === 2,
      () => `Gemm needs 2-D A and B, got ${formatShape(a.dims)} and ${formatShape(b.dims)}`,
    );
    const transA = ctx.attrs.int('transA', 0) !== 0;
    const transB = ctx.attrs.int('transB', 0) !== 0;
    const alpha = ctx.attrs.float('alpha', 1);
    const beta = ctx.attrs.float('beta', 1);
    const [m, k] = transA ? [a.dims[1], a.dims[0]] : a.dims;
    const [kb, n] = transB ? [b.dims[1], b.dims[0]] : b.dims;
    check(k === kb, () => `Gemm inner dimensions differ: ${k} and ${kb}`);
    let av = asNumbers(a);
    if (transA) {
      const t = new Float64Array(av.length);
      transposeData(av, a.dims, [1, 0], t);
      av = t;
    }
    const out = accumulatorFor(a.type, m * n);
    (transB ? gemmNT : gemmNN)(av, 0, asNumbers(b), 0, out, 0, m, k, n);
    if (alpha !== 1) for (let i = 0; i < out.length; i++) out[i] *= alpha;
    if (c && beta !== 0) {
      // C broadcasts unidirectionally to (M, N); opset < 7 additionally required broadcast=1 for that.
      check(
        broadcastsTo(c.dims, [m, n]),
        () => `C of shape ${formatShape(c.dims)} does not broadcast to [${m},${n}]`,
      );
      const cv = asNumbers(c);
      broadcastN(
        [
          { data: out, dims: [m, n] },
          { data: cv, dims: c.dims },
        ],
        out,
        [m, n],
        (v) => v[0] + beta * v[1],
      );
    }
    return [tensorFromValues(a.type, out, [m, n])];
  },
};
