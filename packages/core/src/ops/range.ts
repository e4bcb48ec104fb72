import { encodeNumbers, scalarOf } from '../tensor/convert.js';
import { isBig } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Range: start, start + delta, ... up to (excluding) limit; max(ceil((limit - start) / delta), 0) elements. */
export const Range: OpDef = {
  type: 'Range',
  infer: (ctx) => [{ type: ctx.inputs[0]?.type, dims: [null] }],
  run(ctx) {
    const [s, l, d] = [input(ctx, 0), input(ctx, 1), input(ctx, 2)];
    check(
      s.type === l.type && s.type === d.type,
      () => `input types differ: ${s.type}, ${l.type}, ${d.type}`,
    );
    if (isBig(s.type)) {
      // Exact int64 count and steps from the bigint values.
      const [b0, bl, bd] = [s, l, d].map((t) => (t.data as BigInt64Array)[0]);
      check(bd !== 0n, 'delta cannot be 0');
      const diff = bl - b0;
      let q = diff / bd;
      if (q * bd !== diff && diff > 0n === bd > 0n) q += 1n; // ceil of a positive quotient
      const n = q > 0n ? Number(q) : 0;
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = b0 + BigInt(i) * bd;
      return [new Tensor(s.type, out as never, [n])];
    }
    const start = scalarOf(s, 'start');
    const delta = scalarOf(d, 'delta');
    check(delta !== 0, 'delta cannot be 0');
    const n = Math.max(Math.ceil((scalarOf(l, 'limit') - start) / delta), 0);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = start + i * delta;
    return [new Tensor(s.type, encodeNumbers(s.type, out) as never, [n])];
  },
};
