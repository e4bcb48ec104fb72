import { describe, expect, it } from 'vitest';
import { trainingSigmas } from '../src/index.js';

describe('trainingSigmas', () => {
  it('spans the SD range OnnxStream hard-codes (log sigma from -3.535 to 2.682)', () => {
    const s = trainingSigmas();
    expect(s).toHaveLength(1000);
    // OnnxStream's log_sigmas table starts at -3.534 and ends at 2.682 (reference section 7.5).
    expect(Math.log(s[0])).toBeCloseTo(-3.5347, 3);
    expect(Math.log(s[999])).toBeCloseTo(2.6825, 3);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
  });
});
