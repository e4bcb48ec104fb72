/**
 * The C++ kernel tests (packages/native/csrc/test) built with emcc as the threads variant (SIMD128,
 * pthreads) and as the relaxed one, and run under Node: the wasmsimd KernelTable against the scalar one, family by family, as
 * the native package runs them for x86 and ARM64. Wasm memory has no guard pages, so a kernel reading
 * past its buffers goes unnoticed here (writes still trip the canaries).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../native/scripts/kernel-tests.cjs', import.meta.url));
const hasEmcc =
  spawnSync('emcc', ['--version'], {
    stdio: 'ignore',
    env: { ...process.env, NODE_PATH: '/usr/share/nodejs', EMCC_SKIP_SANITY_CHECK: '1' },
  }).status === 0;
const skip = !hasEmcc && !process.env.CI;

// The threads variant's flags, and the relaxed variant's (relaxed-SIMD multiply-adds, renumbered to
// the standard opcodes, run with Node 20's flag).
describe.each(['wasm', 'wasm-relaxed'])('C++ kernel tests, %s', (target) => {
  it.skipIf(skip)(
    skip
      ? 'pass for wasmsimd against scalar: SKIPPED, emcc not installed (scripts/setup.sh installs it)'
      : 'pass for wasmsimd against scalar (em++, run under node)',
    // 379-416 s in CI, where every package's tests share two cores: 600 s left too little margin.
    { timeout: 900_000 },
    () => {
      const r = spawnSync(process.execPath, [script, target], { encoding: 'utf8', maxBuffer: 64 << 20 });
      const output = `${r.stdout}${r.stderr}`;
      const failures = output
        .split('\n')
        .filter((line) => /FAIL|CRASH|error/.test(line))
        .join('\n');
      expect(r.status, failures).toBe(0);
      expect(output).toContain('ISAs: wasmsimd against scalar');
      expect(output).toContain('kernel tests: PASS');
    },
  );
});
