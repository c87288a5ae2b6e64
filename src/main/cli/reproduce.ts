/**
 * `spectral-lab reproduce`: list the paper's experiments, or run one as ordinary runs in the store
 * (progress per run and overall) and write its tables (Markdown + CSV) and figures (SVG) through the
 * export code into --out (default docs/results/<name>/).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendName } from '../../shared/backend.js';
import { safeParseRunConfig } from '../../shared/config.js';
import {
  EXPERIMENTS,
  experimentNamed,
  RunFailedError,
  trainPlanned,
  writeArtifacts,
  type Experiment,
  type ExperimentSize,
  type PlanOptions,
  type PlannedRun,
  type RunOutcome,
} from '../reproduce/index.js';
import { OutcomesFileError, readOutcomes, saveOutcomes } from '../reproduce/outcomes-file.js';
import type { Store } from '../store/index.js';
import { formatDuration, ProgressBar } from './progress.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: spectral-lab reproduce --list
       spectral-lab reproduce <experiment> [--quick | --smoke] [--seeds N] [--store DIR] [--out DIR]

Reproduce a claim of Singla & Feizi (ICLR 2021) with the workbench's own runs. The runs are ordinary runs
in the store (tagged reproduce:<experiment>), then the tables (Markdown + CSV) and figures (SVG) are written.

Options:
  --list          the experiments, what each measures and what its quick / full form costs here
  --quick         the few-minutes form (shows the direction of the effect); default: the full form
  --smoke         a seconds-long form that only checks the experiment runs end to end (numbers mean nothing)
  --seeds N       seeds per arm, 0 .. N-1 (default 3; tables give mean ± sd)
  --store DIR     record the runs in the run store folder DIR (default: the app's)
  --out DIR       where tables and figures go (default docs/results/<experiment>/, replaced as a whole)
  --data DIR      dataset folder (overrides each run's dataset.path)
  --from FILE     re-draw tables and figures from the outcomes a finished reproduce saved
                  (<store>/reproduce/<experiment>-<size>-<time>.json), without training again
  -h, --help      this text

Exit code: 0 done, 1 a run failed, 2 bad usage, 130 interrupted.`;

interface Args {
  experiment: Experiment;
  size: ExperimentSize;
  seeds: number;
  store?: string;
  out: string;
  data?: string;
  from?: string;
}

const names = (): string => EXPERIMENTS.map((e) => e.name).join(', ');

export function parseReproduceArgs(argv: string[]): Args | 'help' | 'list' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        list: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        smoke: { type: 'boolean', default: false },
        seeds: { type: 'string', default: '3' },
        store: { type: 'string' },
        out: { type: 'string' },
        data: { type: 'string' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (v.list) return 'list';
  if (positionals.length !== 1) throw new UsageError(`name one experiment (${names()}), or use --list.`);
  const experiment = experimentNamed(positionals[0]);
  if (!experiment)
    throw new UsageError(`unknown experiment '${positionals[0]}'; choose one of ${names()} (see --list).`);
  if (v.quick && v.smoke)
    throw new UsageError('--quick and --smoke are two sizes; give one of them (or neither for the full form).');
  const seeds = Number(v.seeds);
  if (!/^\d+$/.test(v.seeds) || seeds < 1 || seeds > 100)
    throw new UsageError(`--seeds must be a whole number from 1 to 100, got '${v.seeds}' (3 gives mean ± sd).`);
  const size: ExperimentSize = v.smoke ? 'smoke' : v.quick ? 'quick' : 'full';
  return {
    experiment,
    size,
    seeds,
    store: v.store,
    data: v.data,
    from: v.from,
    out: path.resolve(v.out ?? path.join('docs', 'results', experiment.name)),
  };
}

export function listText(): string {
  const w = Math.max(...EXPERIMENTS.map((e) => e.name.length));
  const lines = EXPERIMENTS.flatMap((e) => [
    `  ${e.name.padEnd(w)}  ${e.description}`,
    `  ${''.padEnd(w)}  quick: ${e.cost.quick}`,
    `  ${''.padEnd(w)}  full:  ${e.cost.full}`,
  ]);
  return ['Experiments (spectral-lab reproduce <name> [--quick] [--seeds N]):', '', ...lines].join('\n');
}

/** The tfjs backends that work here, fastest first (the overhead experiment measures each). */
async function usableBackends(): Promise<BackendName[]> {
  const { DEFAULT_PROBES } = await import('../engine/backends/index.js');
  const out: BackendName[] = [];
  for (const p of DEFAULT_PROBES) if ((await p.unavailableReason()) === null) out.push(p.name);
  return out;
}

/** The command line that regenerates this result (written into the result's README). */
function commandOf(a: Args): string {
  const size = a.size === 'full' ? '' : ` --${a.size}`;
  return `npm run cli -- reproduce ${a.experiment.name}${size} --seeds ${a.seeds}`;
}

export async function run(argv: string[]): Promise<number> {
  let args: Args | 'help' | 'list';
  try {
    args = parseReproduceArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`reproduce: ${e.message}\n\nRun 'spectral-lab reproduce --help' for the options.`);
    return 2;
  }
  if (args === 'help') return (console.log(HELP), 0);
  if (args === 'list') return (console.log(listText()), 0);
  return reproduce(args);
}

