// What the kernel benchmark scripts share: seeded inputs and process CPU time.
import { Tensor } from '@onnxstream/core';

let seed = 1;

/** A float32 tensor of uniform values in [-0.5, 0.5), the same sequence in every run. */
export const randomTensor = (dims) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32 - 0.5;
    }),
    dims,
  );

/** User and system CPU time of this process, in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** ONNX node attributes from plain values: arrays as ints, strings, numbers as ints. */
export const nodeAttributes = (attrs) =>
  new Map(
    Object.entries(attrs).map(([k, v]) => [
      k,
      Array.isArray(v)
        ? { type: 'ints', value: v }
        : typeof v === 'string'
          ? { type: 'string', value: v }
          : { type: 'int', value: v },
    ]),
  );
