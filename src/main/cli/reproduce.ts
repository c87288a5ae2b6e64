/**
 * `spectral-lab reproduce`: list the paper's experiments, or run one as ordinary runs in the store
 * (progress per run and overall) and write its tables (Markdown + CSV) and figures (SVG) through the
 * export code into --out (default docs/results/<name>/).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { safeParseRunConfig } from '../../shared/config.js';
import {
  EXPERIMENTS,
  experimentNamed,
  RunFailedError,
  type Experiment,
  type ExperimentSize,
} from '../reproduce/index.js';
import { runReproduceJob, type JobHooks, type JobProgress } from '../reproduce/job.js';
import { OutcomesFileError } from '../reproduce/outcomes-file.js';
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

/** Progress bars of the job: one per run (steps, ETA) whose detail carries the overall progress and ETA, then one for the analysis. */
function progressHooks(a: Args, store: Store): JobHooks {
  let bar: ProgressBar | null = null;
  let analysisBar: ProgressBar | null = null;
  const overallText = (p: JobProgress): string =>
    `overall ${(p.fraction * 100).toFixed(0)}% ETA ${formatDuration(p.etaSeconds ?? NaN)}`;
  const seeds = `${a.seeds} seed${a.seeds === 1 ? '' : 's'}`;
  return {
    warn: (m) => say(`warning: ${m}`),
    onPlanned: (n, fromFile) =>
      say(
        fromFile === null
          ? `reproduce ${a.experiment.name} (${a.size}, ${seeds}): ${n} runs into ${store.paths.dataDir}`
          : `reproduce ${a.experiment.name}: ${fromFile} runs read from ${a.from}`,
      ),
    onRunStart(i, total, run, runId, totalSteps) {
      say(`run ${i + 1}/${total} ${runId}: ${run.arm}, seed ${run.seed}`);
      bar = new ProgressBar({ total: totalSteps, label: `run ${i + 1}/${total}` });
    },
    onStep: (p, detail) => bar?.update(p.step, `${detail} · ${overallText(p)}`),
    onRunEnd: (o, p) =>
      bar?.finish(
        `${o.arm} seed ${o.seed}: test ${((o.lastEval?.testAcc ?? NaN) * 100).toFixed(1)}% · ${overallText(p)}`,
      ),
    onOutcomesSaved: (file) => say(`outcomes saved to ${file}`),
    onAnalysis(done, n, detail) {
      analysisBar ??= new ProgressBar({ total: n, label: 'bounds' });
      analysisBar.update(done, detail);
    },
  };
}

async function reproduce(a: Args): Promise<number> {
  const store = await openRunStore(a.store);
  try {
    const { artifacts, files } = await runReproduceJob(
      store,
      { experiment: a.experiment, size: a.size, seeds: a.seeds, out: a.out, dataDir: a.data, from: a.from },
      progressHooks(a, store),
    );
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
