#!/usr/bin/env -S node --experimental-wasm-relaxed-simd
// The package's `bin`: runs the built CLI when present (out/main/cli.js), else the TypeScript sources through tsx.
// The flag turns on relaxed SIMD (fused multiply-adds in the WebAssembly kernels) on Node 20, where V8 has it only
// behind a start-up flag; started as plain `node bin/spectral-lab.js`, the kernels run their plain SIMD variant.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'out', 'main', 'cli.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'main', 'cli', 'index.ts')).href);
}
