/**
 * The HTML report: the summary table, training curves, certified accuracy against the radius, and the
 * per-layer bounds of every run as chart and table; one file with inline SVG, no script.
 */
import type { ReportData } from './data.js';
import { escapeHtml } from './escape.js';
import { isoTime } from './format.js';
import { htmlPage, tableToHtml, type HtmlSection } from './html.js';
import { layerRows, type LayerRow } from './model.js';
import { CERTIFIED_TOKEN, methodSpec } from '../../shared/bound-methods.js';
import { DASHES, lineChartSvg, PALETTE, type ChartSeries } from './svg-chart.js';
import { certifiedFigure } from './certified-figure.js';
import { contentsText, REPORT_TITLE, reportTables } from './documents.js';
import { analysisCertificateTable, analysisLayerTable, analysisSummaryTable } from './analyses.js';
import { waterfallSvg } from './waterfall-svg.js';
import { displayNames } from './tables.js';

/** Series drawn when --series is not given (those a run lacks are skipped). */
export const HTML_DEFAULT_SERIES = ['train/loss', 'train/acc', 'eval/test_acc', 'eval/val_acc', 'eval/lipschitz'];

const CHART_TITLES: Record<string, { title: string; logY?: boolean }> = {
  'train/loss': { title: 'Training loss' },
  'train/ce': { title: 'Cross-entropy' },
  'train/reg': { title: 'Regulariser penalty (before β)' },
  'train/acc': { title: 'Training accuracy (batch)' },
  'eval/test_acc': { title: 'Clean test accuracy' },
  'eval/val_acc': { title: 'Validation accuracy' },
  'eval/train_acc': { title: 'Training accuracy (evaluation)' },
  'eval/lipschitz': { title: 'Network Lipschitz bound', logY: true },
};

