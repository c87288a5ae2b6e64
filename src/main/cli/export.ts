/**
 * `spectral-lab export`: runs of the store as CSV (long format), JSON, or the paper tables in
 * Markdown / LaTeX / a self-contained HTML report. The store is opened read-only: an export never
 * changes it and can run while another process trains.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir, isStoreError, openStore, storePaths, type Store } from '../store/index.js';
import {
  collectReportData,
  csvFiles,
  ExportError,
  HTML_DEFAULT_SERIES,
  htmlReport,
  isoTime,
  jsonExport,
  latexReport,
  listAllRuns,
  markdownReport,
  resolveRuns,
  seriesCsv,
  type ReportData,
  type RunSelection,
} from '../report/index.js';
import { contentsText, modelLayersCsv } from '../report/documents.js';
import { ANALYSIS_HINT } from '../report/analyses.js';
import { planOutput, prepareOutput, writeFileAtomic, writeFilesAtomic, type OutputTarget } from '../report/output.js';
import { chromiumPath, chromiumPrinter, type PdfPrinter } from '../report/pdf.js';
import { HTML_REPORT_DEFAULTS } from '../report/lab-report.js';
import { ProgressBar } from './progress.js';

export const EXPORT_FORMATS = ['csv', 'json', 'markdown', 'latex', 'html', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const ALIASES: Record<string, ExportFormat> = { md: 'markdown', tex: 'latex', htm: 'html' };
const EXTENSIONS: Record<ExportFormat, string> = {
  csv: 'csv',
  json: 'json',
  markdown: 'md',
  latex: 'tex',
  html: 'html',
  pdf: 'pdf',
};
/** The formats that are the HTML report (PDF: printed by a headless Chromium). */
const isReport = (f: ExportFormat): boolean => f === 'html' || f === 'pdf';
const FULL_BUDGET = 1_000_000;
/** The report's charts: the Report button reads the same (report/lab-report.ts). */
const HTML_BUDGET = HTML_REPORT_DEFAULTS.budget;

const HELP = `Usage: spectral-lab export [options]

Export runs of the run store, and stored analyses of imported networks (--analysis): CSV or JSON for
analysis, or paper-ready tables (summary per run, per-layer bounds at the last evaluation) as Markdown,
LaTeX (booktabs), one self-contained HTML report with charts, or that report as an A4 PDF (printed by the headless Chromium at
${chromiumPath()}; SPECTRAL_LAB_CHROMIUM names another). The store is only read, never changed.

Options:
  --store DIR       the run store folder (default ${defaultDataDir()}); read-only media work
  --runs ID,ID      runs to export, by id (or unique name)
  --analysis ID,ID  stored analyses of imported networks (ONNX, tfjs) to report: their per-layer bounds,
                    Lipschitz bound and what it covers, the ln L waterfall (html, pdf) and certified accuracy,
                    overlaid with the runs' curves when --runs is given too. Stored by
                    \`spectral-lab bounds --model FILE --store DIR\` or the Models view; --list prints their ids
  --all             every run (the default without --runs / --filter / --analysis)
  --filter TEXT     runs whose id, name, notes or config contain TEXT
  --format F        csv | json | markdown | latex | html | pdf (default: from the --out extension)
  --out PATH        output file, or a folder (created if missing); default: stdout.
                    csv into a folder writes series.csv, layer_bounds.csv, certified.csv, summary.csv
                    (and model_layers.csv, models.csv with --analysis)
  --series NAMES    comma-separated series names, "*" as wildcard (e.g. "train/loss,eval/*").
                    Default: every scalar series (csv, json); ${HTML_DEFAULT_SERIES.join(', ')} (html, pdf)
  --budget N        max points per series, min/max downsampled beyond it
                    (default: ${FULL_BUDGET} for csv/json = every point; ${HTML_BUDGET} for html/pdf charts)
  --standalone      latex: a complete document instead of tables to \\input
  --list            list the runs and the model analyses of the store and exit
  -h, --help        this text`;

export interface ExportIo {
  stdout: { write(s: string): unknown };
  stderr: NodeJS.WriteStream;
  /** Prints the report to PDF (default: the headless Chromium). */
  printPdf?: PdfPrinter;
}

function parseFormat(format: string | undefined, out: string | undefined): ExportFormat {
  let f = format?.trim().toLowerCase();
  if (f === undefined && out !== undefined) f = path.extname(out).slice(1).toLowerCase() || undefined;
  if (f === undefined)
    throw new ExportError(
      `Which format? Pass --format ${EXPORT_FORMATS.join('|')} (or an --out file ending in .csv, .json, .md, .tex, .html or .pdf).`,
    );
  const resolved = ALIASES[f] ?? ((EXPORT_FORMATS as readonly string[]).includes(f) ? (f as ExportFormat) : null);
  if (!resolved) {
    const what = format !== undefined ? `Unknown format '${format}'` : `Cannot tell the format from --out ${out}`;
    throw new ExportError(`${what}; choose one of ${EXPORT_FORMATS.join(', ')} with --format.`);
  }
  return resolved;
}

