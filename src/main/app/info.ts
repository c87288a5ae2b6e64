/**
 * What the lab knows about its surroundings: optional pieces that are missing (with what stops working
 * and how to get them) and the package version. Resolution is from the project, so the answer is the
 * same under `serve`, the CLI and tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { LabInfo, MissingPiece } from '../../shared/api.js';

const require = createRequire(import.meta.url);

function resolvable(id: string, from: string): string | null {
  try {
    return require.resolve(id, { paths: [from] });
  } catch {
    return null;
  }
}

/** Is the Electron binary there (the npm package downloads it in a postinstall step)? */
export function electronBinaryPresent(projectRoot: string): boolean {
  const pkg = resolvable('electron/package.json', projectRoot);
  if (!pkg) return false;
  const dir = path.dirname(pkg);
  const pathTxt = path.join(dir, 'path.txt');
  return existsSync(pathTxt) && existsSync(path.join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim()));
}

export function detectMissing(projectRoot: string, shell: LabInfo['shell']): MissingPiece[] {
  const missing: MissingPiece[] = [];
  if (shell !== 'electron' && !electronBinaryPresent(projectRoot)) {
    missing.push({
      name: 'electron',
      effect:
        'No desktop window: `npm start` serves this same workbench to the browser instead (`spectral-lab serve`).',
      fix: 'With internet access: `npm install electron` (downloads the Electron binary), then `npm start` (it rebuilds what is needed).',
    });
  }
  if (!resolvable('@tensorflow/tfjs-node', projectRoot) && !resolvable('@tensorflow/tfjs-node-gpu', projectRoot)) {
    missing.push({
      name: '@tensorflow/tfjs-node',
      effect: 'Training runs on the WASM or pure-JS backend: correct but several times slower than native TensorFlow.',
      fix: 'With internet access: `npm install @tensorflow/tfjs-node` (downloads libtensorflow); `-gpu` for CUDA.',
    });
  }
  return missing;
}

/** The project root (folder of package.json) above `fromDir`, or null. */
export function findProjectRoot(fromDir: string): string | null {
  let dir = path.resolve(fromDir);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export function packageVersion(projectRoot: string | null): string {
  if (!projectRoot) return '0.0.0';
  try {
    return (
      (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ??
      '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}
