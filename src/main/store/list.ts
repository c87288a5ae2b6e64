/** Listing runs: filter by status, facets, tags and free text; sort; page. */
import { RUN_STATUSES, type RunFilter, type RunList, type RunSortKey } from '../../shared/records.js';
import { StoreError } from './errors.js';
import { RUN_COLUMNS, recordsOf, type RunRow } from './run-rows.js';
import type { SqliteDb } from './sqlite.js';

const SORT_COLUMNS: Record<RunSortKey, string> = {
  created: 'created_at',
  started: 'started_at',
  ended: 'ended_at',
  name: 'name COLLATE NOCASE',
  status: 'status',
  lastStep: 'last_step',
};

export const MAX_PAGE = 1000;

/** LIKE pattern matching `text` literally anywhere (escape character: backslash). */
export function likeAnywhere(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function bad(problem: string, hint: string): StoreError {
  return new StoreError('invalid-input', problem, hint);
}

export async function listRuns(db: SqliteDb, filter: RunFilter = {}): Promise<RunList> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.status !== undefined) {
    if (!Array.isArray(filter.status) || filter.status.some((s) => !RUN_STATUSES.includes(s))) {
      throw bad(
        `Status filter ${JSON.stringify(filter.status)} has unknown states.`,
        `Use some of: ${RUN_STATUSES.join(', ')}.`,
      );
    }
    if (filter.status.length > 0) {
      // 'paused' is stored as 'running' with paused_at set (run-log.ts, migration 7).
      const stored = filter.status.map((s) =>
        s === 'paused'
          ? "(status = 'running' AND paused_at IS NOT NULL)"
          : s === 'running'
            ? "(status = 'running' AND paused_at IS NULL)"
            : '(status = ?)',
      );
      where.push(`(${stored.join(' OR ')})`);
      params.push(...filter.status.filter((s) => s !== 'paused' && s !== 'running'));
    }
  }
  for (const facet of ['dataset', 'model', 'regulariser'] as const) {
    const v = filter[facet];
    if (v !== undefined && v !== '') {
      where.push(`${facet} = ?`);
      params.push(String(v));
    }
  }
  for (const tag of filter.tags ?? []) {
    where.push('EXISTS (SELECT 1 FROM tags t WHERE t.rid = runs.rid AND t.tag = ?)');
    params.push(String(tag).trim());
  }
  const text = filter.search?.trim();
  if (text) {
    const pattern = likeAnywhere(text);
    const like = (col: string) => `${col} LIKE ? ESCAPE '\\'`;
    where.push(
      `(${['id', 'name', 'notes', 'config'].map(like).join(' OR ')} OR EXISTS (SELECT 1 FROM tags t WHERE t.rid = runs.rid AND ${like('t.tag')}))`,
    );
    params.push(pattern, pattern, pattern, pattern, pattern);
  }
  const sortKey = filter.sort ?? 'created';
  const sortCol = SORT_COLUMNS[sortKey];
  if (!sortCol)
    throw bad(`Sort key "${String(filter.sort)}" is unknown.`, `Use one of: ${Object.keys(SORT_COLUMNS).join(', ')}.`);
  const order = filter.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw bad(`Order "${String(order)}" is neither "asc" nor "desc".`, 'Pass "asc" or "desc".');
  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw bad(
      `limit ${String(filter.limit)} is not an integer in 1..${MAX_PAGE}.`,
      'Page through long lists with offset.',
    );
  if (!Number.isInteger(offset) || offset < 0)
    throw bad(`offset ${String(filter.offset)} is not a non-negative integer.`, 'Pass 0 for the first page.');

  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const total = (await db.get<{ n: number }>(`SELECT count(*) AS n FROM runs ${whereSql}`, params))?.n ?? 0;
  const dir = order.toUpperCase();
  const rows = await db.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs ${whereSql} ORDER BY ${sortCol} ${dir} NULLS LAST, rid ${dir} LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  return { runs: await recordsOf(db, rows), total };
}
