/**
 * The `serve` command exactly as a user on a headless box runs it: a child process serving the built renderer
 * (out/renderer, built by `pretest`), a printed link with a token, a browser that opens it, and refusals without
 * the token or from another origin.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HAVE_CHROMIUM, launchBrowser, screenshot } from './support/browser.js';

const root = resolve(import.meta.dirname, '../..');
const built = existsSync(join(root, 'out/renderer/index.html'));

describe.skipIf(!HAVE_CHROMIUM || !built)('spectral-lab serve (child process, built renderer)', () => {
  let child: ChildProcess;
  let link: URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'serve-cli-'));

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), 'serve', '--port', '0', '--no-open', '--data', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    link = await new Promise<URL>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve printed no link in 60 s:\n${out}`)), 60_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/);
        if (m) {
          clearTimeout(timer);
          ok(new URL(m[0]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)));
    });
  }, 90_000);

  afterAll(async () => {
    child?.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('binds the loopback address and prints a tokenised link', () => {
    expect(link.hostname).toBe('127.0.0.1');
    expect(link.searchParams.get('token')).toMatch(/^[0-9a-f]{32,}$/);
  });

  it('refuses API calls without the token, with a wrong token, and from another origin', async () => {
    const api = new URL('/api/getInfo', link.origin).href;
    const body = JSON.stringify({ args: [] });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(api, { method: 'POST', body, headers })).status).toBe(401);
    expect((await fetch(api, { method: 'POST', body, headers: { ...headers, authorization: 'Bearer 00' } })).status).toBe(403);
    const token = link.searchParams.get('token')!;
    const foreign = await fetch(api, { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${token}`, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    const ok = await fetch(api, { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const info = await ok.json();
    expect(JSON.stringify(info)).toContain(dataDir);
  });

  it('serves the built workbench to a real browser that opens the link', async () => {
    const b = await launchBrowser();
    try {
      await b.page.goto(link.href);
      await b.page.waitForSelector('[data-testid]', { timeout: 30_000 });
      // The token leaves the address bar once the cookie is set.
      expect(b.page.url()).not.toContain('token=');
      await expect(b.page.textContent('body')).resolves.toMatch(/Spectral Lab/);
      await screenshot(b.page, 'serve-cli-home');
      expect(b.errors).toEqual([]);
    } finally {
      await b.close();
    }
  }, 60_000);
});
