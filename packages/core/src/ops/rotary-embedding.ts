import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { check, input, type OpDef } from './op.js';
import { sameAsInput } from './support/infer.js';
import { accumulatorFor, tensorFromValues } from './support/nn-numeric.js';

export const RotaryEmbedding: OpDef = {
  type: 'RotaryEmbedding',
  infer: sameAsInput,
  run(ctx) {
    const x = input(ctx, 0);
    const cosCache = input(ctx, 1);
    const sinCache = input(ctx, 2);
    const positions = ctx.inputs[3];
    check(isFloat(x.type), () => `type ${x.type} is not supported`);
    const is3d = x.dims.length === 3;
    check(is3d || x.dims.length === 4, () => `input must be 3-D or 4-D, got ${formatShape(x.dims)}`);
    // 4-D input is (B, heads, S, D); 3-D is (B, S, heads * D).
    const heads = is3d ? ctx.attrs.int('num_heads', 0) : x.dims[1];
    check(heads > 0, 'num_heads is required for 3-D input');
    const [batch, seq] = is3d ? x.dims : [x.dims[0], x.dims[2]];
    const d = is3d ? x.dims[2] / heads : x.dims[3];
    check(Number.isInteger(d), () => `hidden size ${x.dims[2]} is not divisible by ${heads} heads`);
    const rd = ctx.attrs.int('rotary_embedding_dim', 0) || d;
    const half = rd / 2;
    check(
      Number.isInteger(half) && rd <= d,
      () => `rotary_embedding_dim ${rd} must be even and at most the head size ${d}`,
    );
    check(
      cosCache.dims[cosCache.dims.length - 1] === half && sinCache.dims[sinCache.dims.length - 1] === half,
      () => `cos/sin caches must end in ${half} values`,
    );
    const pos = positions ? asNumbers(positions) : undefined;
    check(!pos || pos.length === batch * seq, () => `position_ids must have shape (${batch}, ${seq})`);
    check(
      pos || cosCache.size === batch * seq * half,
      () => `without position_ids the caches must have shape (${batch}, ${seq}, ${half})`,
    );
    const interleaved = ctx.attrs.int('interleaved', 0) !== 0;
    const v = asNumbers(x);
    const cos = asNumbers(cosCache);
    const sin = asNumbers(sinCache);
    const out = accumulatorFor(x.type, v.length);
    out.set(v);
    // Pairs (x1, x2) rotate by the position's angle: halves of the rotary part, or adjacent elements.
    const i1 = interleaved ? 2 : 1;
    const o2 = interleaved ? 1 : half;
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < seq; s++) {
        const row = (pos ? pos[b * seq + s] : b * seq + s) * half;
        for (let h = 0; h < heads; h++) {
          const base = is3d ? ((b * seq + s) * heads + h) * d : ((b * heads + h) * seq + s) * d;
          for (let i = 0; i < half; i++) {
            const p1 = base + i * i1;
            const p2 = p1 + o2;
            const c = cos[row + i];
            const sn = sin[row + i];
            out[p1] = c * v[p1] - sn * v[p2];
            out[p2] = sn * v[p1] + c * v[p2];
          }
        }
      }
    }
    return [tensorFromValues(x.type, out, x.dims)];
  },
};
