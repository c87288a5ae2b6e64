/**
 * Locating files of the built renderer (out/renderer) for a request path — shared by `serve` and the
 * Electron app:// protocol, so both answer the same files with the same types and never leave the folder.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticHit {
  file: string;
  contentType: string;
  /** Immutable hashed asset (long cache) vs. index.html (always revalidated). */
  immutable: boolean;
}

/**
 * The file for `urlPath` inside `root`, or null. Paths without an extension that match no file fall
 * back to index.html (client-side routes). Traversal ("..", encoded or not) resolves outside `root` and
 * is refused.
 */
export function resolveStaticFile(root: string, urlPath: string): StaticHit | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rootAbs = path.resolve(root);
  const rel = decoded.replace(/^\/+/, '') || 'index.html';
  const candidate = path.resolve(rootAbs, rel);
  if (candidate !== rootAbs && !candidate.startsWith(rootAbs + path.sep)) return null;
  if (isFile(candidate)) {
    return { file: candidate, contentType: contentTypeOf(candidate), immutable: /[/\\]assets[/\\]/.test(candidate) };
  }
  if (path.extname(rel) === '') {
    const index = path.join(rootAbs, 'index.html');
    if (isFile(index)) return { file: index, contentType: contentTypeOf(index), immutable: false };
  }
  return null;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The built renderer next to the running code: out/renderer from out/main/*.js, or from the repo root in dev. */
export function findRendererDir(fromDir: string, cwd = process.cwd()): string | null {
  const candidates = [
    path.resolve(fromDir, '../renderer'), // out/main/chunk.js -> out/renderer
    path.resolve(fromDir, '../../out/renderer'), // src/main/app -> <root>/out/renderer (tsx)
    path.resolve(fromDir, '../../../out/renderer'),
    path.resolve(cwd, 'out/renderer'),
  ];
  for (const c of candidates) if (existsSync(path.join(c, 'index.html'))) return c;
  return null;
}
