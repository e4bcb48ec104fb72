import { describe, expect, it } from 'vitest';
import { nativeInfo, useIsa } from '../src/index.js';
import { both, tensor, worst } from './helpers.js';

const isas = nativeInfo().isas;

describe.each(isas)('Geglu, %s', (isa) => {
  // Odd half widths exercise the SIMD tails; many rows split over threads.
  it.each([
    [1, 2],
    [3, 34],
    [7, 130],
    [300, 1280 / 4],
  ])('%i rows of 2 x %i', async (rows, width) => {
    useIsa(isa);
    try {
      const x = tensor([rows, width], rows * 31 + width, -6, 6);
      const { native, reference } = await both('Geglu', [x], {}, { domain: 'com.onnxstream' });
      expect(native.dims).toEqual([rows, width / 2]);
      // The Gelu kernel's bound (elementwise tests: 2e-6 relative, 1.5e-6 absolute where 1 + erf
      // cancels) times |h| <= 6, then one float32 product.
      expect(worst(native, reference, 2e-6 + 2 ** -24, 1.5e-6 * 6)).toBeLessThanOrEqual(1);
    } finally {
      useIsa(isas[isas.length - 1]);
    }
  });
});
