/**
 * Run-time detection of the optional native backends (@tensorflow/tfjs-node, -gpu). They are
 * optionalDependencies whose install downloads libtensorflow, so they are often absent or present
 * without a working native binding; either way the engine must keep going on WASM.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

export type PackageLoad = { ok: true; version: string } | { ok: false; missing: boolean; reason: string };

/** The version field of an installed package, or null if it cannot be found. */
export function installedVersion(pkg: string): string | null {
  try {
    const require = createRequire(import.meta.url);
    let dir = require.resolve(pkg);
    // Walk up to the package root (main may sit in dist/); package.json may not be exported.
    for (let i = 0; i < 6; i++) {
      dir = path.dirname(dir);
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (json.name === pkg && json.version) return json.version;
      }
    }
  } catch {
    /* not installed */
  }
  return null;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? text
  );
}

/**
 * Imports `pkg` (which registers its backend with tfjs as a side effect). The specifier is a
 * variable so bundlers and the type checker do not require the package to exist.
 */
export async function loadOptionalPackage(pkg: string): Promise<PackageLoad> {
  const version = installedVersion(pkg);
  if (version === null) return { ok: false, missing: true, reason: 'package not installed' };
  try {
    const specifier: string = pkg;
    await import(specifier);
    return { ok: true, version };
  } catch (e) {
    return { ok: false, missing: false, reason: `installed (${version}) but does not load: ${firstLine(e)}` };
  }
}
