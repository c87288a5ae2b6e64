/**
 * The checkpoint folder of a run, decided in one place for the app, `serve` and `train`, and
 * checked when the run starts (no tfjs here: the main process imports this).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a run's checkpoints go: checkpoints.dir of the config (one folder per run inside it) wins;
 * otherwise <store>/checkpoints/<run id> when the run is recorded in a store; otherwise
 * runs/<run id>/checkpoints under the working folder. An explicit --checkpoint-dir overrides all three.
 */
export function checkpointFolder(
  config: { checkpoints: { dir?: string } },
  runId: string,
  storeCheckpoints?: string | null,
): string {
  if (config.checkpoints.dir) return path.resolve(config.checkpoints.dir, runId);
  if (storeCheckpoints) return path.join(storeCheckpoints, runId);
  return path.resolve('runs', runId, 'checkpoints');
}

/** Found at the start of a run, not at its first evaluation: create the folder and write a probe file. */
export async function assertCheckpointFolderWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = e.path && e.path !== probe ? ` (${e.path})` : '';
    throw new Error(
      `cannot write checkpoints to ${dir}${where}: ${e.code ?? e.message}. ` +
        'Pass --checkpoint-dir <a writable folder> (spectral-lab train), set checkpoints.dir in the run config, or set checkpoints.enabled to false.',
      { cause: err },
    );
  }
}
