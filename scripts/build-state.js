/**
 * Whether out/ is older than the sources it is built from, for `npm start` (scripts/start.js): by modification
 * times, as make does. Each way of running names the outputs it needs and the sources they come from.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What each way of running needs from the build, and the sources those outputs are built from. */
export const BUILDS = {
  // `serve` runs src/main through tsx; it needs only the built UI. The Vite config imports the CSP module.
  browser: {
    outputs: ['out/renderer/index.html'],
    inputs: ['src/renderer', 'src/shared', 'electron.vite.config.ts', 'src/main/app/security.ts'],
  },
  desktop: {
    outputs: ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'],
    inputs: ['src', 'electron.vite.config.ts'],
  },
};

/** Newest modification time (ms) under `p` (a file or a folder; a folder's own time changes when a file goes). */
export function newestMtime(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return { ms: 0, file: p };
  if (!st.isDirectory()) return { ms: st.mtimeMs, file: p };
  let best = { ms: st.mtimeMs, file: p };
  for (const name of readdirSync(p)) {
    const sub = newestMtime(join(p, name));
    if (sub.ms > best.ms) best = sub;
  }
  return best;
}

/** Why the build under `root` must run for `kind` (a phrase), or null when out/ is up to date. */
export function staleReason(root, kind) {
  const { outputs, inputs } = BUILDS[kind];
  const missing = outputs.find((o) => !existsSync(join(root, o)));
  if (missing) return `${missing} is missing`;
  const oldest = Math.min(...outputs.map((o) => statSync(join(root, o)).mtimeMs));
  const newest = inputs.map((i) => newestMtime(join(root, i))).reduce((a, b) => (b.ms > a.ms ? b : a));
  return newest.ms > oldest ? `${relative(root, newest.file)} changed after the last build` : null;
}