function parseBudget(s: string | undefined, format: ExportFormat): number {
  if (s === undefined) return isReport(format) ? HTML_BUDGET : FULL_BUDGET;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 4 || n > FULL_BUDGET)
    throw new ExportError(`--budget must be an integer from 4 to ${FULL_BUDGET}, got '${s}'.`);
  return n;
}

/** The runs to export; null: none (only --analysis was given). */
function parseSelection(v: { runs?: string; all?: boolean; filter?: string; analysis?: string }): RunSelection | null {
  const given = [v.runs !== undefined, v.all === true, v.filter !== undefined].filter(Boolean).length;
  if (given > 1) throw new ExportError('Pass only one of --runs, --all and --filter.');
  if (given === 0 && v.analysis !== undefined) return null;
  if (v.runs !== undefined) {
    const ids = v.runs
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0)
      throw new ExportError(
        '--runs needs at least one run id (comma-separated); `spectral-lab export --list` prints them.',
      );
    return { kind: 'ids', ids };
  }
  if (v.filter !== undefined) {
    if (!v.filter.trim()) throw new ExportError('--filter needs a text to search for.');
    return { kind: 'filter', text: v.filter.trim() };
  }
  return { kind: 'all' };
}

async function openReadOnly(dataDir: string): Promise<Store> {
  const db = storePaths(dataDir).database;
  if (!fs.existsSync(db)) {
    throw new ExportError(
      `No runs database at ${db}; run \`spectral-lab train …\` first or pass --store DIR (the folder that holds runs.sqlite).`,
      1,
    );
  }
  try {
    return await openStore({ dataDir, readonly: true });
  } catch (err) {
    if (isStoreError(err)) throw new ExportError(err.message, 1);
    throw err;
  }
}

/** Rows of five columns, the first four padded (the last, a name, may be long). */
const columnsText = (rows: string[][]): string => {
  const widths = [0, 1, 2, 3].map((j) => Math.max(...rows.map((r) => r[j].length)));
  return `${rows.map((r) => r.map((c, j) => (j < 4 ? c.padEnd(widths[j]) : c)).join('  ')).join('\n')}\n`;
};
const listTime = (t: number): string => isoTime(t).slice(0, 19).replace('T', ' ');

async function listRunsText(store: Store): Promise<string> {
  const runs = await listAllRuns(store);
  const analyses = await store.modelAnalyses.list();
  let out =
    runs.length === 0
      ? `No runs in ${store.paths.dataDir} yet.\n`
      : columnsText(
          runs.map((r) => [
            r.id,
            r.status,
            listTime(r.createdAt),
            [r.dataset, r.model, r.regulariser].filter(Boolean).join('/'),
            r.name,
          ]),
        );
  if (analyses.length) {
    const rows = analyses.map((a) => [
      a.id,
      a.format,
      listTime(a.createdAt),
      `L ${a.lipschitz === null ? 'partial' : a.lipschitz.toPrecision(4)}`,
      a.name,
    ]);
    out += `\nModel analyses (export --analysis ID):\n${columnsText(rows)}`;
  }
  return out;
}

function render(
  format: ExportFormat,
  data: ReportData,
  target: OutputTarget,
  standalone: boolean,
): Record<string, string> | string {
  switch (format) {
    case 'csv':
      if (target.kind === 'folder') return csvFiles(data);
      return data.runs.length === 0 && data.analyses?.length ? modelLayersCsv(data) : seriesCsv(data);
    case 'json':
      return jsonExport(data);
    case 'markdown':
      return markdownReport(data);
    case 'latex':
      return latexReport(data, { standalone });
    case 'html':
    case 'pdf': // printed from the HTML report
      return htmlReport(data);
  }
}