async function openRunStore(dir: string | undefined) {
  const { openStore, defaultDataDir } = await import('../store/index.js');
  return openStore({
    dataDir: dir ?? defaultDataDir(),
    validateConfig: (c) => {
      const r = safeParseRunConfig(c);
      return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
    },
    onError: (e) => process.stderr.write(`store: ${e.message}\n`),
  });
}

const say = (m: string): void => void process.stderr.write(`${m}\n`);

/** Trains the plan with a bar per run (steps, ETA) whose detail carries the overall progress and ETA. */
async function trainAll(
  a: Args,
  store: Store,
  planned: PlannedRun[],
  startedAt: Date,
  options: PlanOptions,
): Promise<RunOutcome[]> {
  let bar: ProgressBar | null = null;
  const overall = { done: 0, frac: 0, runSteps: 1 };
  const overallText = (): string => {
    const elapsed = (Date.now() - startedAt.getTime()) / 1000;
    const f = planned.length ? (overall.done + overall.frac) / planned.length : 1;
    return `overall ${(f * 100).toFixed(0)}% ETA ${formatDuration(f > 0 ? elapsed / f - elapsed : NaN)}`;
  };
  return trainPlanned(store, a.experiment.name, planned, {
    dataDir: a.data,
    warn: (m) => say(`warning: ${m}`),
    // Saved after every run: if a later run fails, the finished ones can still be drawn (--from).
    onProgress: async (done) =>
      void (await saveOutcomes(store.paths.dataDir, a.experiment.name, options, startedAt, [...done])),
    onStart(i, total, run, runId, totalSteps) {
      say(`run ${i + 1}/${total} ${runId}: ${run.arm}, seed ${run.seed}`);
      overall.runSteps = Math.max(1, totalSteps);
      bar = new ProgressBar({ total: totalSteps, label: `run ${i + 1}/${total}` });
    },
    onStep(step, detail) {
      overall.frac = Math.min(1, step / overall.runSteps);
      bar?.update(step, `${detail} · ${overallText()}`);
    },
    onEnd(i, o) {
      overall.done = i + 1;
      overall.frac = 0;
      bar?.finish(
        `${o.arm} seed ${o.seed}: test ${((o.lastEval?.testAcc ?? NaN) * 100).toFixed(1)}% · ${overallText()}`,
      );
    },
  });
}

async function reproduce(a: Args): Promise<number> {
  let startedAt = new Date();
  let runsEnded: Date | null = null;
  let options: PlanOptions = {
    size: a.size,
    seeds: a.seeds,
    backends: a.experiment.name === 'overhead' ? await usableBackends() : [],
  };
  const store = await openRunStore(a.store);
  try {
    let outcomes: RunOutcome[];
    if (a.from) {
      ({ options, outcomes, startedAt, finishedAt: runsEnded } = await readOutcomes(a.from, a.experiment.name));
      say(
        `reproduce ${a.experiment.name}: ${outcomes.length} runs read from ${a.from} (${options.size}, ${options.seeds} seeds)`,
      );
    } else {
      const planned = a.experiment.plan(options);
      say(
        `reproduce ${a.experiment.name} (${a.size}, ${a.seeds} seed${a.seeds === 1 ? '' : 's'}): ${planned.length} runs into ${store.paths.dataDir}`,
      );
      outcomes = await trainAll(a, store, planned, startedAt, options);
      say(
        `outcomes saved to ${await saveOutcomes(store.paths.dataDir, a.experiment.name, options, startedAt, outcomes)}`,
      );
    }
    let analysisBar: ProgressBar | null = null;
    const artifacts = await a.experiment.analyse({
      outcomes,
      options,
      progress: (done, n, detail) => {
        analysisBar ??= new ProgressBar({ total: n, label: 'bounds' });
        analysisBar.update(done, detail);
      },
    });
    const files = await writeArtifacts(a.out, artifacts, {
      experiment: a.experiment.name,
      description: a.experiment.description,
      command: commandOf({ ...a, size: options.size, seeds: options.seeds }),
      size: options.size,
      seeds: options.seeds,
      backends: [...new Set(outcomes.map((o) => o.backend).filter((b): b is string => b !== null))],
      runIds: outcomes.map((o) => o.runId),
      store: store.paths.dataDir,
      startedAt,
      finishedAt: runsEnded ?? new Date(),
      ...(a.from ? { redrawn: { at: new Date(), from: a.from } } : {}),
    });
    for (const f of artifacts.findings) console.log(`- ${f}`);
    console.log(
      `\n${files.length} files in ${a.out}:\n${files.map((f) => `  ${path.relative(process.cwd(), f)}`).join('\n')}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof OutcomesFileError) {
      say(`reproduce: ${e.message}`);
      return 2;
    }
    if (!(e instanceof RunFailedError)) throw e;
    say(
      `reproduce: ${e.message} Nothing was written to ${a.out}; the finished runs' outcomes are under ${path.join(store.paths.dataDir, 'reproduce')} (draw them with --from FILE), or fix the cause and run the command again.`,
    );
    return /cancelled/.test(e.message) ? 130 : 1;
  } finally {
    await store.close();
  }
}
