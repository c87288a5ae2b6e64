#!/usr/bin/env node
/**
 * Runs electron-vite. electron-vite takes the Electron version (for its Node/Chrome build targets)
 * from node_modules/electron; when that optional package is absent (its binary download needs the
 * internet) the major version declared in package.json is passed through ELECTRON_MAJOR_VER instead,
 * so `build` still produces out/main, out/preload and out/renderer (and `serve` can use them).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function electronInstalled() {
  try {
    require.resolve('electron/package.json');
    return true;
  } catch {
    return false;
  }
}

const env = { ...process.env };
if (!env.ELECTRON_MAJOR_VER && !electronInstalled()) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const range = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? pkg.dependencies?.electron ?? '';
  const major = /(\d+)/.exec(range)?.[1];
  if (!major) {
    console.error(
      'electron-vite: the electron package is not installed and package.json names no electron version; set ELECTRON_MAJOR_VER (e.g. 38) and retry.',
    );
    process.exit(1);
  }
  env.ELECTRON_MAJOR_VER = major;
  const cmd = process.argv[2] ?? '';
  console.error(`electron-vite: electron is not installed; building for Electron ${major} (from package.json).`);
  if (cmd === 'dev' || cmd === 'preview') {
    console.error(
      '  `dev`/`preview` start Electron and will fail without it; use `npm start` (it builds, then serves the workbench to your browser).',
    );
  }
}

const bin = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
if (!existsSync(bin)) {
  console.error('electron-vite is not installed: run `npm install` in the project folder.');
  process.exit(1);
}
const r = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit', env, cwd: root });
process.exit(r.status ?? 1);
