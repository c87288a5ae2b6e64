/**
 * The Report button's file (LabApi.getReport): the same self-contained HTML report as
 * `spectral-lab export --format html` with its defaults, or that report printed to an A4 PDF (by the
 * shell's printer: Electron's printToPDF in the app, the headless Chromium for serve).
 */
import { LabError, type ReportFile, type ReportFormat } from '../../shared/api.js';
import { isStoreError, type Store } from '../store/index.js';
import { collectReportData, type CollectOptions } from './data.js';
import { ExportError } from './errors.js';
import { HTML_DEFAULT_SERIES, htmlReport } from './html-report.js';
import type { PdfPrinter } from './pdf.js';

/** What `export --format html` reads without --series / --budget (the CLI builds the same from its flags). */
export const HTML_REPORT_DEFAULTS: Omit<CollectOptions, 'onProgress'> = {
  series: HTML_DEFAULT_SERIES,
  optionalSeries: true,
  budget: 1000,
  times: false,
  warnDownsampled: false,
  boundHistory: false,
};

function fileSlug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'run'
  );
}

/**
 * "<run name>_report.pdf", or "compare-3-runs_report.pdf" for a comparison; with imported networks
 * "<network>_report.pdf", "<network>-and-1-run_report.pdf", "3-networks-and-2-runs_report.pdf".
 */
export function reportFileName(
  runNames: readonly string[],
  format: ReportFormat,
  networkNames: readonly string[] = [],
): string {
  const runs = `${runNames.length}-run${runNames.length === 1 ? '' : 's'}`;
  let stem = runNames.length === 1 ? fileSlug(runNames[0]) : `compare-${runs}`;
  if (networkNames.length) {
    const networks = networkNames.length === 1 ? fileSlug(networkNames[0]) : `${networkNames.length}-networks`;
    stem = runNames.length ? `${networks}-and-${runs}` : networks;
  }
  return `${stem}_report.${format}`;
}

/** `analyses`: ids of stored model analyses reported beside the runs (runIds may then be empty). */
export type Reporter = (runIds: string[], format: ReportFormat, analyses?: string[]) => Promise<ReportFile>;

/** `printPdf` is asked for only when a PDF is wanted (an HTML report needs no browser). */
export function labReporter(store: Store, printPdf: () => PdfPrinter): Reporter {
  return async (runIds, format, analyses) => {
    let html: string;
    let names: string[];
    let networks: string[];
    try {
      const data = await collectReportData(store, runIds, { ...HTML_REPORT_DEFAULTS, analyses });
      html = htmlReport(data);
      names = data.runs.map((r) => r.record.name);
      networks = (data.analyses ?? []).map((a) => a.summary.name);
    } catch (err) {
      // An unknown analysis id (resolveAnalyses): its message says how analyses are made and listed.
      if (err instanceof ExportError)
        throw new LabError('not-found', err.message, 'Pick the analysis again from the list in the Models view.');
      if (isStoreError(err, 'not-found')) {
        throw new LabError(
          'not-found',
          err.problem,
          'The run may have been deleted: reload the runs list and pick the runs again.',
        );
      }
      throw err;
    }
    if (format === 'html')
      return {
        filename: reportFileName(names, 'html', networks),
        mimeType: 'text/html;charset=utf-8',
        encoding: 'utf8',
        content: html,
      };
    let pdf: Uint8Array;
    try {
      pdf = await printPdf()(html);
    } catch (err) {
      // No browser to print with: say what to install, and that the HTML report prints from any browser.
      if (err instanceof ExportError)
        throw new LabError(
          'unavailable',
          err.message,
          'Download the HTML report instead and print it from a browser (A4).',
        );
      throw err;
    }
    return {
      filename: reportFileName(names, 'pdf', networks),
      mimeType: 'application/pdf',
      encoding: 'base64',
      content: Buffer.from(pdf).toString('base64'),
    };
  };
}
