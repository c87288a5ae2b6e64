/**
 * `spectral-lab resume RUN_ID`: continue a cancelled or crashed run from its last checkpoint, through the
 * same LabService the app and `serve` use (so the store, the run log and the status rules are theirs).
 */
import { parseArgs } from 'node:util';
import { FINAL_RUN_STATUSES, LabError, type LabEvent } from '../../shared/api.js';
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

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { store: { type: 'string' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true });
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
    console.error(`resume: give exactly one run id (got ${positionals.length}). List the runs with \`spectral-lab export --list\`.\n\n${HELP}`);
    return 2;
  }
  const runId = positionals[0];
  const { createLab } = await import('../app/create.js');
  const lab = await createLab({ dataDir: values.store ?? defaultDataDir(), shell: 'cli', presetsDir: null, log: (m) => console.error(m) });
  let lastPrint = 0;
  const say = (line: string) => values.quiet || console.error(line);
  const ended = new Promise<LabEvent & { kind: 'run-status' }>((resolve) => {
    lab.subscribe((e) => {
      if (!('runId' in e) || e.runId !== runId) return;
      if (e.kind === 'run-status' && FINAL_RUN_STATUSES.includes(e.status)) resolve(e);
      else if (e.kind === 'log' && e.level !== 'debug') say(`${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
      else if (e.kind === 'progress' && Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        const p = e.progress;
        say(`step ${p.step}${p.totalSteps ? ` / ${p.totalSteps}` : ''}${p.phase === 'evaluating' ? ' · evaluating…' : ''}`);
      }
    });
  });
  const stop = () => void lab.cancelRun(runId).catch(() => undefined);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const r = await lab.resumeFromCheckpoint(runId);
    say(`resuming run ${r.runId}`);
    const fin = await ended;
    const detail = await lab.getRun(runId);
    console.log(`${runId}: ${fin.status} at step ${detail.lastStep}${detail.headline.testAccuracy !== null ? `, test accuracy ${(detail.headline.testAccuracy * 100).toFixed(1)}%` : ''}${fin.message ? ` (${fin.message})` : ''}`);
    return fin.status === 'completed' ? 0 : 1;
  } catch (err) {
    if (err instanceof LabError) {
      console.error(`resume: ${err.message}\n${err.hint}`);
      return err.code === 'not-found' || err.code === 'conflict' ? 2 : 1;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await lab.close();
  }
}
