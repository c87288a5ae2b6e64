#!/usr/bin/env node
/**
 * `npm start`, the one command after `npm install`:
 *  1. builds what is missing (out/ absent or older than the sources it is built from);
 *  2. opens the desktop window when Electron is installed and a display exists;
 *  3. otherwise says why there is no window and starts the browser workbench (`spectral-lab serve`) in this
 *     process, which opens the page where a display exists and always prints the link.
 * Options after `--` go to `serve` (e.g. `npm start -- --port 0 --no-open`), or to Electron.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { staleReason } from './build-state.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

const HELP = `Usage: npm start [-- options]

Builds the workbench if out/ is missing or older than the sources, then opens the desktop window (Electron),
or, where Electron or a display is missing, serves the same workbench to your browser on 127.0.0.1.

Options:
  --browser      the browser workbench even where Electron is installed
  -h, --help     this text
Any other option goes to the browser workbench, see \`npm run cli -- serve --help\` (e.g. --port N, --no-open),
or to Electron when the desktop window opens.`;

/** Path of the Electron binary, or null with the reason there is no window. */
function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return {
      path: null,
      why: 'the optional `electron` package is not installed (its install downloads the Electron binary).',
    };
  }
  const pathTxt = join(dir, 'path.txt');
  const rel = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : '';
  const bin = rel ? join(dir, 'dist', rel) : '';
  if (!bin || !existsSync(bin)) {
    return {
      path: null,
      why: 'the `electron` package is installed but its binary was never downloaded (no internet during `npm install`?).',
    };
  }
  return { path: bin, why: '' };
}

const hasDisplay = () => process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

/** Build with electron-vite when out/ is stale; exits the process when the build fails. */
function buildIfStale(kind) {
  const why = staleReason(root, kind);
  if (!why) return;
  console.error(`Building the workbench (${why}): npm run build …`);
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'electron-vite.js'), 'build'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) {
    console.error(
      'The build failed (its output is above). Fix the error it names, then run `npm start` again (`npm run build` rebuilds alone).',
    );
    process.exit(1);
  }
}

function startDesktop(electronPath, args) {
  const child = spawn(electronPath, [root, ...args], { stdio: 'inherit', cwd: root });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
  child.on('error', (err) => {
    console.error(
      `Could not start Electron (${electronPath}): ${err.message}. Try \`npm start -- --browser\` for the browser workbench.`,
    );
    process.exit(1);
  });
}

/** `spectral-lab serve` in this process, from the TypeScript sources (as `npm run serve`). */
async function startBrowser(args) {
  if (!hasDisplay() && !args.includes('--no-open')) {
    console.error(
      'No display here ($DISPLAY and $WAYLAND_DISPLAY are unset), so no browser opens: open the link below in a',
    );
    console.error(
      'browser on this machine, or from another one through `ssh -L PORT:127.0.0.1:PORT` with the printed port.',
    );
  }
  const { register } = await import('tsx/esm/api');
  register();
  const cli = join(root, 'src', 'main', 'cli', 'index.ts');
  process.argv = [process.argv[0], cli, 'serve', ...args];
  await import(pathToFileURL(cli).href);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const browserOnly = argv.includes('--browser');
  const args = argv.filter((a) => a !== '--browser');
  const electron = electronBinary();
  let why = electron.why;
  if (!why && browserOnly) why = 'you asked for the browser (--browser).';
  if (!why && !hasDisplay())
    why = 'Electron is installed but there is no display ($DISPLAY and $WAYLAND_DISPLAY are unset).';
  if (!why) {
    buildIfStale('desktop');
    startDesktop(electron.path, args);
    return;
  }
  console.error(
    `No desktop window: ${why}\nStarting the browser workbench instead (the same UI, served on 127.0.0.1).`,
  );
  buildIfStale('browser');
  await startBrowser(args);
}

await main();
