/**
 * Stored analyses of imported networks (ONNX / tfjs, store migration 9) in the same reports as runs: which ones an
 * export covers (an unknown id says how analyses are made and listed), the per-layer table headed as the registry of
 * bound methods names its columns, and the network's Lipschitz bound with what it covers. Pure but for the read.
 */
import type { ImportedLayer, StoredModelAnalysis } from '../../shared/model-analysis.js';
import { CERTIFIED_TOKEN, methodSpec } from '../../shared/bound-methods.js';
import type { Store } from '../store/index.js';
import { ExportError } from './errors.js';
import { FMT } from './format.js';
import { closeMatches } from './select.js';
import { num, rich, type Cell, type Column, type Content, type Table } from './table.js';

export type ReportAnalysis = StoredModelAnalysis;

/** How to get an analysis id, for every message about a missing one. */
export const ANALYSIS_HINT =
  'Analyses are stored by `spectral-lab bounds --model FILE --store DIR` or the Models view; `spectral-lab export --list --store DIR` lists them with their ids.';

/** The stored analyses with these ids (or unique names), in the order given; unknown ones are one error listing close matches. */
export async function resolveAnalyses(store: Store, tokens: readonly string[]): Promise<ReportAnalysis[]> {
  const all = await store.modelAnalyses.list();
  const out: ReportAnalysis[] = [];
  const problems: string[] = [];
  for (const token of tokens) {
    const named = all.filter((s) => s.id === token || s.name === token);
    if (named.length > 1) {
      problems.push(
        `"${token}" is the name of ${named.length} model analyses; pass one of their ids: ${named.map((s) => s.id).join(', ')}.`,
      );
      continue;
    }
    const found = named.length === 1 ? await store.modelAnalyses.get(named[0].id) : null;
    if (found) {
      if (!out.some((a) => a.summary.id === found.summary.id)) out.push(found);
      continue;
    }
    const close = closeMatches(token, all);
    const where = all.length
      ? `the store in ${store.paths.dataDir} has ${all.length} analys${all.length === 1 ? 'is' : 'es'}`
      : `the store in ${store.paths.dataDir} has no model analyses yet`;
    problems.push(
      `No model analysis with id "${token}" (${close.length ? `close matches: ${close.map((c) => `${c.id} (${c.name})`).join(', ')}` : where}).`,
    );
  }
  if (problems.length) throw new ExportError(`${problems.join('\n')}\n${ANALYSIS_HINT}`, 1);
  return out;
}

/** The per-layer columns after the layer's geometry: registry method ids (or the certified token) and their values. */
const LAYER_COLUMNS: [string, (l: ImportedLayer) => number | null | undefined][] = [
  ['f4', (l) => l.f4?.min_bound],
  ['f4-polyphase', (l) => l.f4_polyphase?.min_bound],
  [CERTIFIED_TOKEN, (l) => l.certified_upper_bound],
  ['sedghi-exact', (l) => l.circular_s1_exact_fft],
  ['gram-iteration', (l) => l.gram_iteration],
  ['toeplitz-norm2toep', (l) => l.toeplitz_bound],
  ['operator-power', (l) => l.operator_estimate],
];

/** A layer's values by registry method id (the certified token included), those it has, in the table's column order; then ln σ. */
export function analysisLayerValues(l: ImportedLayer): [string, number][] {
  const out: [string, number][] = [];
  for (const [id, value] of LAYER_COLUMNS) {
    const v = value(l);
    if (v !== null && v !== undefined) out.push([id, v]);
  }
  out.push(['log-sigma', l.log_sigma]);
  return out;
}

const left = (header: Content): Column => ({ header, align: 'left' });
const right = (header: Content): Column => ({ header, align: 'right' });
const dims = (s: readonly number[]): Content => rich(s.join('×'), `$${s.join('{\\times}')}$`, s.join('&times;'));

function strideText(l: ImportedLayer): string {
  return `${l.stride.join('×')}${l.dilation.some((d) => d > 1) ? ` d${l.dilation[0]}` : ''}${l.groups > 1 ? ` g${l.groups}` : ''}`;
}

