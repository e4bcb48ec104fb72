import { runConformance } from '@onnxstream/cli';
import { registerBackend } from '@onnxstream/core';
import { testdata } from '@onnxstream/core/testing';
import { describe, expect, it } from 'vitest';
import { ISSUE_OPERATORS, NOT_PASSING, PINNED } from './conformance-expectations.js';

/**
 * ONNX's own test suites on the reference backend, and on the native backend when its addon is built
 * (it must pass exactly as many: what it does not claim runs on the reference backend). The
 * expectations pin every case that does not pass (with the reason) and the pass counts: a regression
 * fails here, and so does a case that starts to pass without its entry being removed.
 */
const native = await import('@onnxstream/native');
if (native.nativeAvailability().available) registerBackend(native.nativeBackend, 10);
const backends = native.nativeAvailability().available ? ['reference', 'native'] : ['reference'];

describe.each(backends.flatMap((b) => Object.keys(PINNED).map((suite) => [suite, b])))(
  'conformance: %s on the %s backend',
  (suite, backend) => {
    it('passes every case except the listed ones', async () => {
      const results = await runConformance(testdata(suite), { backend });
      const notPassing = results.filter((r) => r.status !== 'passed');
      const listed = NOT_PASSING[suite] ?? {};
      const unexpected = notPassing.filter((r) => !(r.name in listed)).map((r) => `${r.name}: ${r.message}`);
      expect(unexpected).toEqual([]);
      const nowPassing = results.filter((r) => r.status === 'passed' && r.name in listed).map((r) => r.name);
      expect(nowPassing).toEqual([]);
      const passed = results.length - notPassing.length;
      expect({ cases: results.length, passed }).toEqual(PINNED[suite]);
      // Every case built only from the operators the foundation issue lists must pass.
      const blocked = notPassing.filter(
        (r) => r.ops.length > 0 && r.ops.every((op) => ISSUE_OPERATORS.has(op)),
      );
      expect(blocked.map((r) => r.name)).toEqual([]);
    });
  },
);
