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
    // Two test files run at once on the 2-core CI machine: a WASM thread pool per file would oversubscribe the
    // cores (a pool waits for its slowest thread). The threaded build has its own test (test/backends/select).
    env: { SPECTRAL_LAB_WASM_THREADS: process.env.SPECTRAL_LAB_WASM_THREADS ?? '1' },
    // Node 20's V8 has relaxed SIMD (the fused kernels, engine/kernels/index.ts) only behind this flag, which must
    // be given at start-up; the tests check both kernel variants against the JavaScript paths.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
