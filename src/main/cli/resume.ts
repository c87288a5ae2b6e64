/**
 * `spectral-lab resume RUN_ID`: continue a cancelled or crashed run from its last checkpoint, through the
 * same LabService the app and `serve` use (so the store, the run log and the status rules are theirs).
 */
import { parseArgs } from 'node:util';
import { FINAL_RUN_STATUSES, LabError, type LabEvent } from '../../shared/api.js';
import type { LabService } from '../app/service.js';
import { defaultDataDir } from '../store/index.js';

const HELP = `Usage: spectral-lab resume RUN_ID [options]

Resume a cancelled or crashed run from its last checkpoint: the weights of that step are loaded and
training continues at the next step, in the same run (same id, same store). What the run recorded
after the checkpoint is replaced. The optimiser's state (momentum, Adam moments) restarts from zero.

Options:
  --store DIR   the run store folder (default ${defaultDataDir()})
  --quiet       only the final line
  -h, --help    this text

The run page of the workbench has the same action ("Resume from step N").`;

/** The run id and options, or the exit code when there is nothing to run (help, usage error). */
function parse(argv: string[]): { runId: string; dataDir: string; quiet: boolean } | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        store: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    console.error(`resume: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(
      `resume: give exactly one run id (got ${positionals.length}). List the runs with \`spectral-lab export --list\`.\n\n${HELP}`,
    );
    return 2;
  }
  return { runId: positionals[0], dataDir: values.store ?? defaultDataDir(), quiet: values.quiet === true };
}

type StatusEvent = Extract<LabEvent, { kind: 'run-status' }>;

/** Prints the run's log lines and its progress (every 2 s) to stderr; resolves with its final status. */
function follow(lab: LabService, runId: string, say: (line: string) => void): Promise<StatusEvent> {
  let lastPrint = 0;
  return new Promise((resolve) => {
    lab.subscribe((e) => {
      if (!('runId' in e) || e.runId !== runId) return;
      if (e.kind === 'run-status' && FINAL_RUN_STATUSES.includes(e.status)) resolve(e);
      else if (e.kind === 'log' && e.level !== 'debug') say(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
      else if (e.kind === 'progress' && Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        const p = e.progress;
        say(
          `step ${p.step}${p.totalSteps ? ` / ${p.totalSteps}` : ''}${p.phase === 'evaluating' ? ' · evaluating…' : ''}`,
        );
      }
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (typeof args === 'number') return args;
  const { runId, dataDir } = args;
  const { createLab } = await import('../app/create.js');
  const lab = await createLab({ dataDir, shell: 'cli', presetsDir: null, log: (m) => console.error(m) });
  const say = (line: string) => args.quiet || console.error(line);
  const ended = follow(lab, runId, say);
  // Ctrl-C / SIGTERM cancel the run (it stays resumable from its last checkpoint).
  const stop = () => void lab.cancelRun(runId).catch(() => undefined);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    say(`resuming run ${(await lab.resumeFromCheckpoint(runId)).runId}`);
    const fin = await ended;
    const detail = await lab.getRun(runId);
    const acc = detail.headline.testAccuracy;
    console.log(
      `${runId}: ${fin.status} at step ${detail.lastStep}${acc !== null ? `, test accuracy ${(acc * 100).toFixed(1)}%` : ''}${fin.message ? ` (${fin.message})` : ''}`,
    );
    return fin.status === 'completed' ? 0 : 1;
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    const hint =
      err.code === 'not-found'
        ? `List the runs of this store with \`spectral-lab export --list --store ${dataDir}\`.`
        : err.hint;
    console.error(`resume: ${err.message}\n${hint}`);
    return err.code === 'not-found' || err.code === 'conflict' ? 2 : 1;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await lab.close();
  }
}
