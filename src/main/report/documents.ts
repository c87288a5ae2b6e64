/**
 * Whole export documents from collected run data: Markdown and LaTeX reports (the paper tables),
 * JSON (everything, for scripts) and CSV files (long format, one row per point).
 */
import { tableToCsv, CsvBuilder } from './csv.js';
import type { ReportData, ReportRun } from './data.js';
import { escapeMarkdown } from './escape.js';
import { isoTime } from './format.js';
import { latexDocument, tableToLatex } from './latex.js';
import { tableToMarkdown } from './markdown.js';
import { layerRows, runRow } from './model.js';
import { displayNames, layerBoundsTable, summaryTable } from './tables.js';
import { seedGroupTable } from './seed-table.js';
import type { Table } from './table.js';
import { analysisLayerValues, analysisSummaryTable, analysisTables } from './analyses.js';

export const REPORT_TITLE = 'Spectral Lab report';

/** The summary table, mean ± sd per seed group (when runs repeat), and one per-layer table per run (runs without bounds have none). */
export function reportTables(data: ReportData): {
  summary: Table;
  groups: Table | null;
  layers: Table[];
  withoutBounds: ReportRun[];
} {
  const names = displayNames(data.runs.map((r) => r.record));
  const layered = data.runs.filter((r) => r.layers.bounds.length > 0);
  return {
    summary: summaryTable(data.runs.map(runRow)),
    groups: seedGroupTable(data.runs),
    layers: layered.map((r) => layerBoundsTable(r, names.get(r.record.id))),
    withoutBounds: data.runs.filter((r) => r.layers.bounds.length === 0),
  };
}

/** "2 runs", "1 run and 1 model analysis". */
export function contentsText(data: ReportData): string {
  const runs = `${data.runs.length} run${data.runs.length === 1 ? '' : 's'}`;
  const n = data.analyses?.length ?? 0;
  const analyses = `${n} model analys${n === 1 ? 'is' : 'es'}`;
  if (n === 0) return runs;
  return data.runs.length ? `${runs} and ${analyses}` : analyses;
}

function exportedLine(data: ReportData): string {
  return `Exported ${isoTime(data.exportedAt)} from ${data.dataDir}; ${contentsText(data)}.`;
}

export function markdownReport(data: ReportData): string {
  const { summary, groups, layers, withoutBounds } = reportTables(data);
  const out = [`# ${REPORT_TITLE}`, '', escapeMarkdown(exportedLine(data)), ''];
  for (const w of data.warnings) out.push(`> ${escapeMarkdown(w)}`, '');
  const models = analysisTables(data.analyses ?? []);
  if (models.length) out.push('## Imported networks', '', ...models.map((t) => tableToMarkdown(t)));
  // A report of imported networks only has no run sections.
  if (data.runs.length === 0) return `${out.join('\n')}\n`;
  out.push('## Summary', '', tableToMarkdown(summary));
  if (groups) out.push('## Seed groups', '', tableToMarkdown(groups));
  out.push('## Per-layer bounds', '');
  for (const t of layers) out.push(tableToMarkdown(t));
  if (withoutBounds.length)
    out.push(
      `_No per-layer bounds recorded for: ${withoutBounds.map((r) => escapeMarkdown(r.record.name)).join(', ')}._`,
      '',
    );
  out.push('## Runs', '');
  for (const r of data.runs) {
    const rec = r.record;
    const env = rec.environment;
    const bits = [
      `status ${rec.status}`,
      `created ${isoTime(rec.createdAt)}`,
      `config ${rec.configHash.slice(0, 12)}`,
      env?.gitCommit ? `commit ${env.gitCommit.slice(0, 12)}` : null,
      env ? `Node ${env.node}` : null,
      env?.tfjs ? `tfjs ${env.tfjs}` : null,
    ].filter(Boolean);
    out.push(`- **${escapeMarkdown(rec.name)}** (\`${rec.id}\`): ${escapeMarkdown(bits.join(', '))}`);
  }
  return `${out.join('\n')}\n`;
}

export function latexReport(data: ReportData, options: { standalone?: boolean } = {}): string {
  const { summary, groups, layers } = reportTables(data);
  const body = [
    `% ${REPORT_TITLE}. ${exportedLine(data).replace(/[\r\n]/g, ' ')}`,
    '% Needs \\usepackage{booktabs} in the preamble.',
    ...data.warnings.map((w) => `% warning: ${w.replace(/[\r\n]/g, ' ')}`),
    '',
    ...(data.runs.length ? [tableToLatex(summary)] : []),
    ...(groups ? [tableToLatex(groups)] : []),
    ...layers.map((t) => tableToLatex(t)),
    ...analysisTables(data.analyses ?? []).map((t) => tableToLatex(t)),
  ].join('\n');
  return options.standalone ? latexDocument(REPORT_TITLE, body) : body;
}

// ------------------------------------------------------------------ JSON

/** Pretty JSON with arrays of numbers on one line (a 10,000-point series stays one line, not 10,000). */
export function prettyJson(value: unknown, indent = '  ', depth = 0): string {
  const pad = indent.repeat(depth + 1);
  const close = indent.repeat(depth);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => prettyJson(v)).join(', ')}]`;
    return `[\n${value.map((v) => pad + prettyJson(v, indent, depth + 1)).join(',\n')}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${prettyJson(v, indent, depth + 1)}`).join(',\n')}\n${close}}`;
}

