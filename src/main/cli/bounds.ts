/**
 * `spectral-lab bounds`: per-layer spectral-norm bounds, side by side with the exact value and the time each
 * took. Without --kernels it bounds a freshly initialised ResNet-18 stack (the README's first example).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { LayerBoundsReport } from '../../shared/bounds.js';
import { KernelError } from '../../shared/bounds.js';
import type { BackendChoice } from '../../shared/backend.js';
import { streamSeed } from '../engine/data/rng.js';
import { OPERATOR_STALL_TOL, type LayerBoundMethod } from '../engine/bounds/layer-options.js';
import { startLayerPool, type LayerJob, type LayerPool } from '../engine/bounds/layer-pool.js';
import { assertFitsInMemory, readKernelFile } from './kernel-file.js';
import { heNormalKernel, resnet18Stack } from './resnet18-stack.js';
import { ProgressBar } from './progress.js';
import { formatLayerTables, kernelCasesJson, withCertifiedNorms } from './bounds-format.js';

// The methods, the backends and TensorFlow.js load only where this thread computes (import() below): with the
// layer pool, the threads compute, and their start-up runs while this thread has nothing heavy to load.
const loadBackends = () => import('../engine/backends/index.js');
const loadLayerReport = () => import('../engine/bounds/layer-report.js');

/** Most layer threads by default: each holds its own backend and kernels, and 17 layers gain little beyond. */
const MAX_WORKERS = 4;

const help = (modelHelp: string) => `Usage: spectral-lab bounds [options]
       spectral-lab bounds --model FILE [--input-shape C,H,W] [--format table|json|csv] [--dataset NAME|PATH]

Per-layer spectral-norm bounds: the four Fantastic Four norms ||R||, ||S||, ||T||, ||U||, the F4 bound
sqrt(hw)*min, Sedghi's exact circular norm, Gram iteration, the Toeplitz bound, the operator's Lanczos
estimate (the layer as it runs: zero padding, its stride), the certified bound (the smallest valid for the
layer), F4 over the best lower value of the same operator (F4/ref) and the time of each.

Without --kernels: a randomly initialised (He-normal, --seed) ResNet-18 stack of 17 conv layers at 224x224.

Options:
  --kernels FILE        kernels in the format of bounds-vectors.json (cases[].id, cases[].weights_hwio,
                        cases[].evaluations[].n)
  --n LIST              input sizes for --kernels cases without evaluations (default 8,16,32)
  --format table|json   output format (default table)
  --methods LIST        subset of exact,gram,toeplitz,operator (F4 always runs; default: all)
  --operator-iters N    most Lanczos products A^T A for the operator estimate (default 100 with --kernels, 30 for
                        ResNet-18); it stops earlier once converged
  --seed N              seed of the random ResNet-18 weights (default 0)
  --backend NAME        auto|tensorflow-gpu|tensorflow|wasm|cpu (default auto)
  --workers N           ResNet-18 layers computed at once, each on its own thread (default: one per core, at
                        most ${MAX_WORKERS}); 1 computes them one after another in this thread
  -h, --help            this text
${modelHelp}`;

const OPTIONS = {
  kernels: { type: 'string' },
  n: { type: 'string' },
  format: { type: 'string', default: 'table' },
  methods: { type: 'string' },
  'operator-iters': { type: 'string' },
  seed: { type: 'string', default: '0' },
  backend: { type: 'string', default: 'auto' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  model: { type: 'string' },
  'input-shape': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  dataset: { type: 'string' },
  eps: { type: 'string' },
  limit: { type: 'string' },
  'pgd-steps': { type: 'string' },
  store: { type: 'string' },
  name: { type: 'string' },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.help) {
    console.log(help((await import('./bounds-model.js')).MODEL_HELP));
    return 0;
  }
  const opIters =
    values['operator-iters'] !== undefined ? positiveInt(values['operator-iters'], '--operator-iters') : undefined;
  if (values.model) return boundModel(values, values.model, opIters);
  const format = values.format;
  if (format !== 'table' && format !== 'json')
    throw new KernelError(`--format must be 'table' or 'json', got '${format}'.`);
  const methods = parseMethods(values.methods);
  const workers = values.workers !== undefined ? positiveInt(values.workers, '--workers') : defaultWorkers();
  const seed = Number(values.seed);
  if (!values.kernels && !Number.isInteger(seed))
    throw new KernelError(`--seed must be an integer, got '${values.seed}'.`);
  // The layer threads start first: their start-up (~0.3 s) overlaps this thread's weights (~0.3 s) and backend.
  const pool =
    !values.kernels && workers > 1
      ? startLayerPool({ workers, backend: values.backend as BackendChoice }, resnet18Stack().length)
      : undefined;
  let reports: LayerBoundsReport[];
  let backend: { name: string; summary: string };
  try {
    const jobs = values.kernels ? [] : resnet18Jobs(seed);
    backend = await (pool?.backend ?? (await loadBackends()).selectBackend(values.backend as BackendChoice));
    console.error(`backend: ${backend.summary}`);
    if (values.kernels) return await boundKernelCases(values.kernels, values.n, format, methods, opIters);
    reports = await boundResNet18(jobs, { methods, opIters, pool });
  } finally {
    await pool?.close();
  }
  if (format === 'json') console.log(JSON.stringify(reports.map(withCertifiedNorms), null, 2));
  else {
    console.log(`ResNet-18 conv stack, He-normal init (seed ${seed}), input 224x224, backend ${backend.name}\n`);
    console.log(formatLayerTables(reports));
  }
  return reports.every((r) => r.consistent) ? 0 : 3;
}

