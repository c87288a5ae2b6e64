import { defineConfig } from 'vitest/config';

// Tests run in forked processes (tfjs and sqlite3 hold native/global state; workers are spawned for real).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
