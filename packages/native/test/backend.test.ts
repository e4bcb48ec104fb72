import { resolveBackend } from '@onnxstream/core';
import { describe, expect, it } from 'vitest';
import { BACKEND_NAME, isAvailable } from '../src/index.js';

describe('@onnxstream/native before its kernels land', () => {
  it('is not registered, and asking core for it explains how to get it', () => {
    expect(isAvailable()).toBe(false);
    expect(() => resolveBackend(BACKEND_NAME)).toThrow(
      /backend 'native' is not available .*install and import its package/,
    );
  });
});
