/** The app's PDF printer (Electron's printToPDF) against a fake BrowserWindow: what it loads, how it prints, that the window goes. */
import { describe, expect, it } from 'vitest';
import { electronPrinter } from '../../src/main/app/report-pdf.js';
import type { ElectronLike } from '../../src/main/app/electron-like.js';

function fakeElectron(fail = false) {
  const windows: {
    options: Record<string, unknown>;
    url: string;
    printed: Record<string, unknown> | null;
    destroyed: boolean;
  }[] = [];
  class BrowserWindow {
    rec = {
      options: {} as Record<string, unknown>,
      url: '',
      printed: null as Record<string, unknown> | null,
      destroyed: false,
    };
    webContents = {
      printToPDF: async (o: Record<string, unknown>) => {
        if (fail) throw new Error('printing failed');
        this.rec.printed = o;
        return new Uint8Array([37, 80, 68, 70]);
      },
    };
    constructor(options: Record<string, unknown>) {
      this.rec.options = options;
      windows.push(this.rec);
    }
    async loadURL(u: string) {
      this.rec.url = u;
    }
    destroy() {
      this.rec.destroyed = true;
    }
  }
  return { electron: { BrowserWindow } as unknown as Pick<ElectronLike, 'BrowserWindow'>, windows };
}

describe('the app prints the report with printToPDF', () => {
  it('loads the report in a hidden window without JavaScript, prints A4 with the CSS page size, then closes the window', async () => {
    const { electron, windows } = fakeElectron();
    const html = '<!DOCTYPE html><title>ré</title><p>β = 0.01</p>';
    const pdf = await electronPrinter(electron)(html);
    expect([...pdf]).toEqual([37, 80, 68, 70]);
    expect(windows).toHaveLength(1);
    const w = windows[0];
    expect(w.options).toMatchObject({
      show: false,
      webPreferences: { sandbox: true, javascript: false, nodeIntegration: false },
    });
    const [, b64] = w.url.split('base64,');
    expect(w.url.startsWith('data:text/html;charset=utf-8;base64,')).toBe(true);
    expect(Buffer.from(b64, 'base64').toString('utf8')).toBe(html);
    expect(w.printed).toMatchObject({
      pageSize: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
    });
    expect(String(w.printed?.footerTemplate)).toContain('pageNumber');
    expect(w.destroyed).toBe(true);
  });

  it('closes the window when printing fails', async () => {
    const { electron, windows } = fakeElectron(true);
    await expect(electronPrinter(electron)('<p>x</p>')).rejects.toThrow('printing failed');
    expect(windows[0].destroyed).toBe(true);
  });
});