export const JSON_FORMAT = 'spectral-lab-export';
export const JSON_VERSION = 1;

export function jsonExport(data: ReportData): string {
  const runs = data.runs.map((r) => {
    const row = runRow(r);
    return {
      ...r.record,
      summary: {
        cleanAccuracy: row.cleanAcc,
        cleanAccuracySeries: row.cleanAccName,
        lipschitzBound: row.lipschitz,
        f4OverExact: { mean: row.ratioMean, max: row.ratioMax },
        beta: row.beta,
        accuracy: r.summary.accuracy,
        certified: r.summary.certified,
        metrics: r.summary.metrics,
        finalBounds: r.summary.finalBounds,
      },
      layers: {
        step: r.layers.step,
        availableSteps: r.layers.availableSteps,
        rows: layerRows(r.layers, r.modelLayers),
      },
      certified: r.cert,
      series: r.series.map((s) => ({
        name: s.name,
        totalPoints: s.totalPoints,
        downsampled: s.downsampled,
        steps: s.steps,
        epochs: s.epochs,
        wallTimes: s.wall,
        values: s.values,
      })),
      layerBounds: r.boundHistory.map((b) => ({
        layer: b.layer,
        method: b.method,
        kind: b.kind,
        totalPoints: b.totalPoints,
        downsampled: b.downsampled,
        steps: b.steps,
        epochs: b.epochs,
        values: b.values,
      })),
    };
  });
  // Each analysis whole, as `bounds --model --format json` prints it, with the store's id and name.
  const analyses = data.analyses?.map((a) => ({
    id: a.summary.id,
    name: a.summary.name,
    createdAt: isoTime(a.summary.createdAt),
    ...a.analysis,
  }));
  return `${prettyJson({ format: JSON_FORMAT, version: JSON_VERSION, exportedAt: isoTime(data.exportedAt), dataDir: data.dataDir, warnings: data.warnings, runs, analyses })}\n`;
}

// ------------------------------------------------------------------ CSV

export const SERIES_CSV_HEADER = ['run_id', 'run_name', 'series', 'step', 'epoch', 'wall_time', 'value'] as const;
export const LAYER_BOUNDS_CSV_HEADER = [
  'run_id',
  'run_name',
  'layer',
  'method',
  'kind',
  'step',
  'epoch',
  'wall_time',
  'value',
] as const;
export const CERTIFIED_CSV_HEADER = ['run_id', 'run_name', 'step', 'eps', 'accuracy', 'pairwise'] as const;

/** The selected series in long format: one row per point. */
export function seriesCsv(data: ReportData): string {
  const csv = new CsvBuilder(SERIES_CSV_HEADER);
  for (const r of data.runs) {
    for (const s of r.series) {
      s.steps.forEach((step, i) =>
        csv.add([r.record.id, r.record.name, s.name, step, s.epochs?.[i], isoTime(s.wall?.[i]), s.values[i]]),
      );
    }
  }
  return csv.toString();
}

export function layerBoundsCsv(data: ReportData): string {
  const csv = new CsvBuilder(LAYER_BOUNDS_CSV_HEADER);
  for (const r of data.runs) {
    for (const b of r.boundHistory) {
      b.steps.forEach((step, i) =>
        csv.add([
          r.record.id,
          r.record.name,
          b.layer,
          b.method,
          b.kind,
          step,
          b.epochs?.[i],
          isoTime(b.wall?.[i]),
          b.values[i],
        ]),
      );
    }
  }
  return csv.toString();
}

export function certifiedCsv(data: ReportData): string {
  const csv = new CsvBuilder(CERTIFIED_CSV_HEADER);
  for (const r of data.runs)
    for (const c of r.cert) csv.add([r.record.id, r.record.name, c.step, c.eps, c.accuracy, c.pairwise]);
  return csv.toString();
}

export const MODEL_LAYERS_CSV_HEADER = ['analysis_id', 'analysis_name', 'layer', 'op', 'method', 'value'] as const;

/** Every per-layer value of the stored model analyses in long format (one row per layer and column of the report's table). */
export function modelLayersCsv(data: ReportData): string {
  const csv = new CsvBuilder(MODEL_LAYERS_CSV_HEADER);
  for (const a of data.analyses ?? []) {
    for (const l of a.analysis.layers) {
      for (const [method, value] of analysisLayerValues(l))
        csv.add([a.summary.id, a.summary.name, l.name, l.op, method, value]);
    }
  }
  return csv.toString();
}

/** The files of a CSV folder export, by file name (model_layers.csv and models.csv when analyses are exported). */
export function csvFiles(data: ReportData): Record<string, string> {
  const files: Record<string, string> = {
    'series.csv': seriesCsv(data),
    'layer_bounds.csv': layerBoundsCsv(data),
    'certified.csv': certifiedCsv(data),
    'summary.csv': tableToCsv(reportTables(data).summary),
  };
  if (data.analyses?.length) {
    files['model_layers.csv'] = modelLayersCsv(data);
    files['models.csv'] = tableToCsv(analysisSummaryTable(data.analyses));
  }
  return files;
}
