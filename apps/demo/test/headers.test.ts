import { describe, expect, it } from 'vitest';
import { CROSS_ORIGIN_ISOLATION_HEADERS, isolates } from '../src/headers.js';

describe('demo response headers', () => {
  it('make the page cross-origin isolated', () => {
    expect(isolates(CROSS_ORIGIN_ISOLATION_HEADERS)).toBe(true);
  });
  it('are recognised only with both policies', () => {
    expect(isolates({ 'cross-origin-opener-policy': 'same-origin' })).toBe(false);
    expect(isolates({ 'Cross-Origin-Embedder-Policy': 'require-corp' })).toBe(false);
    expect(
      isolates({
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'credentialless',
      }),
    ).toBe(true);
  });
});
