import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Real PySpark jobs (20,000 tasks) on a shared 2-core machine: minutes, not seconds.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    // Each file starts a broker, a sidecar and Spark JVMs: one file at a time.
    fileParallelism: false,
  },
});
