#!/usr/bin/env node
/**
 * `npm start`: the desktop app when Electron is installed; otherwise say so plainly, say what still
 * works, and offer the browser workbench (`npm run cli -- serve`).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** Path of the Electron binary, or null with the reason. */
function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { path: null, why: 'the `electron` package is not installed (it is optional: its install downloads the Electron binary).' };
  }
  const pathTxt = join(dir, 'path.txt');
  const rel = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : '';
  const bin = rel ? join(dir, 'dist', rel) : '';
  if (!bin || !existsSync(bin)) return { path: null, why: 'the `electron` package is installed but its binary was never downloaded (no internet during `npm install`?).' };
  return { path: bin, why: '' };
}

const electron = electronBinary();
if (!electron.path) {
  console.error(`Spectral Lab cannot open its desktop window: ${electron.why}

What works without Electron:
  npm run build                 build the UI (out/renderer) — needed once for the browser workbench
  npm run cli -- serve          the same workbench in your browser (prints a http://127.0.0.1:…/?token=… link)
  npm run cli -- train FILE     train from a config file with a progress bar
  npm run cli -- bounds …       spectral-norm bounds of a kernel file or the ResNet-18 stack
  npm test                      the test suite

To get the desktop app: with internet access run \`npm install electron\`, then \`npm run build && npm start\`.`);
  process.exit(1);
}
if (!existsSync(join(root, 'out', 'main', 'index.js'))) {
  console.error('The app is not built yet: run `npm run build` first (it writes out/main, out/preload, out/renderer).');
  process.exit(1);
}
const child = spawn(electron.path, [root, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
child.on('error', (err) => {
  console.error(`Could not start Electron (${electron.path}): ${err.message}`);
  process.exit(1);
});
