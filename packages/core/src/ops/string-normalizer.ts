import type { Dim } from '../graph/graph.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/**
 * StringNormalizer: drops the elements of a [C] or [1, C] string tensor that are stopwords
 * (compared ignoring case unless is_case_sensitive), then applies case_change_action
 * (NONE, LOWER, UPPER). When nothing is left the output is one empty string ([1] or [1, 1]).
 * Case mapping is Unicode's default; the `locale` attribute is not consulted.
 */
export const StringNormalizer: OpDef = {
  type: 'StringNormalizer',
  infer(ctx) {
    const rank = ctx.inputs[0]?.dims?.length;
    const dims: Dim[] | undefined = rank === 2 ? [1, null] : rank === 1 ? [null] : undefined;
    return [{ type: 'string', dims }];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type === 'string', () => `input must be strings, got ${x.type}`);
    check(
      x.dims.length === 1 || (x.dims.length === 2 && x.dims[0] === 1),
      () => `input must be [C] or [1, C], got ${formatShape(x.dims)}`,
    );
    const action = ctx.attrs.string('case_change_action', 'NONE');
    check(['NONE', 'LOWER', 'UPPER'].includes(action), () => `unknown case_change_action '${action}'`);
    const sensitive = ctx.attrs.int('is_case_sensitive', 0) !== 0;
    const key = (s: string): string => (sensitive ? s : s.toLowerCase());
    const stops = new Set(ctx.attrs.strings('stopwords', []).map(key));
    const change = (s: string): string =>
      action === 'LOWER' ? s.toLowerCase() : action === 'UPPER' ? s.toUpperCase() : s;
    const kept = (x.data as string[]).filter((s) => !stops.has(key(s))).map(change);
    if (kept.length === 0) kept.push('');
    return [new Tensor('string', kept, x.dims.length === 2 ? [1, kept.length] : [kept.length])];
  },
};
