/**
 * Compiled kernels kept between processes: each variant's binary in node_modules/.cache/spectral-lab/kernels/, named
 * by the SHA-256 of its text and of the compiler's version, so an edited .wat is compiled again and nothing stale is
 * ever read. Why: wabt's own start-up (~55 ms) and its parses (2-25 ms a kernel) were paid by every thread of every
 * process (each layer thread of `npm run bounds` compiled the same kernels). Writing is best effort (where the
 * folder is read-only the kernels are compiled in memory as before), under a temporary name and then renamed, so a
 * process never reads a half-written binary.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const wabtPackage = require.resolve('wabt/package.json');
const compiler = `wabt ${(JSON.parse(readFileSync(wabtPackage, 'utf8')) as { version: string }).version}`;
const folder = path.join(path.dirname(path.dirname(wabtPackage)), '.cache', 'spectral-lab', 'kernels');

/** The cache key of a kernel variant's text compiled with `features` (wabt's feature flags). */
export function binaryKey(text: string, features: object): string {
  return createHash('sha256').update(compiler).update(JSON.stringify(features)).update(text).digest('hex');
}

/** The cached binary, or null. */
export function readBinary(key: string): Uint8Array | null {
  try {
    return new Uint8Array(readFileSync(path.join(folder, `${key}.wasm`)));
  } catch {
    return null;
  }
}

export function writeBinary(key: string, bytes: Uint8Array): void {
  const file = path.join(folder, `${key}.wasm`);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}