/** One row per weight layer in graph order: geometry, every bound the analysis computed, ln σ. */
export function analysisLayerTable(a: ReportAnalysis): Table {
  const layers = a.analysis.layers;
  const columns: Column[] = [
    left('Layer'),
    left('Op'),
    left('Weight'),
    left('Stride'),
    left('Input'),
    ...LAYER_COLUMNS.map(([id]) => right(methodSpec(id)?.column ?? id)),
    right(rich('ln σ', '$\\ln\\sigma$', 'ln &sigma;')),
  ];
  const rows: Cell[][] = layers.map((l) => [
    l.folded_batchnorm ? `${l.name} (+${l.folded_batchnorm})` : l.name,
    l.op,
    dims(l.weight_shape),
    strideText(l),
    dims(l.input_shape),
    ...LAYER_COLUMNS.map(([, value]) => num(value(l) ?? null, FMT.bound)),
    num(l.log_sigma, FMT.ratio),
  ]);
  return {
    caption: `Per-layer bounds of the imported network ${a.summary.name} (${a.analysis.model.file}, ${a.analysis.model.format})`,
    label: `tab:model-${a.summary.id}`,
    columns,
    rows,
    notes: [
      'Unscaled spectral norms of each layer’s linear map (bias excluded), at the layer’s real geometry. certified: the smallest upper bound ' +
        'valid for the layer as it runs (what the network bound multiplies in); exact (circ, s=1): the circular-padding norm, not a bound ' +
        'for zero padding; operator est: power iteration on the layer as it runs, a lower estimate; ln σ: the layer’s share of ln L; — not computed. ' +
        '(+name): a BatchNormalization folded into the layer.',
    ],
  };
}

/** The network's bound and what it covers, one row per analysis; unsupported nodes in the notes. */
export function analysisSummaryTable(analyses: readonly ReportAnalysis[]): Table {
  const rows: Cell[][] = analyses.map(({ summary, analysis: a }) => [
    summary.name,
    summary.id,
    a.model.format === 'onnx' ? `ONNX${a.model.opset ? ` opset ${a.model.opset}` : ''}` : 'tfjs',
    dims(a.model.input_shape),
    num(a.layers.length, FMT.int),
    num(a.lipschitz_upper_bound, FMT.bound),
    num(a.input_normalization?.pixel_lipschitz_upper_bound ?? null, FMT.bound),
    a.lipschitz_covers.description,
    num(a.unsupported.length, FMT.int),
    num(a.certificates?.clean_accuracy ?? null, FMT.accuracy),
  ]);
  const notes: Content[] = [
    'Lipschitz bound: the composition of the nodes’ bounds from the network input (residual Adds, pooling, normalisation included); ' +
      'in pixel space: with the input normalisation’s factor max 1/std multiplied in. Clean accuracy on the labelled set the analysis was certified on.',
  ];
  for (const { summary, analysis: a } of analyses) {
    if (a.lipschitz_upper_bound === null)
      notes.push(
        `${summary.name}: no bound for the whole network; up to ${a.lipschitz_covers.up_to} it is ${a.lipschitz_covers.bound.toPrecision(6)}.`,
      );
    if (a.unsupported.length)
      notes.push(
        `Not covered in ${summary.name}: ${a.unsupported.map((u) => `${u.op} '${u.name}' (${u.reason})`).join('; ')}.`,
      );
    for (const n of a.notes) notes.push(`${summary.name}: ${n}`);
  }
  return {
    caption: 'Imported networks',
    label: 'tab:models',
    columns: [
      left('Network'),
      left('Analysis'),
      left('Format'),
      left('Input'),
      right('Weight layers'),
      right('Lipschitz bound'),
      right('In pixel space'),
      left('Covers'),
      right('Unsupported'),
      right(rich('Clean acc. (%)', 'Clean acc.\\ (\\%)')),
    ],
    rows,
    notes,
  };
}

/** Certified accuracy at the analysis's own radii (the configured ε), per certificate: the table form of its curve. */
export function analysisCertificateTable(a: ReportAnalysis): Table | null {
  const c = a.analysis.certificates;
  if (!c) return null;
  const rows: Cell[][] = c.epsilons.map((eps, j) => [
    num(eps, FMT.beta),
    num(c.standard[j], FMT.accuracy),
    num(c.pairwise?.[j] ?? null, FMT.accuracy),
    num(c.pgd?.[j] ?? null, FMT.accuracy),
  ]);
  return {
    caption: `Certificates of ${a.summary.name} on ${c.dataset} (${c.n} images, clean accuracy ${(100 * c.clean_accuracy).toFixed(1)}%, L = ${c.lipschitz.toPrecision(5)})`,
    label: `tab:model-cert-${a.summary.id}`,
    columns: [
      right(rich('ε (ℓ2)', '$\\varepsilon$ ($\\ell_2$)', '&epsilon; (&#8467;<sub>2</sub>)')),
      right(rich('Certified (%)', 'Certified (\\%)')),
      right(rich('Pairwise (%)', 'Pairwise (\\%)')),
      right(rich('PGD (%)', 'PGD (\\%)')),
    ],
    rows,
    notes: [
      'Certified: Lipschitz-margin certificate; pairwise: the last-layer certificate; PGD: ℓ2 attack, an empirical upper estimate of robust accuracy.',
    ],
  };
}

/** Every analysis table of a report, in order: the networks' summary, then per network its layers and certificates. */
export function analysisTables(analyses: readonly ReportAnalysis[]): Table[] {
  if (analyses.length === 0) return [];
  return [
    analysisSummaryTable(analyses),
    ...analyses.flatMap((a) =>
      [analysisLayerTable(a), analysisCertificateTable(a)].filter((t): t is Table => t !== null),
    ),
  ];
}
