import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // memory.test.ts measures the heap after a forced collection.
    execArgv: ['--expose-gc'],
  },
});
