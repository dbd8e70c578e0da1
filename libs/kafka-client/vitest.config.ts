import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/ starts a real broker (testing/kafka).
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
