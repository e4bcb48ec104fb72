import type { Dim } from '../graph/graph.js';
import { asNumbers } from '../tensor/convert.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';
import { tensorFromValues } from './support/nn-numeric.js';

const RULES = ['linear', 'gated', 'delta', 'gated_delta'];

const perHead = (d: Dim | undefined, heads: number): Dim =>
  typeof d === 'number' && heads > 0 ? d / heads : null;

/** The last axis of a (B, T, last) input, checked against the allowed sizes. */
function lastDim(t: Tensor, name: string, b: number, len: number, allowed: readonly number[]): number {
  const last = t.dims[2];
  check(
    t.dims.length === 3 && t.dims[0] === b && t.dims[1] === len && allowed.includes(last),
    () => `${name} has shape ${formatShape(t.dims)}, expected [${b},${len},${allowed.join(' or ')}]`,
  );
  return last;
}

/**
 * LinearAttention (opset 27): recurrent linear attention over packed (B, T, H*D) inputs with a
 * per-KV-head state S (d_k x d_v), starting from past_state (or zeros). Each step, by update_rule:
 * linear S += k v^T; gated S = exp(g) S + k v^T; delta S += k (beta (v - S^T k))^T; gated_delta
 * decays first, then applies the delta update. Output o = scale q^T S (the updated S), scale
 * defaulting to 1/sqrt(d_k); query head h reads KV head floor(h / (q_num_heads / kv_num_heads)).
 * decay (log-space) is per key channel (B, T, H_kv*d_k) or per head (B, T, H_kv); beta is per head
 * (B, T, H_kv) or shared (B, T, 1). Computed in float64.
 */
export const LinearAttention: OpDef = {
  type: 'LinearAttention',
  infer(ctx) {
    const [q, , v] = ctx.inputs;
    const type = q?.type;
    const hq = ctx.attrs.int('q_num_heads');
    const hkv = ctx.attrs.int('kv_num_heads');
    const dk = perHead(q?.dims?.[2], hq);
    const dv = perHead(v?.dims?.[2], hkv);
    const b = q?.dims?.[0] ?? null;
    const outDim: Dim = typeof dv === 'number' ? hq * dv : null;
    return [
      { type, dims: q?.dims ? [b, q.dims[1], outDim] : undefined },
      { type, dims: [b, hkv, dk, dv] },
    ];
  },
  run(ctx) {
    const q = input(ctx, 0);
    const k = input(ctx, 1);
    const v = input(ctx, 2);
    const [, , , past, decay, beta] = ctx.inputs;
    check(isFloat(q.type), () => `type ${q.type} is not supported`);
    const hq = ctx.attrs.int('q_num_heads');
    const hkv = ctx.attrs.int('kv_num_heads');
    check(
      hq > 0 && hkv > 0 && hq % hkv === 0,
      () => `q_num_heads ${hq} is not a multiple of kv_num_heads ${hkv}`,
    );
    const rule = ctx.attrs.string('update_rule', 'gated_delta');
    check(RULES.includes(rule), () => `update_rule must be one of ${RULES.join(', ')}, got '${rule}'`);
    const gated = rule === 'gated' || rule === 'gated_delta';
    const delta = rule === 'delta' || rule === 'gated_delta';
    check(q.dims.length === 3, () => `query must be (B, T, H*D), got ${formatShape(q.dims)}`);
    const [batch, len, qHidden] = q.dims;
    check(qHidden % hq === 0, () => `query size ${qHidden} is not divisible by ${hq} heads`);
    const dk = qHidden / hq;
    lastDim(k, 'key', batch, len, [hkv * dk]);
    check(
      v.dims.length === 3 && v.dims[0] === batch && v.dims[1] === len && v.dims[2] % hkv === 0,
      () => `value has shape ${formatShape(v.dims)}, expected [${batch},${len},${hkv}*d_v]`,
    );
    const dv = v.dims[2] / hkv;
    check(!gated || decay, () => `update_rule '${rule}' needs the decay input`);
    check(!delta || beta, () => `update_rule '${rule}' needs the beta input`);
    const perChannel =
      gated && decay ? lastDim(decay, 'decay', batch, len, [hkv * dk, hkv]) === hkv * dk : false;
    const betaWidth = delta && beta ? lastDim(beta, 'beta', batch, len, [hkv, 1]) : 0;
    const stateSize = dk * dv;
    const state = new Float64Array(batch * hkv * stateSize);
    if (past) {
      const want = [batch, hkv, dk, dv];
      check(
        sameShape(past.dims, want),
        () => `past_state has shape ${formatShape(past.dims)}, expected ${formatShape(want)}`,
      );
      state.set(asNumbers(past));
    }
    const scale = ctx.attrs.float('scale', 0) || 1 / Math.sqrt(dk);
    const qv = asNumbers(q);
    const kv = asNumbers(k);
    const vv = asNumbers(v);
    const gv = decay && gated ? asNumbers(decay) : undefined;
    const bv = beta && delta ? asNumbers(beta) : undefined;
    const group = hq / hkv;
    const out = new Float64Array(batch * len * hq * dv);
    const update = new Float64Array(dv);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < hkv; h++) {
        const s = state.subarray((b * hkv + h) * stateSize, (b * hkv + h + 1) * stateSize);
        for (let t = 0; t < len; t++) {
          const bt = b * len + t;
          const kOff = (bt * hkv + h) * dk;
          const vOff = (bt * hkv + h) * dv;
          if (gv) {
            for (let i = 0; i < dk; i++) {
              const f = Math.exp(gv[perChannel ? kOff + i : bt * hkv + h]);
              for (let j = 0; j < dv; j++) s[i * dv + j] *= f;
            }
          }
          // What the state writes: v, or beta (v - S^T k) for the delta rules.
          for (let j = 0; j < dv; j++) update[j] = vv[vOff + j];
          if (bv) {
            const bj = bv[betaWidth === 1 ? bt : bt * hkv + h];
            for (let j = 0; j < dv; j++) {
              let r = 0;
              for (let i = 0; i < dk; i++) r += s[i * dv + j] * kv[kOff + i];
              update[j] = bj * (update[j] - r);
            }
          }
          for (let i = 0; i < dk; i++) {
            const ki = kv[kOff + i];
            for (let j = 0; j < dv; j++) s[i * dv + j] += ki * update[j];
          }
          for (let g = 0; g < group; g++) {
            const head = h * group + g;
            const qOff = (bt * hq + head) * dk;
            const oOff = (bt * hq + head) * dv;
            for (let i = 0; i < dk; i++) {
              const qi = scale * qv[qOff + i];
              for (let j = 0; j < dv; j++) out[oOff + j] += qi * s[i * dv + j];
            }
          }
        }
      }
    }
    return [
      tensorFromValues(q.type, out, [batch, len, hq * dv]),
      tensorFromValues(q.type, state, [batch, hkv, dk, dv]),
    ];
  },
};
