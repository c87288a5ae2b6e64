/**
 * The built renderer the e2e tests serve: a renderer-only Vite build of src/renderer (the same root,
 * plugin and sources as the renderer part of `npm run build`, i.e. electron.vite.config.ts) into
 * test-results/e2e-renderer, redone whenever a source file's content changed (a hash stamp, not
 * mtimes: out/renderer may be stale or being rebuilt by someone else while the tests run).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SOURCES = ['src/renderer', 'src/shared'].map((p) => path.join(ROOT, p));
export const RENDERER_OUT = path.join(ROOT, 'test-results/e2e-renderer');
const STAMP = path.join(RENDERER_OUT, '.sources-sha256');

function hashTree(dir: string, h = createHash('sha256')): ReturnType<typeof createHash> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(p, h);
    else h.update(path.relative(ROOT, p)).update('\0').update(readFileSync(p)).update('\0');
  }
  return h;
}

function sourcesHash(): string {
  const h = createHash('sha256');
  for (const d of SOURCES) hashTree(d, h);
  return h.digest('hex');
}

export async function ensureRenderer(log: (m: string) => void = () => undefined): Promise<string> {
  const hash = sourcesHash();
  if (existsSync(path.join(RENDERER_OUT, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return RENDERER_OUT;
  log(`building the renderer into ${RENDERER_OUT}`);
  const { build } = await import('vite');
  const { default: vue } = await import('@vitejs/plugin-vue');
  await build({
    configFile: false,
    logLevel: 'warn',
    root: path.join(ROOT, 'src/renderer'),
    base: './',
    plugins: [vue()],
    build: { outDir: RENDERER_OUT, emptyOutDir: true, reportCompressedSize: false },
  });
  writeFileSync(STAMP, hash);
  return RENDERER_OUT;
}
