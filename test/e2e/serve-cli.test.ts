/**
 * The `serve` command exactly as a user on a headless box runs it: a child process serving the built renderer
 * (out/renderer, built by `pretest`, or here when it is older than its sources), a printed link with a token,
 * a browser that opens it, and refusals without the token or from another origin.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAVE_CHROMIUM, launchBrowser, screenshot } from './support/browser.js';
import { ensureRenderer } from './support/renderer-build.js';
import { spawnServe, type ServeProcess } from './support/serve-process.js';

describe.skipIf(!HAVE_CHROMIUM)('spectral-lab serve (child process, built renderer)', () => {
  let serve: ServeProcess | undefined;
  let link: URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'serve-cli-'));

  beforeAll(async () => {
    await ensureRenderer();
    serve = await spawnServe({ dataDir });
    link = serve.link;
  }, 240_000);

  afterAll(async () => {
    const early = serve?.exited() != null;
    await serve?.stop(5000);
    rmSync(dataDir, { recursive: true, force: true });
    if (early) serve?.assertAlive();
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
    expect(
      (await fetch(api, { method: 'POST', body, headers: { ...headers, authorization: 'Bearer 00' } })).status,
    ).toBe(403);
    const token = link.searchParams.get('token')!;
    const foreign = await fetch(api, {
      method: 'POST',
      body,
      headers: { ...headers, authorization: `Bearer ${token}`, origin: 'http://evil.example' },
    });
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
