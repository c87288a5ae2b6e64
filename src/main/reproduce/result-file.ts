/**
 * What the workbench shows of a reproduce call after the fact. A call started from the workbench writes its
 * tables and figures into <store>/reproduce/<id>/ with a result.json beside them (findings, every table as the
 * text the Markdown table prints, figure captions); the list of results is the store's outcomes files
 * (<store>/reproduce/<id>.json, every call saves one), so calls of the command line show up too, with their
 * runs, and can be drawn here.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  ReproduceFigure,
  ReproduceResult,
  ReproduceResultInfo,
  ReproduceSize,
  ReproduceTable,
} from '../../shared/api-types.js';
import { plainText, renderCell, type Table } from '../report/index.js';
import type { Artifacts, NamedTable } from './experiment.js';
import { reproduceFolder } from './outcomes-file.js';
import type { Provenance } from './write.js';

const FORMAT = 'spectral-lab/reproduce-result';

interface ResultFile {
  format: typeof FORMAT;
  version: 1;
  findings: string[];
  tables: ReproduceTable[];
  figures: { file: string; caption: string }[];
  command: string;
  drawnAt: string;
}

/** An id of a reproduce call: what outcomesId makes (so it never names a path outside the folder). */
export const RESULT_ID = /^[a-z]+-(smoke|quick|full)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;

function displayTable({ file, table }: NamedTable): ReproduceTable {
  const t: Table = table;
  return {
    file,
    caption: t.caption === undefined ? null : plainText(t.caption),
    columns: t.columns.map((c) => plainText(c.header)),
    align: t.columns.map((c) => c.align ?? 'left'),
    rows: t.rows.map((r) => r.map((c) => renderCell(c, 'text'))),
    notes: (t.notes ?? []).map(plainText),
  };
}

export function resultFileText(a: Artifacts, p: Provenance): string {
  const body: ResultFile = {
    format: FORMAT,
    version: 1,
    findings: a.findings,
    tables: a.tables.map(displayTable),
    figures: a.figures.map((f) => ({ file: f.file, caption: f.caption })),
    command: p.command,
    drawnAt: new Date().toISOString(),
  };
  return JSON.stringify(body, null, 1);
}

interface OutcomesHead {
  experiment?: string;
  options?: { size?: ReproduceSize; seeds?: number };
  startedAt?: string;
  outcomes?: { runId?: string }[];
}

async function infoOf(dir: string, id: string): Promise<ReproduceResultInfo | null> {
  let body: OutcomesHead;
  try {
    body = JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as OutcomesHead;
  } catch {
    return null; // being written, or not an outcomes file: not a result
  }
  if (!body.experiment || !body.options?.size || !Array.isArray(body.outcomes)) return null;
  const outDir = path.join(dir, id);
  return {
    id,
    experiment: body.experiment,
    size: body.options.size,
    seeds: body.options.seeds ?? 1,
    startedAt: Date.parse(body.startedAt ?? '') || 0,
    runIds: body.outcomes.map((o) => o.runId ?? '').filter(Boolean),
    drawn: existsSync(path.join(outDir, 'result.json')),
    outDir,
  };
}

/** Every reproduce call of the store, newest first. */
export async function listResults(dataDir: string): Promise<ReproduceResultInfo[]> {
  const dir = reproduceFolder(dataDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const ids = names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -5))
    .filter((id) => RESULT_ID.test(id));
  const infos = await Promise.all(ids.map((id) => infoOf(dir, id)));
  return infos.filter((i): i is ReproduceResultInfo => i !== null).sort((a, b) => b.startedAt - a.startedAt);
}

/** The drawn result of a call, or null when the call is unknown or its tables were not drawn in the store. */
export async function readResult(dataDir: string, id: string): Promise<ReproduceResult | null> {
  if (!RESULT_ID.test(id)) return null;
  const info = await infoOf(reproduceFolder(dataDir), id);
  if (!info?.drawn) return null;
  const body = JSON.parse(await readFile(path.join(info.outDir, 'result.json'), 'utf8')) as ResultFile;
  const figures: ReproduceFigure[] = await Promise.all(
    body.figures.map(async (f) => ({ ...f, svg: await readFile(path.join(info.outDir, `${f.file}.svg`), 'utf8') })),
  );
  return {
    ...info,
    findings: body.findings,
    tables: body.tables,
    figures,
    command: body.command,
    drawnAt: Date.parse(body.drawnAt),
  };
}
