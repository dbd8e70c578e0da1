import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Real brokers, npm installs, a fresh venv: one file at a time on a 2-core machine.
    fileParallelism: false,
  },
});
