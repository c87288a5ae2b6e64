/**
 * `spectral-lab train <config.json>`: validate a run config, train it in the engine's worker thread with a
 * progress bar on stderr, record it in the run store (when available), and print a summary table.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs as parseArgv } from 'node:util';
import path from 'node:path';
import { isBackendChoice } from '../../shared/backend.js';
import { safeParseRunConfig, type RunConfig } from '../../shared/config.js';
import type { EngineEvent, EvalEvent } from '../../shared/events.js';
import { startRun, type EngineHandle, type FinishedEvent } from '../engine/host.js';
import { formatDuration, ProgressBar } from './progress.js';

const USAGE = `Usage: spectral-lab train <config.json> [options]

Train a network from a run config (see resources/experiments/*.json) in a worker thread.

Options:
  --data DIR            dataset folder (or the CIFAR-10 .tar.gz); overrides dataset.path
  --backend NAME        auto | tensorflow-gpu | tensorflow | wasm | cpu; overrides the config's backend
  --store DIR           record the run in the store in DIR (default: the app's data folder)
  --no-store            do not record the run
  --checkpoint-dir DIR  where weight checkpoints go (default: <store>/checkpoints/<run id>)
  --quiet               no progress bar and no per-evaluation lines; only the summary
  -h, --help            this help

Exit code: 0 completed, 1 failed, 2 bad usage or config, 130 cancelled (Ctrl-C).`;

interface Args {
  file: string;
  data?: string;
  backend?: string;
  store?: string;
  noStore: boolean;
  checkpointDir?: string;
  quiet: boolean;
}

class UsageError extends Error {}

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
  if (positionals.length > 1) throw new UsageError(`one config file only (got ${positionals.map((p) => `'${p}'`).join(' and ')}).`);
  const [file] = positionals;
  if (!file) throw new UsageError('missing the run config file, e.g. resources/experiments/mnist-baseline.json.');
  return { file, data: v.data, backend: v.backend, store: v.store, noStore: v['no-store'], checkpointDir: v['checkpoint-dir'], quiet: v.quiet };
}

async function readConfig(file: string, backend?: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read '${file}' (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`'${file}' is not valid JSON: ${(e as Error).message}.`);
  }
  if (backend && json && typeof json === 'object' && !Array.isArray(json)) (json as Record<string, unknown>).backend = backend;
  const r = safeParseRunConfig(json);
  if (!r.success) throw new UsageError(`${file}: ${r.error.message}`);
  return r.data;
}

interface Recorder {
  runId: string;
  checkpointDir: string;
  record(e: EngineEvent): void;
  close(): Promise<void>;
}

/** The run store, if this build has it and it opens; otherwise the run is only printed. */
async function openRecorder(config: RunConfig, args: Args, warn: (m: string) => void): Promise<Recorder | null> {
  if (args.noStore) return null;
  let mod: typeof import('../store/index.js');
  try {
    mod = await import('../store/index.js');
  } catch (e) {
    warn(`run store unavailable (${(e as Error).message}); the run is not recorded. Use --no-store to silence this.`);
    return null;
  }
  const dataDir = args.store ?? mod.defaultDataDir();
  const store = await mod.openStore({
    dataDir,
    validateConfig: (c) => {
      const r = safeParseRunConfig(c);
      return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
    },
    onError: (err) => warn(`store: ${err.message}`),
  });
  const run = await store.createRun({ config, name: config.name, status: 'queued' });
  const writer = await store.writer(run.id);
  const sink = { writer, addCheckpoint: (step: number, p: string, sha256: string) => store.addCheckpoint(run.id, { step, path: p, sha256 }) };
  // Store writes are async; a chain keeps them in event order and lets close() wait for the last one.
  let chain: Promise<void> = Promise.resolve();
  return {
    runId: run.id,
    checkpointDir: path.join(mod.storePaths(dataDir).checkpoints, run.id),
    record(e) {
      chain = chain.then(() => mod.recordEngineEvent(sink, e)).catch((err: Error) => warn(`store: ${err.message}`));
    },
    async close() {
      await chain;
      await writer.close();
      await store.close();
    },
  };
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

function evalLine(e: EvalEvent): string {
  const byEps = (xs: { eps: number; acc: number }[]): string => xs.map((c) => `${c.eps.toFixed(3)}:${pct(c.acc)}`).join(' ');
  const cert = byEps(e.certified.map((c) => ({ eps: c.eps, acc: c.accPairwise })));
  const pgd = e.pgd ? ` · PGD ${byEps(e.pgd)}` : '';
  const curv = e.curvature ? ` · curvature K ${e.curvature.bound.toPrecision(4)}, certified ${byEps(e.curvature.certified)}` : '';
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
    ...s.certified.map((c): [string, string] => [`certified @ eps ${c.eps.toFixed(4)}`, `${pct(c.acc)} (pairwise ${pct(c.accPairwise)})`]),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`);
  if (lastEval?.layers.length) {
    lines.push('', `  ${'layer'.padEnd(16)} ${'F4 min'.padStart(10)} ${'certified'.padStart(10)} ${'exact(circ)'.padStart(11)} ${'operator'.padStart(10)}`);
    const num = (x: number | undefined, n: number): string => (x === undefined ? '-' : x.toPrecision(5)).padStart(n);
    for (const l of lastEval.layers) {
      lines.push(`  ${l.name.padEnd(16)} ${num(l.f4.min, 10)} ${num(l.certifiedUpper, 10)} ${num(l.exactCircular, 11)} ${num(l.operatorEstimate, 10)}`);
    }
  }
  return lines.join('\n');
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
  const quiet = args.quiet;
  const err = (m: string): void => {
    if (bar && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${m}\n`);
  };
  let bar: ProgressBar | null = null;
  const recorder = await openRecorder(config, args, (m) => err(`warning: ${m}`));
  const handle: EngineHandle = startRun(config, {
    runId: recorder?.runId,
    dataDir: args.data,
    checkpointDir: args.checkpointDir ?? recorder?.checkpointDir,
  });
  let lastEval: EvalEvent | null = null;
  let last = { loss: NaN, acc: NaN, epoch: 0 };
  handle.on((e) => {
    recorder?.record(e);
    switch (e.type) {
      case 'started':
        if (!quiet) {
          err(`run ${handle.runId}: ${config.model.arch} on ${e.dataset.name} (${e.dataset.train} train / ${e.dataset.validation} val / ${e.dataset.test} test), ${e.model.totalParams.toLocaleString('en-US')} parameters, backend ${e.backend.summary}`);
          bar = new ProgressBar({ total: e.totalSteps, label: 'train' });
        }
        return;
      case 'step': {
        const p = e.points[e.points.length - 1];
        last = { loss: p.loss, acc: p.acc, epoch: p.epoch };
        bar?.update(p.step, `epoch ${p.epoch.toFixed(2)} · loss ${p.loss.toFixed(4)} · acc ${pct(p.acc)}`);
        return;
      }
      case 'eval':
        lastEval = e;
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
        if (bar && e.status === 'completed') bar.finish(`epoch ${last.epoch.toFixed(2)} · loss ${last.loss.toFixed(4)}`);
        return;
      default:
        return;
    }
  });
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      err('stopping after the current step (Ctrl-C again to stop at once)…');
      handle.cancel('interrupted by Ctrl-C');
    } else void handle.terminate();
  };
  process.on('SIGINT', onSigint);
  const finished = await handle.done;
  process.off('SIGINT', onSigint);
  await recorder?.close();
  if (bar && process.stderr.isTTY && finished.status !== 'completed') process.stderr.write('\n');
  console.log(summaryTable(finished, lastEval, handle.runId));
  if (finished.status === 'failed') err(`train: run failed: ${finished.reason ?? 'unknown reason'}`);
  return finished.status === 'completed' ? 0 : finished.status === 'cancelled' ? 130 : 1;
}
