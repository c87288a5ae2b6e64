import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  contentSecurityPolicy,
  isAllowedNavigation,
  isExternalLink,
  isTrustedSender,
  mainWindowOptions,
  permissionDecision,
} from '../../src/main/app/security.js';
import { resolveStaticFile } from '../../src/main/app/static-files.js';

describe('window security', () => {
  it('builds an isolated, sandboxed, Node-free window', () => {
    const o = mainWindowOptions({ preload: '/x/preload.cjs', devTools: false });
    expect(o.webPreferences).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
      devTools: false,
    });
  });

  it('has a CSP without inline or eval script, and relaxes styles only for the dev server', () => {
    const prod = contentSecurityPolicy();
    expect(prod).toContain("default-src 'self'");
    expect(prod).toContain("script-src 'self';");
    expect(prod).toContain("object-src 'none'");
    expect(prod).toContain("frame-ancestors 'none'");
    expect(prod).not.toMatch(/unsafe-(inline|eval)/);
    const dev = contentSecurityPolicy({ dev: true, devServer: 'http://localhost:5173' });
    expect(dev).toContain('ws://localhost:5173');
    expect(dev).not.toContain('unsafe-eval');
  });

  it('allows navigation and IPC only from the app origin', () => {
    const allowed = [APP_ORIGIN];
    expect(isAllowedNavigation('app://lab/index.html#/runs', allowed)).toBe(true);
    expect(isAllowedNavigation('https://example.com/', allowed)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', allowed)).toBe(false);
    expect(isAllowedNavigation('app://evil/index.html', allowed)).toBe(false);
    expect(isAllowedNavigation('not a url', allowed)).toBe(false);
    expect(isTrustedSender('app://lab/index.html', allowed)).toBe(true);
    expect(isTrustedSender('http://localhost:5173/', allowed)).toBe(false);
    expect(isTrustedSender('http://localhost:5173/', [...allowed, 'http://localhost:5173'])).toBe(true);
    expect(isTrustedSender(undefined, allowed)).toBe(false);
  });

  it('opens only http(s) links externally and denies every permission', () => {
    expect(isExternalLink('https://arxiv.org/abs/2012.xxxx')).toBe(true);
    expect(isExternalLink('file:///bin/sh')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(permissionDecision('media')).toBe(false);
  });
});

describe('static files of the renderer', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lab-static-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'assets', 'a.css'), 'body{}');
  writeFileSync(path.join(root, '..', `${path.basename(root)}-secret.txt`), 'secret');
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(path.join(root, '..', `${path.basename(root)}-secret.txt`), { force: true });
  });

  it('finds files with their content type and falls back to index.html for routes', () => {
    expect(resolveStaticFile(root, '/')).toMatchObject({
      file: path.join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
      immutable: false,
    });
    expect(resolveStaticFile(root, '/assets/a.css')).toMatchObject({
      contentType: 'text/css; charset=utf-8',
      immutable: true,
    });
    expect(resolveStaticFile(root, '/runs/42')?.file).toBe(path.join(root, 'index.html'));
    expect(resolveStaticFile(root, '/assets/none.js')).toBeNull();
  });

  it('never leaves the folder', () => {
    const secret = `${path.basename(root)}-secret.txt`;
    expect(resolveStaticFile(root, `/../${secret}`)).toBeNull();
    expect(resolveStaticFile(root, `/%2e%2e/${secret}`)).toBeNull();
    expect(resolveStaticFile(root, `/..%2f${secret}`)).toBeNull();
    expect(resolveStaticFile(root, '/%00index.html')).toBeNull();
    expect(resolveStaticFile(root, '/%E0%A4%A')).toBeNull();
  });
});
