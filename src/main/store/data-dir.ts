/**
 * Where Spectral Lab keeps its data when no folder is given: the per-user application data folder of
 * the platform (the same place Electron's userData points to), computed without Electron so the CLI
 * finds the same runs as the app.
 */
import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER_NAME = 'spectral-lab';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME || env.USERPROFILE || os.homedir();
  if (platform === 'win32') {
    return path.win32.join(env.APPDATA || path.win32.join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
  const xdg =
    env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(xdg, APP_FOLDER_NAME);
}

export interface StorePaths {
  dataDir: string;
  database: string;
  /** One lock file per run being written (lock.ts): many processes share the store. */
  locks: string;
  checkpoints: string;
}

export function storePaths(dataDir: string): StorePaths {
  const dir = path.resolve(dataDir);
  return {
    dataDir: dir,
    database: path.join(dir, 'runs.sqlite'),
    locks: path.join(dir, 'locks'),
    checkpoints: path.join(dir, 'checkpoints'),
  };
}
