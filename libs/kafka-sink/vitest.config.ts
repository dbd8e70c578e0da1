import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // kafka-sink.int.test.ts starts a real broker (testing/kafka).
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
