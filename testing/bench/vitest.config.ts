import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // spark/: the Spark listener benchmark's own logic (arms, ordering, statistics, report); none starts Spark.
    include: ['src/**/*.test.ts', 'spark/**/*.test.ts'],
    // The smoke test starts a real broker (a JVM) and the sidecar: one file at a time.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    fileParallelism: false,
  },
});
