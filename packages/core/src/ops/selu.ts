import { floatOnly, unaryOpWithAttrs } from './support/elementwise.js';

/** Defaults: the SELU constants rounded to float32, as ONNX's float attributes hold them. */
export const Selu = unaryOpWithAttrs({ type: 'Selu', accepts: floatOnly }, (attrs) => {
  const alpha = attrs.float('alpha', Math.fround(1.6732632423543772));
  const gamma = attrs.float('gamma', Math.fround(1.0507009873554805));
  return (x) => (x > 0 ? gamma * x : gamma * alpha * Math.expm1(x));
});
