import { runConformance } from '@onnxstream/cli';
import { registerBackend } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { BY_CHANCE, ISSUE_OPERATORS, NOT_PASSING, PINNED } from './conformance-expectations.js';

/**
 * ONNX's own test suites on the reference backend, on the native backend when its addon is built and
 * on the wasm backend when its build loads (each must pass exactly as many: what it does not claim
 * runs on the reference backend). The expectations pin every case that does not pass (with the
 * reason) and the pass counts: a regression fails here, and so does a case that starts to pass
 * without its entry being removed. The wasm backend runs every suite in full (its best build, SIMD128
 * with threads under Node: about 45 s for all four suites here).
 */
const native = await import('@onnxstream/native');
if (native.nativeAvailability().available) registerBackend(native.nativeBackend, 10);
const wasm = await import('@onnxstream/wasm');
const wasmState = await wasm.wasmAvailability();
const wasmLoads = wasmState.available;
if (wasmLoads) registerBackend(wasm.wasmBackend, 5);

// CI installs emscripten and builds the wasm package: there it must load.
it.runIf(process.env.CI)('the wasm backend loads (CI builds it)', () => {
  expect(wasmState).toMatchObject({ available: true });
});
const backends = [
  'reference',
  ...(native.nativeAvailability().available ? ['native'] : []),
  ...(wasmLoads ? ['wasm'] : []),
];

describe.each(backends.flatMap((b) => Object.keys(PINNED).map((suite) => [suite, b])))(
  'conformance: %s on the %s backend',
  (suite, backend) => {
    it('passes every case except the listed ones', async () => {
      const results = await runConformance(testdata(suite), { backend });
      const notPassing = results.filter((r) => r.status !== 'passed');
      const listed = NOT_PASSING[suite] ?? {};
      const unexpected = notPassing.filter((r) => !(r.name in listed)).map((r) => `${r.name}: ${r.message}`);
      expect(unexpected).toEqual([]);
      const passing = results.filter((r) => r.status === 'passed' && r.name in listed).map((r) => r.name);
      expect(passing.filter((name) => !BY_CHANCE.has(name))).toEqual([]);
      const passed = results.length - notPassing.length - passing.length;
      expect({ cases: results.length, passed }).toEqual(PINNED[suite]);
      // Every case built only from the operators the foundation issue lists must pass.
      const blocked = notPassing.filter(
        (r) => r.ops.length > 0 && r.ops.every((op) => ISSUE_OPERATORS.has(op)),
      );
      expect(blocked.map((r) => r.name)).toEqual([]);
    });
  },
);
