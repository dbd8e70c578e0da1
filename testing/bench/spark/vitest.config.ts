/**
 * The unit tests of the Spark listener benchmark's own logic (arms, ordering, statistics, the
 * report): none starts Spark, a broker or the sidecar. testing/bench's vitest config only
 * collects src/, so these run with
 *   npx vitest run --config testing/bench/spark/vitest.config.ts
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ['*.test.ts'],
  },
});
