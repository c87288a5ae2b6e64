/**
 * The compiled kernels kept between processes (kernels/binary-cache.ts): what a process reads from the cache is
 * exactly what wabt makes of the variant's text now, and a different text never finds another's binary.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { binaryKey, readBinary } from '../../src/main/engine/kernels/binary-cache.js';
import { kernelBytes, variantText, type KernelName } from '../../src/main/engine/kernels/index.js';

const FEATURES = { simd: true, relaxed_simd: true, bulk_memory: true, threads: true };
const folder = path.join(
  path.dirname(path.dirname(createRequire(import.meta.url).resolve('wabt/package.json'))),
  '.cache',
  'spectral-lab',
  'kernels',
);

describe('kernel binary cache', () => {
  it('holds every variant a process uses, equal to compiling its text now', async () => {
    const wabt = await wabtInit();
    const cached = new Set(readdirSync(folder).map((f) => path.basename(f, '.wasm')));
    for (const [name, variant] of [
      ['gram', { fused: true, shared: true }],
      ['toeplitz-gram', { fused: false, shared: false }],
      ['f4', { fused: true, shared: false }],
    ] as const) {
      const bytes = kernelBytes(name as KernelName, variant);
      const module = wabt.parseWat(`${name}.wat`, variantText(name as KernelName, variant), FEATURES);
      (module.validate as (features: object) => void).call(module, FEATURES);
      const fresh = module.toBinary({}).buffer;
      module.destroy();
      expect(Buffer.from(bytes).equals(Buffer.from(fresh)), name).toBe(true);
      // the process's copy is one of the cached files, byte for byte
      const match = [...cached].some((key) => {
        const b = readBinary(key);
        return b !== null && Buffer.from(b).equals(Buffer.from(bytes));
      });
      expect(match, name).toBe(true);
    }
  });

  it('keys by text and features: any change is a different binary', () => {
    const text = '(module (func (export "f")))';
    expect(binaryKey(text, FEATURES)).toBe(binaryKey(text, FEATURES));
    expect(binaryKey(`${text} `, FEATURES)).not.toBe(binaryKey(text, FEATURES));
    expect(binaryKey(text, { ...FEATURES, threads: false })).not.toBe(binaryKey(text, FEATURES));
    expect(readBinary(binaryKey('(module ;; never compiled\n)', FEATURES))).toBeNull();
  });
});
