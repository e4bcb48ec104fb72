/**
 * A small OnnxStream model folder with five streamed weights (one used twice) of different sizes,
 * and its output computed by hand. All values are multiples of 1/4 with small magnitudes, so float32
 * kernels reproduce the double-precision expectation exactly.
 */
import { Tensor } from '@onnxstream/core';
import { writeModel } from './helpers.js';

const N = 32;

export const TINY_LINES = [
  'mul1:Mul*input:x(1,32);w1.bin(float32:1,32)*output:a(1,32)',
  'add1:Add*input:a(1,32);w2.bin(float32:4,32)*output:b(4,32)',
  'mul2:Mul*input:b(4,32);w1.bin(float32:1,32)*output:c(4,32)',
  'sub1:Sub*input:c(4,32);w3.bin(float32:2,4,32)*output:d(2,4,32)',
  'add2:Add*input:d(2,4,32);w4.bin(float32:1,32)*output:out(2,4,32)',
];

const x = Array.from({ length: N }, (_, k) => k / 4 - 2);
const w1 = Array.from({ length: N }, (_, k) => (k % 5) - 2);
const w2 = Array.from({ length: 4 * N }, (_, i) => (i % 7) - 3);
const w3 = Array.from({ length: 2 * 4 * N }, (_, i) => (i % 9) / 2 - 2);
const w4 = Array.from({ length: N }, (_, k) => (k % 3) * 0.5);

export const TINY_WEIGHTS = { 'w1.bin': w1, 'w2.bin': w2, 'w3.bin': w3, 'w4.bin': w4 };

/** Bytes streamed by one run in request order: w1, w2, w1, w3, w4. */
export const TINY_RUN_BYTES = (N + 4 * N + N + 8 * N + N) * 4;

export function tinyInput(): Tensor {
  return new Tensor('float32', Float32Array.from(x), [1, N]);
}

/** out[i,j,k] = (x[k]*w1[k] + w2[j,k]) * w1[k] - w3[i,j,k] + w4[k] */
export function tinyExpected(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 4; j++) {
      for (let k = 0; k < N; k++) {
        out.push((x[k] * w1[k] + w2[j * N + k]) * w1[k] - w3[(i * 4 + j) * N + k] + w4[k]);
      }
    }
  }
  return out;
}

export function writeTinyModel(dir: string): Promise<void> {
  return writeModel(dir, TINY_LINES, TINY_WEIGHTS);
}
