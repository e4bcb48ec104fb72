import { defineConfig } from 'vitest/config';

// Kept apart from vite.config.ts: the tests need none of the app's plugins.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
