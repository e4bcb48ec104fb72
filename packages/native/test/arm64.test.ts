/**
 * The C++ kernel tests (csrc/test): every ISA's KernelTable against the scalar one. Built natively for
 * this machine's ISAs and, for ARM64 (Raspberry Pi class devices), cross-compiled with
 * aarch64-linux-gnu-g++ and run under qemu-aarch64. scripts/setup.sh installs both tools, so CI
 * (CI set) fails instead of skipping when one is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeInfo } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['make', 'aarch64-linux-gnu-g++', 'qemu-aarch64'].filter((cmd) => !has(cmd));
const skipArm64 = missing.length > 0 && !process.env.CI;
if (skipArm64) {
  console.warn(
    `ARM64 kernel tests skipped: ${missing.join(' and ')} not installed (scripts/setup.sh installs them)`,
  );
}

/**
 * Builds and runs the kernel tests for one target (scripts/kernel-tests.cjs: objects cached). Both
 * targets run at once (it.concurrent), so that one's compiles overlap the other's run under qemu.
 */
function kernelTests(target: 'native' | 'arm64'): Promise<{ status: number | null; output: string }> {
  const script = join(root, 'scripts/kernel-tests.cjs');
  const child = spawn(process.execPath, [script, target], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

/**
 * A build of every kernel source and a run, on a CI machine whose two cores every package shares:
 * the ARM64 one took 456-484 s there (86 s on an idle machine), too close to a 600 s limit.
 */
const KERNEL_TESTS_TIMEOUT = 900_000;

/** KernelTable's members, in declaration order (csrc/dispatch/kernels.h). */
function tableMembers(): string[] {
  const header = readFileSync(join(root, 'csrc/dispatch/kernels.h'), 'utf8');
  const body = /struct KernelTable \{([^}]*)\}/.exec(header)?.[1] ?? '';
  return [...body.matchAll(/^\s*[\w:<>, ]+?\s+(\w+);/gm)].map((m) => m[1]);
}

/** The members the test adapters list (field(&KernelTable::member) in csrc/test/*-test.cc). */
function adapterMembers(): Set<string> {
  const dir = join(root, 'csrc/test');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('-test.cc'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  return new Set(
    sources.flatMap((src) => [...src.matchAll(/field\(&KernelTable::(\w+)\)/g)].map((m) => m[1])),
  );
}

const members = tableMembers();
const untested = members.filter((m) => m !== 'isa' && !adapterMembers().has(m));

/** The summary and the failures, without the compilers' warnings and the passing groups. */
const digest = (output: string) =>
  output
    .split('\n')
    .filter((line) => /^kernel tests|^coverage|FAIL|CRASH|error|Error/.test(line))
    .join('\n');

/** Checks the runner's output: it passed, ran `isas`, and counts the members this file parsed. */
function expectPass(run: { status: number | null; output: string }, isas: readonly string[]) {
  expect(run.status, digest(run.output)).toBe(0);
  expect(run.output).toContain(`ISAs: ${isas.join(' ')} against scalar`);
  expect(run.output).toContain('kernel tests: PASS');
  expect(run.output).toContain(`of ${members.length} KernelTable members have a test adapter`);
}

describe('C++ kernel tests', () => {
  it.concurrent('pass for every ISA this machine runs, against scalar', {
    timeout: KERNEL_TESTS_TIMEOUT,
  }, async () => {
    expectPass(
      await kernelTests('native'),
      nativeInfo().isas.filter((isa) => isa !== 'scalar'),
    );
  });

  it.concurrent(skipArm64
    ? `pass on ARM64 under qemu: SKIPPED, ${missing.join(' and ')} not installed (scripts/setup.sh installs them)`
    : 'pass on ARM64 (NEON against scalar, the FP16 GEMM and the operators on it against their definitions), cross-compiled and run under qemu-aarch64', {
    timeout: KERNEL_TESTS_TIMEOUT,
    skip: skipArm64,
  }, async () => {
    expect(missing, 'scripts/setup.sh installs g++-aarch64-linux-gnu and qemu-user').toEqual([]);
    const run = await kernelTests('arm64');
    expectPass(run, ['neon']);
    // qemu-aarch64's default CPU (max) has ARMv8.2-A FP16: the float16 GEMM joins the NEON table.
    for (const group of ['exact', 'bounded', 'rows exact', 'rows bounded', 'rows driver exact']) {
      expect(run.output).toMatch(new RegExp(`gemm_f16 neon +${group} .* ok`));
    }
    // Convolutions over float16 and products of prepacked weights run on it (float16 sums:
    // 2048 + 1 + 1 + 1 stays 2048).
    for (const group of ['conv exact', 'conv bounded', 'conv float16 sums', 'matmul float16 sums']) {
      expect(run.output).toMatch(new RegExp(`ops_f16 +neon +${group} .* ok`));
    }
  });

  // A family in the table without an adapter runs on no ISA: each shows up here until its owner adds one.
  for (const member of untested) it.todo(`KernelTable.${member} has a test adapter (csrc/test/README.md)`);
});
