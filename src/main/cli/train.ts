/**
 * `spectral-lab train <config.json>`: validate a run config, train it in the engine's worker thread with a
 * progress bar on stderr, record it in the run store (when available), and print a summary table.
 */
import { parseArgs as parseArgv } from 'node:util';
import { isBackendChoice } from '../../shared/backend.js';
import { safeParseRunConfig, type RunConfig } from '../../shared/config.js';
import type { EngineEvent, EvalEvent } from '../../shared/events.js';
import { startRun, type EngineHandle, type FinishedEvent } from '../engine/host.js';
import { checkpointFolder } from '../engine/train/checkpoint-folder.js';
// errors.ts only (no sqlite3): `train --no-store` never loads the store.
import { isDiskFull } from '../store/errors.js';
import { formatDuration, ProgressBar } from './progress.js';
import { readJsonFile, UsageError } from './usage-error.js';

const USAGE = `Usage: spectral-lab train <config.json> [options]

Train a network from a run config (see resources/experiments/*.json) in a worker thread.

Options:
  --data DIR            dataset folder (or the CIFAR-10 .tar.gz); overrides dataset.path
  --backend NAME        auto | tensorflow-gpu | tensorflow | wasm | cpu; overrides the config's backend
  --store DIR           record the run in the run store folder DIR (default: the app's); the app,
                        \`serve\` and other train commands may record into it at the same time
  --no-store            do not record the run
  --checkpoint-dir DIR  where weight checkpoints go (default: checkpoints.dir of the config,
                        else <store>/checkpoints/<run id>)
  --quiet               no progress bar and no per-evaluation lines; only the summary
  -h, --help            this help

Exit code: 0 completed, 1 failed, 2 bad usage or config, 130 cancelled (Ctrl-C), 143 stopped by SIGTERM.`;

interface Args {
  file: string;
  data?: string;
  backend?: string;
  store?: string;
  noStore: boolean;
  checkpointDir?: string;
  quiet: boolean;
}

