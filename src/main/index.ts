/**
 * Electron entry (out/main/index.js): hands the Electron API to the shell. Electron's userData is pointed at the
 * store's default data folder (XDG data dir / Application Support / AppData), the same place
 * `spectral-lab` commands use by default, so the app and the CLI share runs.
 * 'electron' is imported by a non-literal specifier because its package (and types) are optional;
 * the shell types what it uses in app/electron-like.ts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElectronLike } from './app/electron-like.js';
import { runElectronApp } from './app/electron-shell.js';
import { electronPrinter } from './app/report-pdf.js';
import { findRendererDir } from './app/static-files.js';
import { defaultDataDir } from './store/data-dir.js';

const ELECTRON = 'electron';
const electron = (await import(ELECTRON)) as ElectronLike & { default?: ElectronLike };
const api: ElectronLike = electron.app ? electron : (electron.default as ElectronLike);
const here = path.dirname(fileURLToPath(import.meta.url));
// Must happen before 'ready', so the single-instance lock and the store both live in the shared folder.
api.app.setPath('userData', defaultDataDir());

runElectronApp(api, {
  preloadPath: path.join(here, '../preload/index.cjs'),
  rendererDir: findRendererDir(here),
  devServerUrl: process.env.ELECTRON_RENDERER_URL,
  async createLab(dataDir) {
    const { createLab } = await import('./app/create.js');
    // The same Redis options as `serve --redis URL` (docs/distributed.md): an unreachable one stops the app with its message.
    const { appRedisOptions, RedisSweeps } = await import('./queue/redis-sweeps.js');
    const redisOptions = appRedisOptions(process.argv.slice(1));
    return createLab({
      redis: redisOptions ? await RedisSweeps.connect(redisOptions) : null,
      dataDir,
      shell: 'electron',
      versions: { electron: process.versions.electron ?? null, chrome: process.versions.chrome ?? null },
      printPdf: () => electronPrinter(api),
    });
  },
});
