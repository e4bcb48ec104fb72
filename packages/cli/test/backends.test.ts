import { afterEach, describe, expect, it, vi } from 'vitest';

/** The CLI's backend choice, with the native addon made unavailable where a test says so. */
describe('--backend selection', () => {
  afterEach(() => {
    vi.doUnmock('@onnxstream/native');
    vi.resetModules();
  });

  it("--backend wasm loads the wasm backend, its relaxed-SIMD build (the CLI sets Node 20's flag)", async () => {
    const { chooseBackend } = await import('../src/backends.js');
    const lines: string[] = [];
    expect(await chooseBackend('wasm', (l) => lines.push(l))).toBe('wasm');
    expect(lines).toEqual([]);
    const { wasmBackend } = await import('@onnxstream/wasm');
    expect(wasmBackend.kernels().info().variant).toBe('relaxed');
  });

  it('auto falls back to wasm, in one line, when the native addon does not load', async () => {
    vi.doMock('@onnxstream/native', () => ({
      nativeAvailability: () => ({ available: false, reason: 'no addon in this test' }),
      nativeBackend: undefined,
    }));
    const { chooseBackend } = await import('../src/backends.js');
    const lines: string[] = [];
    expect(await chooseBackend('auto', (l) => lines.push(l))).toBe('wasm');
    expect(lines).toEqual([
      'onnxstream: using the wasm backend: native backend unavailable (no addon in this test)',
    ]);
  });

  it('auto falls back to reference when neither loads', async () => {
    vi.doMock('@onnxstream/native', () => ({
      nativeAvailability: () => ({ available: false, reason: 'no addon' }),
    }));
    vi.doMock('@onnxstream/wasm', () => ({
      enableRelaxedSimd: () => false,
      wasmAvailability: async () => ({ available: false, reason: 'no build' }),
    }));
    const { chooseBackend } = await import('../src/backends.js');
    const lines: string[] = [];
    expect(await chooseBackend('auto', (l) => lines.push(l))).toBe('reference');
    expect(lines).toEqual([
      'onnxstream: using the reference backend: native backend unavailable (no addon); wasm backend unavailable (no build)',
    ]);
    vi.doUnmock('@onnxstream/wasm');
  });
});
