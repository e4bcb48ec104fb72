// Builds and runs the C++ kernel tests (csrc/test/Makefile) for one target. Objects persist in the
// temp directory, one folder per checkout, so later runs rebuild only what changed; flock serialises
// concurrent runs on them. test/arm64.test.ts and the wasm package's tests run it.
//   node scripts/kernel-tests.cjs native|arm64|wasm|wasm-relaxed      make's output and exit status
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { compileJobs } = require('./compile-jobs.cjs');

const root = join(__dirname, '..');
const target = process.argv[2];
if (!['native', 'arm64', 'wasm', 'wasm-relaxed'].includes(target)) {
  console.error('usage: kernel-tests.cjs native|arm64|wasm|wasm-relaxed');
  process.exit(2);
}
const cache = join(
  tmpdir(),
  'onnxstream-kernel-tests',
  createHash('sha256').update(root).digest('hex').slice(0, 12),
);
mkdirSync(cache, { recursive: true });
const make = [
  'make',
  '-s',
  `-j${compileJobs()}`,
  '-C',
  join(root, 'csrc/test'),
  `TARGET=${target}`,
  `OUT=${join(cache, target)}`,
];
const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
const command = hasFlock ? ['flock', join(cache, `${target}.lock`), ...make] : make;
const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
process.exit(r.status ?? 1);
