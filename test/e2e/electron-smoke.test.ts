/**
 * Smoke test of the real desktop app, where the Electron binary is installed (it is an optional dependency:
 * offline machines have none, and the shell's logic is covered under Node by test/shell instead).
 */
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');

function electronBinary(): string | null {
  try {
    // The electron package's main export is the path of its downloaded binary.
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const built = existsSync(join(root, 'out/main/index.js')) && existsSync(join(root, 'out/renderer/index.html'));

describe.skipIf(!binary || !built)('Electron window (only where the Electron binary is installed)', () => {
  it('opens one sandboxed window with the workbench and no Node in the page', async () => {
    const home = mkdtempSync(join(tmpdir(), 'electron-smoke-'));
    const app = await _electron.launch({
      executablePath: binary!,
      args: [join(root, 'out/main/index.js'), '--no-sandbox'],
      env: { ...process.env, XDG_DATA_HOME: home, HOME: home },
    });
    try {
      const win = await app.firstWindow();
      await win.waitForSelector('[data-testid]', { timeout: 30_000 });
      expect(await win.title()).toBe('Spectral Lab');
      // contextIsolation + sandbox: the page sees the lab bridge, never Node's require/process.
      expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await win.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      expect(await win.evaluate(() => typeof (globalThis as { lab?: unknown }).lab)).toBe('object');
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);
});
