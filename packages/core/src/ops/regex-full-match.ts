import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/**
 * Compiles an RE2 pattern as an anchored JavaScript RegExp. The common RE2 syntax is shared;
 * RE2's `(?P<name>` groups are rewritten to JavaScript's `(?<name>`. Unicode mode is tried first
 * (RE2 matches code points) and plain mode accepts the escapes it rejects.
 */
function fullMatcher(pattern: string): RegExp {
  const source = `^(?:${pattern.replaceAll('(?P<', '(?<')})$`;
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch (e) {
      throw new Error(`pattern '${pattern}' is not supported: ${(e as Error).message}`);
    }
  }
}

/** RegexFullMatch: whether each string matches `pattern` entirely. */
export const RegexFullMatch: OpDef = {
  type: 'RegexFullMatch',
  infer: (ctx) => [{ type: 'bool', dims: ctx.inputs[0]?.dims }],
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type === 'string', () => `input must be strings, got ${x.type}`);
    const re = fullMatcher(ctx.attrs.string('pattern'));
    const strings = x.data as string[];
    const out = new Uint8Array(strings.length);
    for (let i = 0; i < strings.length; i++) out[i] = re.test(strings[i]) ? 1 : 0;
    return [new Tensor('bool', out, x.dims)];
  },
};
