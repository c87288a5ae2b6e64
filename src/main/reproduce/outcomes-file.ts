/**
 * The finished runs of one reproduce call, saved next to the store (<store>/reproduce/) so tables and
 * figures can be drawn again (`reproduce <name> --from FILE`) without training again: an analysis fix or a
 * new figure costs seconds, not the hours of the runs. The runs themselves stay in the store.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlanOptions, RunOutcome } from './experiment.js';

const FORMAT = 'spectral-lab/reproduce-outcomes';

interface OutcomesFile {
  format: typeof FORMAT;
  version: 1;
  experiment: string;
  options: PlanOptions;
  startedAt: string;
  /** When the last run ended (the file is written then). */
  finishedAt?: string;
  outcomes: RunOutcome[];
}

/** Where a store keeps reproduce's outcomes files (and the workbench's result folders). */
export const reproduceFolder = (dataDir: string): string => path.join(dataDir, 'reproduce');

/** The name of one reproduce call: its outcomes file is <id>.json, the workbench's result folder <id>/. */
export function outcomesId(experiment: string, size: string, startedAt: Date): string {
  return `${experiment}-${size}-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
}

export async function saveOutcomes(
  dataDir: string,
  experiment: string,
  options: PlanOptions,
  startedAt: Date,
  outcomes: RunOutcome[],
): Promise<string> {
  const dir = reproduceFolder(dataDir);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${outcomesId(experiment, options.size, startedAt)}.json`);
  const body: OutcomesFile = {
    format: FORMAT,
    version: 1,
    experiment,
    options,
    startedAt: startedAt.toISOString(),
    outcomes,
  };
  await writeFile(`${file}.tmp`, JSON.stringify(body));
  await rename(`${file}.tmp`, file);
  return file;
}

export class OutcomesFileError extends Error {}

export async function readOutcomes(
  file: string,
  experiment: string,
): Promise<{ options: PlanOptions; startedAt: Date; finishedAt: Date; outcomes: RunOutcome[] }> {
  let body: Partial<OutcomesFile>;
  try {
    body = JSON.parse(await readFile(file, 'utf8')) as Partial<OutcomesFile>;
  } catch (e) {
    throw new OutcomesFileError(
      `cannot read '${file}' (${(e as Error).message}); give a file a finished reproduce saved under <store>/reproduce/.`,
    );
  }
  if (body.format !== FORMAT || !Array.isArray(body.outcomes) || !body.options) {
    throw new OutcomesFileError(`'${file}' is not a reproduce outcomes file; give one from <store>/reproduce/.`);
  }
  if (body.experiment !== experiment) {
    throw new OutcomesFileError(
      `'${file}' holds the runs of '${body.experiment}', not '${experiment}'; run 'reproduce ${body.experiment} --from ${file}'.`,
    );
  }
  return {
    options: body.options,
    startedAt: new Date(body.startedAt ?? Date.now()),
    finishedAt: body.finishedAt ? new Date(body.finishedAt) : (await stat(file)).mtime,
    outcomes: body.outcomes,
  };
}
