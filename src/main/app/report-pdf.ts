/**
 * The app's PDF printer: the report loaded into a hidden, sandboxed window with JavaScript off (the
 * report has no script and loads nothing) and printed with Electron's webContents.printToPDF, A4, the
 * report's print CSS deciding the layout, page numbers in the footer as `export --format pdf` prints them.
 */
import type { PdfPrinter } from '../report/pdf.js';
import { PDF_FOOTER } from '../report/pdf.js';
import type { ElectronLike } from './electron-like.js';

export function electronPrinter(electron: Pick<ElectronLike, 'BrowserWindow'>): PdfPrinter {
  return async (html) => {
    const win = new electron.BrowserWindow({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
    });
    try {
      await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
      const pdf = await win.webContents.printToPDF({
        pageSize: 'A4',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<div></div>',
        footerTemplate: PDF_FOOTER,
      });
      return new Uint8Array(pdf);
    } finally {
      win.destroy();
    }
  };
}
