import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    // Each file runs real brokers, sidecars and load generators: one at a time on a 2-core machine.
    fileParallelism: false,
  },
});
