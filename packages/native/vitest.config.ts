import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    // Vitest's default (cores - 1) runs one file at a time on two cores, yet the longest files
    // (packaging, the C++ kernel tests) mostly wait on compilers and qemu in child processes.
    maxWorkers: availableParallelism(),
  },
});
