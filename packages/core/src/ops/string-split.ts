import { Tensor } from '../tensor/tensor.js';
import { check, input, type OpDef } from './op.js';

/** Python's str.split: on `delimiter`, or on runs of whitespace (ignoring the ends) when it is empty. */
function split(s: string, delimiter: string, maxsplit: number): string[] {
  const parts: string[] = [];
  if (delimiter) {
    let from = 0;
    while (parts.length !== maxsplit) {
      const at = s.indexOf(delimiter, from);
      if (at < 0) break;
      parts.push(s.slice(from, at));
      from = at + delimiter.length;
    }
    parts.push(s.slice(from));
    return parts;
  }
  const word = /\S+/g;
  for (let m = word.exec(s); m; m = word.exec(s)) {
    if (parts.length === maxsplit) {
      // The last part keeps the rest of the string from its first non-blank character.
      parts.push(s.slice(m.index));
      break;
    }
    parts.push(m[0]);
  }
  return parts;
}

/**
 * StringSplit: splits each string; output 0 is [..., max parts] padded with empty strings, output 1
 * (int64, the input's shape) the number of parts of each string. `maxsplit` limits the splits.
 */
export const StringSplit: OpDef = {
  type: 'StringSplit',
  infer(ctx) {
    const dims = ctx.inputs[0]?.dims;
    return [
      { type: 'string', dims: dims && [...dims, null] },
      { type: 'int64', dims },
    ];
  },
  run(ctx) {
    const x = input(ctx, 0);
    check(x.type === 'string', () => `input must be strings, got ${x.type}`);
    const delimiter = ctx.attrs.string('delimiter', '');
    const maxsplit = ctx.attrs.has('maxsplit') ? ctx.attrs.int('maxsplit') : -1;
    const lists = (x.data as string[]).map((s) => split(s, delimiter, maxsplit));
    const width = lists.reduce((m, l) => Math.max(m, l.length), 0);
    const out = new Array<string>(lists.length * width).fill('');
    const counts = new BigInt64Array(lists.length);
    lists.forEach((l, i) => {
      for (let j = 0; j < l.length; j++) out[i * width + j] = l[j];
      counts[i] = BigInt(l.length);
    });
    return [new Tensor('string', out, [...x.dims, width]), new Tensor('int64', counts, x.dims)];
  },
};
