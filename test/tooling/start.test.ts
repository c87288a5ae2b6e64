/**
 * `npm start` where there is no desktop window (no Electron, or no display: the env below unsets both display
 * variables): scripts/start.js builds what is missing, says why there is no window, starts the browser
 * workbench with a store in a temporary folder and prints the link; the link's page is the workbench UI and
 * the API answers with its token; SIGINT stops it cleanly (exit 0, store closed).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LINK = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+)/;

function send(port: number, method: string, p: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }),
      );
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('npm start without a desktop window', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'lab-start-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it(
    'starts the browser workbench, prints its link, serves the UI and stops cleanly',
    { timeout: 300_000 },
    async () => {
      // XDG_DATA_HOME is where the default store folder lives on Linux: the user's real store is never touched.
      const env = { ...process.env, XDG_DATA_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' };
      const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js'), '--port', '0', '--no-open'], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        // A build (when out/ is stale) and tsx compiling the server come first.
        const link = await new Promise<RegExpExecArray>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no link after 240 s:\n${out}\n${err}`)), 240_000);
          child.stdout.on('data', () => {
            const m = LINK.exec(out);
            if (!m) return;
            clearTimeout(timer);
            resolve(m);
          });
          void exited.then((e) => {
            clearTimeout(timer);
            reject(new Error(`npm start exited (${e.code}, ${e.signal}) before its link:\n${out}\n${err}`));
          });
        });
        expect(err).toMatch(
          /No desktop window: (the optional `electron` package is not installed|the `electron` package is installed but|Electron is installed but there is no display)/,
        );
        expect(err).toContain('Starting the browser workbench instead');

        const port = Number(link[1]);
        const page = await send(port, 'GET', `/?token=${link[2]}`);
        expect(page.status).toBe(200);
        expect(page.type).toMatch(/^text\/html/);
        expect(page.body).toContain('<title>Spectral Lab</title>');
        expect(page.body).toMatch(/<script type="module"[^>]* src="\.?\/assets\/[^"]+\.js"/);
        const denied = await send(port, 'GET', '/');
        expect(denied.status).toBe(401);

        const info = await send(
          port,
          'POST',
          '/api/getInfo',
          { 'Content-Type': 'application/json', Authorization: `Bearer ${link[2]}` },
          '{"args":[]}',
        );
        expect(info.status).toBe(200);
        expect(JSON.parse(info.body)).toMatchObject({ ok: true });
        // The store is the default one under XDG_DATA_HOME (serve names its folder after the link).
        expect(existsSync(path.join(home, 'spectral-lab'))).toBe(true);
        expect(out).toContain(path.join(home, 'spectral-lab'));
      } finally {
        if (child.exitCode === null) child.kill('SIGINT');
      }
      const end = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      if (!end) child.kill('SIGKILL');
      expect(end).toEqual({ code: 0, signal: null });
      expect(err).toContain('SIGINT: stopping');
    },
  );
});

describe('npm start: is out/ older than the sources? (scripts/build-state.js)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lab-build-state-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const at = (file: string, seconds: number) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    if (!existsSync(path.join(root, file))) writeFileSync(path.join(root, file), '');
    utimesSync(path.join(root, file), seconds, seconds);
  };

  it('builds when an output is missing or a source is newer, not otherwise', async () => {
    const { staleReason } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build-state.js')).href)) as {
      staleReason: (root: string, kind: 'browser' | 'desktop') => string | null;
    };
    for (const f of [
      'src/renderer/src/App.vue',
      'src/shared/api.ts',
      'src/main/cli/index.ts',
      'electron.vite.config.ts',
      'src/main/app/security.ts',
    ])
      at(f, 1000);
    for (const dir of [
      'src/renderer/src',
      'src/renderer',
      'src/shared',
      'src/main/cli',
      'src/main/app',
      'src/main',
      'src',
    ])
      utimesSync(path.join(root, dir), 1000, 1000);
    expect(staleReason(root, 'browser')).toBe('out/renderer/index.html is missing');
    at('out/renderer/index.html', 2000);
    expect(staleReason(root, 'browser')).toBeNull();
    expect(staleReason(root, 'desktop')).toBe('out/main/index.js is missing');
    at('out/main/index.js', 2000);
    at('out/preload/index.cjs', 2000);
    expect(staleReason(root, 'desktop')).toBeNull();
    // A change in the main process matters to the desktop build only: the browser workbench runs src/main via tsx.
    at('src/main/cli/index.ts', 3000);
    expect(staleReason(root, 'browser')).toBeNull();
    expect(staleReason(root, 'desktop')).toBe(
      `${path.join('src', 'main', 'cli', 'index.ts')} changed after the last build`,
    );
    at('src/shared/api.ts', 3000);
    expect(staleReason(root, 'browser')).toBe(`${path.join('src', 'shared', 'api.ts')} changed after the last build`);
  });
});