/** The options, parsed by node:util's parseArgs like every other command (bounds, export, serve). */
function parseArgs(argv: string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgv({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        backend: { type: 'string' },
        store: { type: 'string' },
        'no-store': { type: 'boolean', default: false },
        'checkpoint-dir': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (v.backend !== undefined && !isBackendChoice(v.backend)) {
    throw new UsageError(`--backend '${v.backend}' is not one of auto, tensorflow-gpu, tensorflow, wasm, cpu.`);
  }
  if (positionals.length > 1)
    throw new UsageError(`one config file only (got ${positionals.map((p) => `'${p}'`).join(' and ')}).`);
  const [file] = positionals;
  if (!file) throw new UsageError('missing the run config file, e.g. resources/experiments/mnist-baseline.json.');
  return {
    file,
    data: v.data,
    backend: v.backend,
    store: v.store,
    noStore: v['no-store'],
    checkpointDir: v['checkpoint-dir'],
    quiet: v.quiet,
  };
}

async function readConfig(file: string, backend?: string): Promise<RunConfig> {
  const json = await readJsonFile(file);
  if (backend && json && typeof json === 'object' && !Array.isArray(json))
    (json as Record<string, unknown>).backend = backend;
  const r = safeParseRunConfig(json);
  if (!r.success) throw new UsageError(`${file}: ${r.error.message}`);
  return r.data;
}

interface Recorder {
  runId: string;
  dataDir: string;
  checkpointDir: string;
  record(e: EngineEvent): void;
  /** Best effort: mark the run failed for a reason of the recording itself (a full disk). */
  fail(reason: string): Promise<void>;
  /** Act on pause / resume / cancel asked for by the workbench (run-control.ts); returns the stop function. */
  watchControl(engine: EngineHandle, say: (m: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * The run store, if this build has it and it opens; otherwise the run is only printed. `onFatal`
 * hears of write errors that retrying cannot cure (a full or failing disk): the run must stop.
 */
async function openRecorder(
  config: RunConfig,
  args: Args,
  warn: (m: string) => void,
  onFatal: (err: Error) => void,
): Promise<Recorder | null> {
  if (args.noStore) return null;
  let mod: typeof import('../store/index.js');
  try {
    mod = await import('../store/index.js');
  } catch (e) {
    warn(`run store unavailable (${(e as Error).message}); the run is not recorded. Use --no-store to silence this.`);
    return null;
  }
  const dataDir = args.store ?? mod.defaultDataDir();
  const failed = (err: Error): void => (isDiskFull(err) ? onFatal(err) : warn(`store: ${err.message}`));
  const store = await mod.openStore({
    dataDir,
    validateConfig: (c) => {
      const r = safeParseRunConfig(c);
      return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
    },
    onError: failed,
  });
  const run = await store.createRun({ config, name: config.name, status: 'queued' });
  const writer = await store.writer(run.id);
  // The store's own sink: points, checkpoints and the run log, as the app records them.
  const sink = store.eventSink(writer);
  // Store writes are async; a chain keeps them in event order and lets close() wait for the last one.
  let chain: Promise<void> = Promise.resolve();
  return {
    runId: run.id,
    dataDir: store.paths.dataDir,
    checkpointDir: checkpointFolder(config, run.id, store.paths.checkpoints),
    record(e) {
      chain = chain.then(() => mod.recordEngineEvent(sink, e)).catch(failed);
      // Pause is live-only for the engine events; a workbench watching the store needs it stored.
      if (e.type === 'paused' || e.type === 'resumed') {
        const status = e.type === 'paused' ? 'paused' : 'running';
        chain = chain.then(async () => void (await store.setStatus(run.id, { status }))).catch(failed);
      }
    },
    watchControl(engine, say) {
      const timer = setInterval(() => {
        const r = store.takeControlRequest(run.id);
        if (!r) return;
        say(`${r.action} requested from ${r.by}`);
        if (r.action === 'pause') engine.pause();
        else if (r.action === 'resume') engine.resume();
        else engine.cancel(`cancelled from ${r.by}`);
      }, 300);
      timer.unref();
      return () => clearInterval(timer);
    },
    async fail(reason) {
      await chain;
      // The disk may still be full: then the next open of the store marks the run crashed instead.
      await store.setStatus(run.id, { status: 'failed', error: reason, reason }).catch(() => undefined);
    },
    async close() {
      await chain;
      try {
        await writer.close();
      } finally {
        await store.close();
      }
    },
  };
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`;

function evalLine(e: EvalEvent): string {
  const byEps = (xs: { eps: number; acc: number }[]): string =>
    xs.map((c) => `${c.eps.toFixed(3)}:${pct(c.acc)}`).join(' ');
  const cert = byEps(e.certified.map((c) => ({ eps: c.eps, acc: c.accPairwise })));
  const pgd = e.pgd ? ` · PGD ${byEps(e.pgd)}` : '';
  const curv = e.curvature
    ? ` · curvature K ${e.curvature.bound.toPrecision(4)}, certified ${byEps(e.curvature.certified)}`
    : '';
  return `eval step ${e.step} (epoch ${e.epoch.toFixed(2)}): train ${pct(e.trainAcc)} val ${pct(e.valAcc)} test ${pct(e.testAcc)} · Lipschitz ${e.lipschitz.toPrecision(4)} · certified ${cert}${pgd}${curv} · ${(e.evalMs / 1000).toFixed(1)} s`;
}

function summaryTable(f: FinishedEvent, lastEval: EvalEvent | null, runId: string): string {
  const s = f.summary;
  const rows: [string, string][] = [
    ['run', runId],
    ['status', f.status + (f.reason ? ` (${f.reason})` : '')],
    ['backend', s.backend ?? '-'],
    ['steps / epochs', `${s.steps} / ${s.epochs.toFixed(2)}`],
    ['duration', formatDuration(s.durationMs / 1000)],
    ['throughput', s.imagesPerSecond ? `${s.imagesPerSecond.toFixed(0)} images/s` : '-'],
    ['final loss', s.finalLoss === null ? '-' : s.finalLoss.toFixed(4)],
    ['train / val / test acc', `${pct(s.trainAcc)} / ${pct(s.valAcc)} / ${pct(s.testAcc)}`],
    ['Lipschitz bound', s.lipschitz === null ? '-' : s.lipschitz.toPrecision(5)],
    ...s.certified.map((c): [string, string] => [
      `certified @ eps ${c.eps.toFixed(4)}`,
      `${pct(c.acc)} (pairwise ${pct(c.accPairwise)})`,
    ]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`);
  if (lastEval?.layers.length) {
    lines.push(
      '',
      `  ${'layer'.padEnd(16)} ${'F4 min'.padStart(10)} ${'certified'.padStart(10)} ${'exact(circ)'.padStart(11)} ${'operator'.padStart(10)}`,
    );
    const num = (x: number | undefined, n: number): string => (x === undefined ? '-' : x.toPrecision(5)).padStart(n);
    for (const l of lastEval.layers) {
      lines.push(
        `  ${l.name.padEnd(16)} ${num(l.f4.min, 10)} ${num(l.certifiedUpper, 10)} ${num(l.exactCircular, 11)} ${num(l.operatorEstimate, 10)}`,
      );
    }
  }
  return lines.join('\n');
}

/** What a terminal shows of a run: its start, a progress bar, evaluations, log lines, pauses (on stderr). */
class TrainConsole {
  bar: ProgressBar | null = null;
  lastEval: EvalEvent | null = null;
  private last = { loss: NaN, acc: NaN, epoch: 0 };

  constructor(
    private readonly config: RunConfig,
    private readonly quiet: boolean,
  ) {}

  /** A line on stderr, clearing the progress bar's line first. */
  readonly err = (m: string): void => {
    if (this.bar && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${m}\n`);
  };

  show(e: EngineEvent, runId: string): void {
    const { quiet, err } = this;
    switch (e.type) {
      case 'started':
        if (!quiet) {
          err(
            `run ${runId}: ${this.config.model.arch} on ${e.dataset.name} (${e.dataset.train} train / ${e.dataset.validation} val / ${e.dataset.test} test), ${e.model.totalParams.toLocaleString('en-US')} parameters, backend ${e.backend.summary}`,
          );
          this.bar = new ProgressBar({ total: e.totalSteps, label: 'train' });
        }
        return;
      case 'step': {
        const p = e.points[e.points.length - 1];
        this.last = { loss: p.loss, acc: p.acc, epoch: p.epoch };
        this.bar?.update(p.step, `epoch ${p.epoch.toFixed(2)} · loss ${p.loss.toFixed(4)} · acc ${pct(p.acc)}`);
        return;
      }
      case 'eval':
        this.lastEval = e;
        if (!quiet) err(evalLine(e));
        return;
      case 'log':
        if (!quiet || e.level === 'warn' || e.level === 'error') err(`${e.level}: ${e.message}`);
        return;
      case 'paused':
        err(`paused at step ${e.step}`);
        return;
      case 'resumed':
        err(`resumed at step ${e.step}`);
        return;
      case 'finished':
        if (this.bar && e.status === 'completed')
          this.bar.finish(`epoch ${this.last.epoch.toFixed(2)} · loss ${this.last.loss.toFixed(4)}`);
        return;
      default:
        return;
    }
  }
}

export async function run(argv: string[]): Promise<number> {
  let args: Args | 'help';
  let config: RunConfig;
  try {
    args = parseArgs(argv);
    if (args === 'help') {
      console.log(USAGE);
      return 0;
    }
    config = await readConfig(args.file, args.backend);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`train: ${e.message}\n\nRun 'spectral-lab train --help' for the options.`);
      return 2;
    }
    throw e;
  }
  const view = new TrainConsole(config, args.quiet);
  const err = view.err;
  let storeFailure: Error | null = null;
  let handle: EngineHandle | null = null;
  const onStoreFatal = (e: Error): void => {
    if (storeFailure) return;
    storeFailure = e;
    err(`train: the run store cannot be written (${e.message}); stopping the run…`);
    handle?.cancel('the run store cannot be written');
  };
  const recorder = await openRecorder(config, args, (m) => err(`warning: ${m}`), onStoreFatal);
  handle = startRun(config, {
    runId: recorder?.runId,
    dataDir: args.data,
    checkpointDir: args.checkpointDir ?? recorder?.checkpointDir,
  });
  const engine = handle;
  const stopControl = recorder?.watchControl(engine, (m) => err(m));
  engine.on((e) => {
    // After a store failure the end is recorded as failed below (if the disk still takes it), not as cancelled.
    if (!(storeFailure && e.type === 'finished')) recorder?.record(e);
    view.show(e, engine.runId);
  });
  const signals = stopOnSignals(engine, err);
  const finished = await engine.done;
  signals.off();
  stopControl?.();
  if (storeFailure) return endAfterStoreFailure(storeFailure, recorder, finished, err);
  try {
    await recorder?.close();
  } catch (e) {
    if (!(recorder && isDiskFull(e))) throw e;
    return endAfterStoreFailure(e as Error, recorder, finished, err);
  }
  if (view.bar && process.stderr.isTTY && finished.status !== 'completed') process.stderr.write('\n');
  console.log(summaryTable(finished, view.lastEval, engine.runId));
  if (finished.status === 'failed') err(`train: run failed: ${finished.reason ?? 'unknown reason'}`);
  if (finished.status === 'completed') return 0;
  return finished.status === 'cancelled' ? (signals.received === 'SIGTERM' ? 143 : 130) : 1;
}

/**
 * Ctrl-C and SIGTERM end the run as cancelled: the worker stops after the current step, the run is
 * recorded as cancelled and its lock released. A second signal (or 10 s after SIGTERM) stops the worker at once.
 */
function stopOnSignals(
  engine: EngineHandle,
  err: (m: string) => void,
): { off(): void; readonly received: NodeJS.Signals | null } {
  let received: NodeJS.Signals | null = null;
  let timer: NodeJS.Timeout | null = null;
  const on = (signal: NodeJS.Signals): void => {
    if (received) {
      void engine.terminate();
      return;
    }
    received = signal;
    err(
      signal === 'SIGINT'
        ? 'stopping after the current step (Ctrl-C again to stop at once)…'
        : 'SIGTERM: stopping after the current step…',
    );
    engine.cancel(signal === 'SIGINT' ? 'interrupted by Ctrl-C' : 'stopped by SIGTERM');
    timer = setTimeout(() => void engine.terminate(), 10_000);
    timer.unref();
  };
  const onInt = (): void => on('SIGINT');
  const onTerm = (): void => on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    off() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (timer) clearTimeout(timer);
    },
    get received() {
      return received;
    },
  };
}

/** A full (or failing) disk under the store: the run is stopped and, if the store still takes it, marked failed; exit 1. */
async function endAfterStoreFailure(
  cause: Error,
  recorder: Recorder | null,
  finished: FinishedEvent,
  err: (m: string) => void,
): Promise<number> {
  const reason = `the run store could not be written (${cause.message}); stopped at step ${finished.summary.steps}`;
  await recorder?.fail(reason);
  await recorder?.close().catch(() => undefined);
  err(
    `train: ${reason}. The disk holding ${recorder?.dataDir ?? 'the store'} is full or failing. ` +
      'Free some space there, or record into another folder with --store DIR (or run with --no-store).',
  );
  return 1;
}
