import { KERNELS } from '@onnxstream/core/kernel';
import { describe, expect, it } from 'vitest';
import { binding } from '../src/binding.js';

describe('the addon', () => {
  it('has every kernel src/kernels.ts names', () => {
    expect(binding().info().kernels).toEqual(expect.arrayContaining([...KERNELS]));
  });

  it('rejects buffers too small for the parameters instead of reading past them', () => {
    const b = binding();
    const x = new Float32Array(8);
    const unary = b.info().kernels.indexOf('unary_f32');
    expect(() => b.runSync(unary, [x, x], new Float64Array([0, 0, 0, 9]))).toThrow(
      'unary_f32: buffer 0 holds 32 bytes, 36 needed',
    );
    expect(() => b.runSync(unary, [x], new Float64Array([0, 0, 0, 8]))).toThrow(
      'unary_f32: expects 2 buffers, got 1',
    );
    expect(() => b.runSync(99, [x], new Float64Array([]))).toThrow('unknown kernel id 99');
  });
});
