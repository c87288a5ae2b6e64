import { describe, expect, it } from 'vitest';
import { wasmThreadsPerRun } from '../../src/main/app/engine-adapter.js';

describe('WASM threads per run', () => {
  it('divides the cores among the runs that may train at once, unless one run or an explicit setting', () => {
    expect(wasmThreadsPerRun(1, 8, {})).toBeUndefined();
    expect(wasmThreadsPerRun(2, 2, {})).toBe(1);
    expect(wasmThreadsPerRun(2, 8, {})).toBe(4);
    expect(wasmThreadsPerRun(3, 8, {})).toBe(2);
    expect(wasmThreadsPerRun(2, 16, {})).toBe(4); // never above the default's 4
    expect(wasmThreadsPerRun(4, 2, {})).toBe(1); // never below 1
    expect(wasmThreadsPerRun(2, 8, { SPECTRAL_LAB_WASM_THREADS: '1' })).toBeUndefined();
  });
});
