/**
 * The paper tables as table models: (1) one summary row per run, (2) the per-layer bounds of one run
 * at its last evaluation. Rendered by markdown.ts / latex.ts / html.ts / csv.ts.
 */
import type { ReportRun } from './data.js';
import { epsKey, FMT, formatEps, formatNumber } from './format.js';
import { certEpsilons, layerRows, type LayerRow, type RunRow } from './model.js';
import { CERTIFIED_TOKEN, methodSpec } from '../../shared/bound-methods.js';
import type { LayerRecord } from '../../shared/records.js';
import { num, rich, type Cell, type Column, type Content, type RichText, type Table } from './table.js';

/** Run names as shown; a name shared by several selected runs gets its id so rows stay distinct. */
export function displayNames(rows: readonly { id: string; name: string }[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return new Map(rows.map((r) => [r.id, (count.get(r.name) ?? 0) > 1 ? `${r.name} (${r.id})` : r.name]));
}

const left = (header: Column['header']): Column => ({ header, align: 'left' });
const right = (header: Column['header']): Column => ({ header, align: 'right' });

export function summaryTable(rows: readonly RunRow[]): Table {
  const epsilons = certEpsilons(rows);
  const names = displayNames(rows);
  const columns: Column[] = [
    left('Run'),
    left('Dataset'),
    left('Model'),
    left('Regulariser'),
    right(rich('β', '$\\beta$', '&beta;')),
    right(rich('Clean acc. (%)', 'Clean acc.\\ (\\%)')),
    ...epsilons.map((e) =>
      right(
        rich(
          `Cert. acc. ε=${formatEps(e)} (%)`,
          `Cert.\\ $\\varepsilon{=}${formatEps(e)}$ (\\%)`,
          `Cert. acc. &epsilon;=${formatEps(e)} (%)`,
        ),
      ),
    ),
    right('Lipschitz bound'),
    right(rich('F4/ref mean', 'F4/ref (mean)')),
    right(rich('F4/ref max', 'F4/ref (max)')),
    left('Backend'),
  ];
  const body: Cell[][] = rows.map((r) => [
    names.get(r.id) ?? r.name,
    r.dataset ?? null,
    r.model ?? null,
    r.regulariser ?? null,
    num(r.beta, FMT.beta),
    num(r.cleanAcc, FMT.accuracy),
    ...epsilons.map((e) => num(r.certified.get(epsKey(e))?.accuracy ?? null, FMT.accuracy)),
    num(r.lipschitz, FMT.bound),
    num(r.ratioMean, FMT.ratio),
    num(r.ratioMax, FMT.ratio),
    r.backend ?? null,
  ]);
  const certSteps = [...new Set(rows.map((r) => r.certStep).filter((s): s is number => s !== null))];
  const notes: Content[] = [
    rich(
      "Accuracies in % at each run's last evaluation. Certified accuracy: test points whose margin exceeds √2·L·ε (ℓ2 radius ε, L = the Lipschitz bound). " +
        "Lipschitz bound: product of the layers' certified spectral-norm bounds. F4/ref: the Fantastic Four bound over the best lower value of the same operator (the operator estimate of the layer as it runs; the exact circular norm only for circular stride-1 layers), over the layers of the last evaluation.",
      "Accuracies in \\% at each run's last evaluation. Certified accuracy: test points whose margin exceeds $\\sqrt{2}\\,L\\,\\varepsilon$ ($\\ell_2$ radius $\\varepsilon$, $L$ the Lipschitz bound). " +
        "Lipschitz bound: product of the layers' certified spectral-norm bounds. F4/ref: the Fantastic Four bound over the best lower value of the same operator (the operator estimate of the layer as it runs; the exact circular norm only for circular stride-1 layers), over the layers of the last evaluation.",
    ),
  ];
  if (certSteps.length === 1) notes.push(`Certified at step ${certSteps[0]}.`);
  return { caption: 'Summary of runs', label: 'tab:summary', columns, rows: body, notes };
}

const reshapeHeader = (k: string): Column =>
  right(rich(`√hw‖${k}‖₂`, `$\\sqrt{hw}\\,\\|${k}\\|_2$`, `&radic;hw&thinsp;&#8214;${k}&#8214;<sub>2</sub>`));

/** "3×3, 16→32" (kernel h×w, channels in→out), with ", stride 2" when strided. */
export function kernelText(l: LayerRecord): RichText {
  const [h, w, cin, cout] = l.kernelShape;
  const stride = l.stride > 1 ? `, stride ${l.stride}` : '';
  return rich(
    `${h}×${w}, ${cin}→${cout}${stride}`,
    `$${h}{\\times}${w}$, ${cin}$\\to$${cout}${stride}`,
    `${h}&times;${w}, ${cin}&rarr;${cout}${stride}`,
  );
}

/** The input size n the bounds were computed at ("32", or "32×16" when not square). */
export function inputText(l: LayerRecord | null): RichText | null {
  if (!l?.inputSize) return null;
  const [h, w] = l.inputSize;
  return h === w ? rich(String(h)) : rich(`${h}×${w}`, `$${h}{\\times}${w}$`, `${h}&times;${w}`);
}

/** Upper bounds shown next to F4 when some layer has them, headed as the registry names them (the certified one is what the Lipschitz bound used). */
const UPPER_COLUMNS: [string, (l: LayerRow) => number | null][] = [
  ['f4-polyphase', (l) => l.polyphase],
  [CERTIFIED_TOKEN, (l) => l.certified],
  ['gram-iteration', (l) => l.gram],
  ['toeplitz-norm2toep', (l) => l.toeplitz],
];

export function layerBoundsTable(run: ReportRun, displayName = run.record.name): Table {
  const layers = layerRows(run.layers, run.modelLayers);
  const uppers = UPPER_COLUMNS.filter(([, value]) => layers.some((l) => value(l) !== null));
  // Kernel and input size come from the store's layer table; runs recorded before it have none.
  const shapes = layers.some((l) => l.model !== null);
  const columns: Column[] = [
    left('Layer'),
    ...(shapes ? [left('Kernel'), right('n')] : []),
    reshapeHeader('R'),
    reshapeHeader('S'),
    reshapeHeader('T'),
    reshapeHeader('U'),
    right('F4'),
    { header: 'argmin', align: 'center' },
    ...uppers.map(([id]) => right(methodSpec(id)?.column ?? id)),
    right(rich('Exact (circ, s=1)', 'Exact (circ., $s{=}1$)')),
    right(rich('Operator est.', 'Operator est.')),
    right('F4/ref'),
  ];
  const body: Cell[][] = layers.map((l) => [
    l.layer,
    ...(shapes ? [l.model ? kernelText(l.model) : null, inputText(l.model)] : []),
    num(l.R, FMT.bound),
    num(l.S, FMT.bound),
    num(l.T, FMT.bound),
    num(l.U, FMT.bound),
    num(l.f4, FMT.bound),
    l.argmin,
    ...uppers.map(([, value]) => num(value(l), FMT.bound)),
    num(l.exact, FMT.bound),
    num(l.operator, FMT.bound),
    num(l.ratio, FMT.ratio),
  ]);
  const r = run.record;
  const where = [r.dataset, r.model].filter(Boolean).join(', ');
  const step =
    run.layers.step === null ? 'no evaluation recorded' : `step ${formatNumber(run.layers.step, FMT.int, 'text')}`;
  return {
    caption: `Per-layer bounds of ${displayName}${where ? ` (${where})` : ''}, ${step}`,
    label: `tab:layers-${r.id}`,
    columns,
    rows: body,
    notes: [
      rich(
        (shapes ? 'Kernel: h×w, input→output channels; n: input size the bounds were computed at. ' : '') +
          'R, S, T, U: √(hw)·‖·‖₂ of the four reshapes of the kernel (Theorem 1), each an upper bound; F4: their minimum; ' +
          'exact: spectral norm with circular padding (Sedghi et al. 2019); operator est.: power iteration on the layer as it runs ' +
          '(zero padding, stride), a lower estimate; — not computed.',
        (shapes
          ? 'Kernel: $h{\\times}w$, input$\\to$output channels; $n$: input size the bounds were computed at. '
          : '') +
          'R, S, T, U: $\\sqrt{hw}\\,\\|\\cdot\\|_2$ of the four reshapes of the kernel (Theorem~1), each an upper bound; F4: their minimum; ' +
          'exact: spectral norm with circular padding (Sedghi et al.\\ 2019); operator est.: power iteration on the layer as it runs ' +
          '(zero padding, stride), a lower estimate; --- not computed.',
      ),
    ],
  };
}
