/**
 * The built renderer the e2e tests look at is the one `spectral-lab serve` serves: out/renderer, made by
 * `npm run build` (and by `pretest`). When it is missing or older than a source it is built from (edited
 * since the last build), the real build (`node scripts/electron-vite.js build`) is run first, once: a
 * lock folder keeps two test files from building into the same folder at the same time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(import.meta.dirname, '../../..');
export const RENDERER_OUT = path.join(ROOT, 'out/renderer');
const INDEX = path.join(RENDERER_OUT, 'index.html');
/** What the renderer bundle is made of: its sources, the contract, and the build config with the CSP it embeds. */
const SOURCES = ['src/renderer', 'src/shared', 'electron.vite.config.ts', 'src/main/app/security.ts'].map((p) =>
  path.join(ROOT, p),
);
const LOCK = path.join(ROOT, 'test-results/.renderer-build.lock');
const BUILD_TIMEOUT_MS = 180_000;

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** Why out/renderer must be (re)built, or null when it is newer than every source. */
export function staleReason(): string | null {
  if (!existsSync(INDEX)) return 'out/renderer/index.html is missing';
  const built = statSync(INDEX).mtimeMs;
  const newest = Math.max(...SOURCES.map(newestMtime));
  return newest > built ? 'a renderer source changed after the last build' : null;
}

async function withLock<T>(fn: () => T): Promise<T> {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock left by a killed run is older than any build takes.
      if (Date.now() - statSync(LOCK).mtimeMs > BUILD_TIMEOUT_MS) rmdirSync(LOCK);
      if (Date.now() > deadline)
        throw new Error(`Waited ${BUILD_TIMEOUT_MS / 1000} s for ${LOCK}; remove it if no build is running.`);
      await sleep(500);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(LOCK);
  }
}

/** out/renderer, up to date with the sources (built here when it is not). */
export async function ensureRenderer(log: (m: string) => void = () => undefined): Promise<string> {
  if (staleReason() === null) return RENDERER_OUT;
  await withLock(() => {
    const reason = staleReason(); // another test file may have built it while this one waited
    if (reason === null) return;
    log(`building the workbench (${reason}): node scripts/electron-vite.js build`);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/electron-vite.js'), 'build'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
    });
    if (r.status !== 0) {
      throw new Error(
        `The build failed (exit ${r.status ?? r.signal}); run \`npm run build\` to see why:\n${r.stdout}\n${r.stderr}`,
      );
    }
  });
  return RENDERER_OUT;
}