const figure = (svg: string, caption: string): string =>
  `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;

function runStyle(k: number): { color: string; dash: string } {
  return { color: PALETTE[k % PALETTE.length], dash: DASHES[k % DASHES.length] };
}

function curvesSection(data: ReportData, names: Map<string, string>): HtmlSection | null {
  const seriesNames: string[] = [];
  for (const r of data.runs) for (const s of r.series) if (!seriesNames.includes(s.name)) seriesNames.push(s.name);
  if (seriesNames.length === 0) return null;
  const charts = seriesNames.map((name) => {
    const lines: ChartSeries[] = [];
    data.runs.forEach((r, k) => {
      const s = r.series.find((x) => x.name === name);
      if (s && s.steps.length > 0)
        lines.push({ name: names.get(r.record.id) ?? r.record.name, x: s.steps, y: s.values, ...runStyle(k) });
    });
    const info = CHART_TITLES[name] ?? { title: name };
    const downsampled = data.runs.some((r) => r.series.find((x) => x.name === name)?.downsampled);
    const svg = lineChartSvg({
      title: info.title,
      xLabel: 'step',
      yLabel: name,
      series: lines,
      logY: info.logY,
      width: 560,
      height: 240,
    });
    return figure(
      svg,
      `${name} against the training step${downsampled ? ' (min/max downsampled: every spike kept)' : ''}.`,
    );
  });
  return { heading: 'Training curves', body: `<div class="charts">${charts.join('\n')}</div>` };
}

function certifiedSection(data: ReportData, names: Map<string, string>): HtmlSection | null {
  const f = certifiedFigure(data.runs, names, data.analyses);
  return f ? { heading: 'Certified accuracy', body: figure(f.svg, f.caption) } : null;
}

/** The per-layer chart's lines: a registry method (or series token) and its value in a layer row. */
const LAYER_CHART_METHODS: [string, (l: LayerRow) => number | null][] = [
  ['f4', (l) => l.f4],
  [CERTIFIED_TOKEN, (l) => l.certified],
  ['gram-iteration', (l) => l.gram],
  ['sedghi-exact', (l) => l.exact],
  ['operator-power', (l) => l.operator],
];

function layersSection(data: ReportData, names: Map<string, string>): HtmlSection {
  const { layers } = reportTables(data);
  const withBounds = data.runs.filter((r) => r.layers.bounds.length > 0);
  const parts = withBounds.map((r, i) => {
    const rows = layerRows(r.layers, r.modelLayers);
    const x = rows.map((_, j) => j);
    const pick = (f: (l: LayerRow) => number | null): number[] => rows.map((l) => f(l) ?? Number.NaN);
    // Labels and colours from the registry of bound methods: the same as every chart of the workbench.
    const series: ChartSeries[] = LAYER_CHART_METHODS.map(([id, value], k) => {
      const spec = methodSpec(id);
      return {
        name: spec?.label ?? id,
        x,
        y: pick(value),
        color: spec?.color ?? PALETTE[k % PALETTE.length],
        dash: DASHES[k % DASHES.length],
      };
    }).filter((s) => s.y.some((v) => Number.isFinite(v)));
    const name = names.get(r.record.id) ?? r.record.name;
    const svg = lineChartSvg({
      title: `Per-layer spectral norms: ${name}`,
      xLabel: 'layer',
      yLabel: 'spectral norm (log)',
      series,
      logY: true,
      xTicks: rows.map((l, j) => ({ value: j, label: l.layer })),
      width: 760,
      height: 240,
    });
    return `<h3>${escapeHtml(name)}</h3>\n${figure(svg, `Bounds of every layer at step ${r.layers.step}.`)}\n<div class="scroll">${tableToHtml(layers[i])}</div>`;
  });
  const none = data.runs
    .filter((r) => r.layers.bounds.length === 0)
    .map((r) => names.get(r.record.id) ?? r.record.name);
  if (none.length) parts.push(`<p class="meta">No per-layer bounds recorded for: ${escapeHtml(none.join(', '))}.</p>`);
  return { heading: 'Per-layer bounds', body: parts.join('\n') };
}

/** Imported networks: their bounds and coverage, then per network the waterfall of ln L and the per-layer table. */
function analysesSection(data: ReportData): HtmlSection | null {
  const analyses = data.analyses ?? [];
  if (analyses.length === 0) return null;
  const parts = [`<div class="scroll">${tableToHtml(analysisSummaryTable(analyses))}</div>`];
  for (const a of analyses) {
    const svg = waterfallSvg(a.analysis.nodes, { title: `ln L node by node: ${a.summary.name}` });
    const cert = analysisCertificateTable(a);
    parts.push(
      `<h3>${escapeHtml(a.summary.name)}</h3>`,
      figure(
        svg,
        "Waterfall of the network's Lipschitz bound: each node's bar runs from ln L before it to ln L after it (its share ln σ), in graph order; rising bars orange, falling blue.",
      ),
      `<div class="scroll">${tableToHtml(analysisLayerTable(a))}</div>`,
      ...(cert ? [`<div class="scroll">${tableToHtml(cert)}</div>`] : []),
    );
  }
  return { heading: 'Imported networks', body: parts.join('\n') };
}

function runsSection(data: ReportData): HtmlSection {
  const rows = data.runs.map((r) => {
    const rec = r.record;
    const env = rec.environment;
    const cells = [
      rec.id,
      rec.name,
      rec.status,
      isoTime(rec.createdAt),
      rec.backend ?? '',
      env?.gitCommit?.slice(0, 12) ?? '',
      env?.node ?? '',
      env?.tfjs ?? '',
      rec.configHash.slice(0, 12),
    ];
    return `<tr>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const head = ['id', 'name', 'status', 'created', 'backend', 'commit', 'Node', 'tfjs', 'config']
    .map((h) => `<th>${h}</th>`)
    .join('');
  const configs = data.runs.map(
    (r) =>
      `<details><summary>Config of ${escapeHtml(r.record.name)} (${escapeHtml(r.record.id)})</summary><pre>${escapeHtml(JSON.stringify(r.record.config, null, 2))}</pre></details>`,
  );
  return {
    heading: 'Runs',
    body: `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>\n${configs.join('\n')}`,
  };
}

export function htmlReport(data: ReportData): string {
  const names = displayNames(data.runs.map((r) => r.record));
  const { summary, groups } = reportTables(data);
  const hasRuns = data.runs.length > 0;
  const sections: HtmlSection[] = hasRuns
    ? [{ heading: 'Summary', body: `<div class="scroll">${tableToHtml(summary)}</div>` }]
    : [];
  if (groups) sections.push({ heading: 'Seed groups', body: `<div class="scroll">${tableToHtml(groups)}</div>` });
  const curves = curvesSection(data, names);
  if (curves) sections.push(curves);
  const cert = certifiedSection(data, names);
  if (cert) sections.push(cert);
  const models = analysesSection(data);
  if (models) sections.push(models);
  if (hasRuns) sections.push(layersSection(data, names), runsSection(data));
  return htmlPage({
    title: REPORT_TITLE,
    meta: [`Exported ${isoTime(data.exportedAt)} from ${data.dataDir}; ${contentsText(data)}.`],
    warnings: data.warnings,
    sections,
  });
}
