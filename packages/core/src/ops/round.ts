import { floatOnly, unaryOp } from './support/elementwise.js';

/** Rounds half to even (numpy's rule; Math.round rounds half up). */
export const Round = unaryOp({
  type: 'Round',
  accepts: floatOnly,
  number: (x) => {
    const f = Math.floor(x);
    const d = x - f;
    // Infinities give d = NaN and fall through to f + 1 = f.
    const r = d < 0.5 ? f : d > 0.5 || f % 2 !== 0 ? f + 1 : f;
    // A zero keeps the sign of x (-0.4 rounds to -0).
    return r === 0 ? x * 0 : r;
  },
});
