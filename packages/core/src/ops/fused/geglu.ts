import type { Dim } from '../../graph/graph.js';
import { asNumbers, encodeNumbers } from '../../tensor/convert.js';
import type { OpDef } from '../op.js';
import { check, input } from '../op.js';
import { erf } from '../support/elementwise.js';
import { tensorOf } from '../support/tensor-data.js';

/**
 * GEGLU, diffusers' feed-forward gate: the input's last axis holds [h, gate]; the output is
 * h * gelu(gate) (erf GELU), half as wide. The planner writes it for Split -> GELU -> Mul (fuse.ts), so
 * the two halves are never copied out: SD's 64x64 blocks split a 40 MiB projection.
 */
export const Geglu: OpDef = {
  type: 'Geglu',
  domain: 'com.onnxstream',
  infer(ctx) {
    const [x] = ctx.inputs;
    const last = x?.dims?.[x.dims.length - 1];
    if (!x?.dims || typeof last !== 'number')
      return [{ type: x?.type, dims: x?.dims && [...x.dims.slice(0, -1), null] }];
    check(last % 2 === 0, () => `the last axis must split in two equal halves, got ${last}`);
    const dims: Dim[] = [...x.dims.slice(0, -1), last / 2];
    return [{ type: x.type, dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(
      x.type === 'float32' || x.type === 'float16',
      () => `Geglu takes float32 or float16, got ${x.type}`,
    );
    const width = x.dims[x.dims.length - 1];
    check(width % 2 === 0, () => `the last axis must split in two equal halves, got ${width}`);
    const half = width / 2;
    const src = asNumbers(x);
    const rows = x.size / Math.max(width, 1);
    const out = new Float32Array(rows * half);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < half; j++) {
        const h = src[r * width + j];
        const g = src[r * width + half + j];
        out[r * half + j] = h * (0.5 * g * (1 + erf(g * Math.SQRT1_2)));
      }
    }
    const data = x.type === 'float32' ? out : encodeNumbers(x.type, out);
    return [tensorOf(x.type, data as never, [...x.dims.slice(0, -1), half])];
  },
};
