/**
 * Report builders for `spectral-lab export`: pure table models and renderers (Markdown, LaTeX with
 * booktabs, self-contained HTML with SVG charts, CSV), plus the read-only collection of run data.
 */
export { escapeLatex, escapeMarkdown, escapeHtml, csvField, csvLine } from './escape.js';
export { formatNumber, formatEps, epsKey, isoTime, missing, FMT, type NumFmt, type Target } from './format.js';
export {
  num,
  rich,
  renderCell,
  renderContent,
  rawCell,
  plainText,
  checkTable,
  type Table,
  type Column,
  type Cell,
  type Content,
  type RichText,
  type Align,
} from './table.js';
export { tableToMarkdown } from './markdown.js';
export { tableToLatex, latexDocument, type LatexTableOptions } from './latex.js';
export { tableToHtml, htmlPage, type HtmlSection } from './html.js';
export { tableToCsv, CsvBuilder } from './csv.js';
export {
  lineChartSvg,
  niceTicks,
  logTicks,
  tickLabel,
  logTickLabel,
  PALETTE,
  DASHES,
  type ChartSeries,
  type LineChartOptions,
} from './svg-chart.js';
export {
  collectReportData,
  globToRegExp,
  type ReportData,
  type ReportRun,
  type ExportSeries,
  type BoundHistory,
  type CollectOptions,
} from './data.js';
export {
  layerRows,
  runRow,
  certEpsilons,
  compareLayerNames,
  layerOrder,
  type LayerRow,
  type RunRow,
  type CertAt,
} from './model.js';
export { summaryTable, layerBoundsTable, displayNames, kernelText, inputText } from './tables.js';
export {
  markdownReport,
  latexReport,
  jsonExport,
  prettyJson,
  seriesCsv,
  layerBoundsCsv,
  certifiedCsv,
  csvFiles,
  reportTables,
  REPORT_TITLE,
  JSON_FORMAT,
  JSON_VERSION,
  SERIES_CSV_HEADER,
  LAYER_BOUNDS_CSV_HEADER,
  CERTIFIED_CSV_HEADER,
} from './documents.js';
export { htmlReport, HTML_DEFAULT_SERIES } from './html-report.js';
export { resolveRuns, listAllRuns, closeMatches, levenshtein, type RunSelection } from './select.js';
export { ExportError } from './errors.js';
