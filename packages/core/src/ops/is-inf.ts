import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

export const IsInf = unaryOpWithAttrs({ type: 'IsInf', accepts: floatOnly, output: 'bool' }, (attrs) => {
  const negative = attrs.int('detect_negative', 1) !== 0;
  const positive = attrs.int('detect_positive', 1) !== 0;
  return (x) =>
    (positive && x === Number.POSITIVE_INFINITY) || (negative && x === Number.NEGATIVE_INFINITY) ? 1 : 0;
});
