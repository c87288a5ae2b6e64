/**
 * `spectral-lab bounds --model FILE`: per-layer bounds and the Lipschitz bound of the researcher's own network
 * (ONNX or tfjs LayersModel), optionally certificates on a labelled set. JSON is the ModelAnalysis object itself.
 */
import { basename, resolve } from 'node:path';
import type { ModelAnalysis } from '../../shared/model-analysis.js';
import { analyseModel, inferShapes, ModelImportError, openModel } from '../engine/models/imported/index.js';
import { certifyImported, loadLabelledSet } from '../engine/models/imported/certify.js';
import { layersCsv } from '../../shared/model-analysis-csv.js';
import { renderTable } from './bounds-format.js';
import { ProgressBar } from './progress.js';

export interface ModelArgs {
  model: string;
  format: string;
  inputShape?: string;
  mean?: string;
  std?: string;
  dataset?: string;
  eps?: string;
  limit?: string;
  pgdSteps?: string;
  operatorIters?: number;
  /** Store the analysis in this run store (reports: export --analysis ID). */
  store?: string;
  /** Its name in the store (default: the model file's name). */
  name?: string;
}

export const MODEL_HELP = `
With --model (your own network):
  --model FILE          an ONNX file (torch.onnx.export) or a tfjs LayersModel model.json (shards next to it)
  --input-shape C,H,W   input shape without the batch (default: from the file); D for a vector input
  --mean LIST, --std LIST
                        per-channel input normalisation (x - mean) / std the network expects, pixels in [0, 1];
                        certificates are then in pixel space
  --format table|json|csv
  --dataset NAME|PATH   labelled set for certificates: mnist, fashion-mnist, cifar10 (test sets), a folder with
                        t10k-images/t10k-labels IDX files, or an IDX images file (labels file next to it)
  --eps LIST            l2 radii (pixel space) for the certified-accuracy curve (default 0.1,0.25,0.5,1)
  --limit N             test images used (default 1000)
  --pgd-steps N         l2 PGD steps per eps (default 10; 0 skips the attack)
  --store DIR           also store the analysis in this run store (beside the runs, listed by the Models view
                        and export --list); prints its id for export --analysis ID
  --name NAME           its name there (default: the model file's name)`;

function numbers(s: string | undefined, flag: string): number[] | undefined {
  if (s === undefined) return undefined;
  const v = s.split(',').map((x) => Number(x.trim()));
  if (!v.length || v.some((x) => !Number.isFinite(x)))
    throw new ModelImportError(`${flag} must be a comma-separated list of numbers, got '${s}'.`);
  return v;
}

function count(s: string | undefined, flag: string, d: number, min: number): number {
  if (s === undefined) return d;
  const v = Number(s);
  if (!Number.isInteger(v) || v < min) throw new ModelImportError(`${flag} must be an integer >= ${min}, got '${s}'.`);
  return v;
}

export async function runModel(a: ModelArgs): Promise<number> {
  if (!['table', 'json', 'csv'].includes(a.format))
    throw new ModelImportError(`--format must be table, json or csv, got '${a.format}'.`);
  const inputShape = numbers(a.inputShape, '--input-shape');
  const mean = numbers(a.mean, '--mean');
  const std = numbers(a.std, '--std');
  const epsilons = numbers(a.eps, '--eps') ?? [0.1, 0.25, 0.5, 1];
  const limit = count(a.limit, '--limit', 1000, 1);
  const pgdSteps = count(a.pgdSteps, '--pgd-steps', 10, 0);
  const graph = openModel(a.model);
  for (const u of graph.unsupported) console.error(`unsupported: ${u.op} '${u.name}' — ${u.reason}`);
  let bar: ProgressBar | undefined;
  const analysis = analyseModel(graph, {
    inputShape,
    mean,
    std,
    operatorIterations: a.operatorIters,
    onLayer: (done, total, name) => {
      bar ??= new ProgressBar({ total, label: 'layers' });
      bar.update(done, name);
    },
  });
  bar?.finish();
  if (a.dataset) {
    const set = await loadLabelledSet(a.dataset, limit);
    analysis.certificates = await certifyImported(inferShapes(graph, inputShape), analysis, set, {
      epsilons,
      mean,
      std,
      pgdSteps,
      onStage: (s) => console.error(`certificates: ${s}`),
    });
  }
  if (a.store !== undefined) await storeAnalysis(a.store, a.name ?? basename(a.model), analysis);
  if (a.format === 'json') console.log(JSON.stringify(analysis, null, 2));
  else if (a.format === 'csv') process.stdout.write(layersCsv(analysis.layers));
  else console.log(modelTable(analysis));
  return analysis.layers.every((l) => l.violations.length === 0) ? 0 : 3;
}