/** The command; `io` is for tests (default: the process streams). */
export async function run(
  argv: string[],
  io: ExportIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  try {
    return await exportCommand(argv, io);
  } catch (err) {
    if (err instanceof ExportError) {
      io.stderr.write(`export: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

const EXPORT_OPTIONS = {
  store: { type: 'string' },
  // Before --store named the store in every command, export called it --data.
  data: { type: 'string' },
  runs: { type: 'string' },
  analysis: { type: 'string' },
  all: { type: 'boolean' },
  filter: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  series: { type: 'string' },
  budget: { type: 'string' },
  standalone: { type: 'boolean' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ExportValues = ReturnType<typeof parseArgs<{ options: typeof EXPORT_OPTIONS; strict: true }>>['values'];

async function exportCommand(argv: string[], io: ExportIo): Promise<number> {
  let values: ExportValues;
  try {
    ({ values } = parseArgs({ args: argv, options: EXPORT_OPTIONS, strict: true }));
  } catch (err) {
    throw new ExportError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.data !== undefined && values.store !== undefined)
    throw new ExportError('Pass the store folder once, with --store DIR (--data is its old name).', 2);
  const dataDir = path.resolve(values.store ?? values.data ?? defaultDataDir());
  if (values.list) {
    const store = await openReadOnly(dataDir);
    try {
      io.stdout.write(await listRunsText(store));
    } finally {
      await store.close();
    }
    return 0;
  }
  const format = parseFormat(values.format, values.out);
  const budget = parseBudget(values.budget, format);
  const selection = parseSelection(values);
  const series = values.series
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (values.series !== undefined && !series?.length)
    throw new ExportError('--series needs at least one name (comma-separated, "*" as wildcard).');
  const analyses = values.analysis
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (values.analysis !== undefined && !analyses?.length)
    throw new ExportError(`--analysis needs at least one analysis id (comma-separated). ${ANALYSIS_HINT}`);
  const target = planOutput(
    values.out,
    format === 'csv',
    `spectral-lab-${format === 'json' ? 'export' : 'report'}.${EXTENSIONS[format]}`,
  );
  if (format === 'pdf' && target.kind === 'stdout')
    throw new ExportError('A PDF is a binary file: pass --out FILE.pdf (or a folder) to write it.');
  if (format === 'csv' && analyses && selection && target.kind !== 'folder') {
    throw new ExportError(
      'Runs and model analyses in CSV are several tables: pass --out FOLDER/ (one file each), or export them one kind at a time.',
    );
  }
  prepareOutput(target);

  const data = await collect(dataDir, selection, { format, budget, series, target, analyses }, io);
  for (const w of data.warnings) io.stderr.write(`export: warning: ${w}\n`);
  const rendered = render(format, data, target, values.standalone === true);
  const output = format === 'pdf' ? await (io.printPdf ?? chromiumPrinter())(rendered as string) : rendered;
  writeOutput(target, output, format, contentsText(data), io);
  return 0;
}

/** The selected runs' report data, with a progress bar on long exports. */
async function collect(
  dataDir: string,
  selection: RunSelection | null,
  o: {
    format: ExportFormat;
    budget: number;
    series: string[] | undefined;
    target: OutputTarget;
    analyses: string[] | undefined;
  },
  io: ExportIo,
): Promise<ReportData> {
  const { format, series } = o;
  const store = await openReadOnly(dataDir);
  try {
    const ids = selection ? await resolveRuns(store, selection) : [];
    let bar: ProgressBar | null = null;
    return await collectReportData(store, ids, {
      // Markdown and LaTeX tables need only summaries and the last layer bounds.
      series:
        format === 'markdown' || format === 'latex' ? [] : (series ?? (isReport(format) ? HTML_DEFAULT_SERIES : null)),
      optionalSeries: series === undefined,
      budget: o.budget,
      // HTML draws curves against the step; only the data formats carry epoch and wall time.
      times: format === 'csv' || format === 'json',
      warnDownsampled: format === 'csv' || format === 'json',
      boundHistory: format === 'json' || o.target.kind === 'folder',
      analyses: o.analyses,
      onProgress: (done, total, detail) => {
        // A log or pipe gets the bar only for exports long enough to wait for; a terminal always.
        if (!io.stderr.isTTY && total < 50) return;
        bar ??= new ProgressBar({ total, label: 'export', stream: io.stderr });
        if (done >= total) bar.finish(detail);
        else bar.update(done, detail);
      },
    });
  } finally {
    await store.close();
  }
}

function writeOutput(
  target: OutputTarget,
  output: string | Uint8Array | Record<string, string>,
  format: ExportFormat,
  runs: string,
  io: ExportIo,
): void {
  if (target.kind === 'stdout') {
    io.stdout.write(typeof output === 'string' ? output : Object.values(output as Record<string, string>).join('\n'));
  } else if (target.kind === 'folder') {
    const files = output as Record<string, string>;
    writeFilesAtomic(target.path, files);
    io.stderr.write(`export: wrote ${Object.keys(files).join(', ')} to ${target.path} (${runs})\n`);
  } else {
    writeFileAtomic(target.path, output as string | Uint8Array);
    io.stderr.write(`export: wrote ${target.path} (${format}, ${runs})\n`);
  }
}
