import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Real JVM brokers: the first run also fetches ~55 MB of jars with Maven.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Each broker is a 512 MB JVM on a 2-core machine: run files one at a time.
    fileParallelism: false,
  },
});
