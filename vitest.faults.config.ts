import { defineConfig } from 'vitest/config';

// The fault-injection suite kills processes and servers; it runs on its own (npm run test:faults).
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/helpers/tempRoot.ts'],
    fileParallelism: false,
  },
});