/** `--model FILE`: the researcher's own network (bounds-model.ts). */
async function boundModel(v: Values, model: string, operatorIters: number | undefined): Promise<number> {
  console.error(`backend: ${(await (await loadBackends()).selectBackend(v.backend as BackendChoice)).summary}`);
  const { runModel } = await import('./bounds-model.js');
  return runModel({
    model,
    format: v.format,
    inputShape: v['input-shape'],
    mean: v.mean,
    std: v.std,
    dataset: v.dataset,
    eps: v.eps,
    limit: v.limit,
    pgdSteps: v['pgd-steps'],
    operatorIters,
    store: v.store,
    name: v.name,
  });
}

/** `--kernels FILE`: each case at each of its sizes, one after another. */
async function boundKernelCases(
  file: string,
  nList: string | undefined,
  format: 'table' | 'json',
  methods: LayerBoundMethod[] | undefined,
  opIters: number | undefined,
): Promise<number> {
  const { computeLayerBounds } = await loadLayerReport();
  const { f4PolyphaseBound } = await import('../engine/bounds/methods/f4.js');
  const { gramIterationBound } = await import('../engine/bounds/methods/gram-iteration.js');
  const cases = readKernelFile(file);
  const defaultNs = nList ? nList.split(',').map((s) => positiveInt(s, '--n')) : [8, 16, 32];
  const work = cases.flatMap((c) => (c.ns.length ? c.ns : defaultNs).map((n) => ({ c, n })));
  for (const { c, n } of work) assertFitsInMemory(c, n, methods);
  const bar = new ProgressBar({ total: work.length, label: 'bounds' });
  const reports = new Map<string, LayerBoundsReport[]>();
  // The reference file keys Gram iteration by t; compute every t it lists so outputs compare field by field.
  const gramByT = new Map<string, Record<string, number>>();
  work.forEach(({ c, n }, j) => {
    const r = computeLayerBounds(
      c.id,
      c.kernel,
      { n, stride: 1, padding: 'same' },
      { methods, operatorIterations: opIters ?? 100 },
    );
    reports.set(c.id, [...(reports.get(c.id) ?? []), r]);
    if (format === 'json' && (!methods || methods.includes('gram'))) {
      const ts = c.gramIterations.length ? c.gramIterations : [6];
      gramByT.set(
        `${c.id}@${n}`,
        Object.fromEntries(ts.map((t) => [String(t), gramIterationBound(c.kernel, n, t).value])),
      );
    }
    bar.update(j + 1, `${c.id} n=${n}`);
  });
  bar.finish();
  if (format === 'json') {
    const polyphase = new Map(cases.map((c) => [c.id, f4PolyphaseBound(c.kernel, 2)]));
    console.log(JSON.stringify(kernelCasesJson(cases, reports, polyphase, gramByT), null, 2));
  } else console.log(formatLayerTables([...reports.values()].flat()));
  return [...reports.values()].flat().every((r) => r.consistent) ? 0 : 3;
}

/** The README's example: a He-initialised ResNet-18 stack at 224x224. */
function resnet18Jobs(seed: number): LayerJob[] {
  return resnet18Stack().map((layer, j) => ({
    name: layer.name,
    kernel: heNormalKernel(layer.shapeHWIO, streamSeed(seed, 'resnetStackKernels', j)),
    geometry: layer.geometry,
  }));
}

/** The stack's layers on a pool of threads (or in this thread). */
async function boundResNet18(
  jobs: LayerJob[],
  o: { methods: LayerBoundMethod[] | undefined; opIters: number | undefined; pool: LayerPool | undefined },
): Promise<LayerBoundsReport[]> {
  const bounds = { methods: o.methods, operatorIterations: o.opIters ?? 30, operatorStallTol: OPERATOR_STALL_TOL };
  const bar = new ProgressBar({ total: jobs.length, label: 'ResNet-18' });
  // Layers are independent: on a pool of threads they finish out of order, and the bar counts them as they do.
  const computeInThisThread = async () => {
    const { computeLayerBounds } = await loadLayerReport();
    return jobs.map((job, j) => {
      const r = computeLayerBounds(job.name, job.kernel, job.geometry, bounds);
      bar.update(j + 1, job.name);
      return r;
    });
  };
  const reports = o.pool
    ? await o.pool.compute(jobs, { bounds, onLayer: (done, j) => bar.update(done, jobs[j].name) })
    : await computeInThisThread();
  bar.finish();
  const threads = o.pool?.threads ?? 1;
  console.error(
    `bounds: ${jobs.length} layers, whole command ${(performance.now() / 1000).toFixed(1)} s wall ` +
      `(${threads} layer thread${threads > 1 ? 's' : ''})`,
  );
  return reports;
}

function defaultWorkers(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_WORKERS, cores));
}

function parseMethods(s: string | undefined): LayerBoundMethod[] | undefined {
  if (!s) return undefined;
  const all: LayerBoundMethod[] = ['exact', 'gram', 'toeplitz', 'operator'];
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const m of list) {
    if (!all.includes(m as LayerBoundMethod))
      throw new KernelError(`--methods: unknown method '${m}'; choose from ${all.join(', ')}.`);
  }
  return list as LayerBoundMethod[];
}

function positiveInt(s: string, flag: string): number {
  const v = Number(s);
  if (!Number.isInteger(v) || v < 1) throw new KernelError(`${flag} must be a positive integer, got '${s}'.`);
  return v;
}