/** Keeps the analysis beside the runs of a store (as the Models view does) and says how to report it. */
async function storeAnalysis(dir: string, name: string, analysis: ModelAnalysis): Promise<void> {
  const { openStore } = await import('../store/index.js');
  const dataDir = resolve(dir);
  const store = await openStore({ dataDir, onError: (e) => process.stderr.write(`store: ${e.message}\n`) });
  try {
    const { id } = await store.modelAnalyses.add(name, analysis);
    console.error(
      `stored as model analysis ${id} in ${dataDir}; report it with: spectral-lab export --analysis ${id} --store ${dataDir} --format html --out report.html`,
    );
  } finally {
    await store.close();
  }
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toPrecision(5));

export function modelTable(a: ModelAnalysis): string {
  const rows = a.layers.map((l) => [
    l.name,
    l.op,
    l.weight_shape.join('x'),
    `${l.stride.join('x')}${l.dilation.some((d) => d > 1) ? ` d${l.dilation[0]}` : ''}${l.groups > 1 ? ` g${l.groups}` : ''}`,
    l.input_shape.join('x'),
    num(l.f4?.min_bound),
    num(l.f4_polyphase?.min_bound),
    num(l.circular_s1_exact_fft),
    num(l.toeplitz_bound),
    num(l.operator_estimate),
    num(l.certified_upper_bound),
    l.log_sigma.toFixed(3),
  ]);
  const table = renderTable(
    [
      'layer',
      'op',
      'weight',
      'stride',
      'input',
      'F4',
      'F4 poly',
      'exact circ',
      'Toeplitz',
      'operator est',
      'certified',
      'ln σ',
    ],
    rows,
    5,
  );
  const L = a.lipschitz_upper_bound;
  const lines = [
    `${a.model.file} (${a.model.format}${a.model.opset ? ` opset ${a.model.opset}` : ''}), input ${a.model.input_shape.join('x')}`,
    '',
    table,
    '',
    L !== null
      ? `Network Lipschitz upper bound: ${L.toPrecision(6)} (${a.lipschitz_covers.description})`
      : `Network Lipschitz upper bound: not available — covers ${a.lipschitz_covers.description}; bound so far ${a.lipschitz_covers.bound.toPrecision(6)}`,
  ];
  if (a.input_normalization)
    lines.push(
      `In pixel space (x 1/min std = ${a.input_normalization.factor.toPrecision(4)}): ${num(a.input_normalization.pixel_lipschitz_upper_bound)}`,
    );
  for (const n of a.notes) lines.push(`note: ${n}`);
  if (a.unsupported.length)
    lines.push('', 'Unsupported (not covered):', ...a.unsupported.map((u) => `  ${u.op} '${u.name}': ${u.reason}`));
  const c = a.certificates;
  if (c) {
    const certRows = c.epsilons.map((e, j) => [
      e.toString(),
      (100 * c.standard[j]).toFixed(1),
      c.pairwise ? (100 * c.pairwise[j]).toFixed(1) : '—',
      c.pgd ? (100 * c.pgd[j]).toFixed(1) : '—',
    ]);
    lines.push(
      '',
      `Certificates on ${c.dataset} (${c.n} images), clean accuracy ${(100 * c.clean_accuracy).toFixed(1)}%, L = ${c.lipschitz.toPrecision(5)}`,
      renderTable(['eps (l2)', 'certified %', 'pairwise %', 'PGD %'], certRows),
    );
  }
  lines.push(
    '',
    'certified = the smallest valid upper bound (F4, F4 polyphase, Toeplitz; dense: float64 sigma_max with its rounding bound); exact circ is the circular-padding norm (not a bound for zero padding).',
  );
  return lines.join('\n');
}
