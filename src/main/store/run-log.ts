/**
 * A run's stored log (migration 7): messages, warnings, each evaluation's results and errors, so a
 * finished or failed run shows what happened, not only a live one. Also `runs.paused_at`: 'paused' is a
 * stored state like the others (the status column keeps 'running' for it; run-rows.ts reads both).
 */
import type { EngineEvent } from '../../shared/events.js';
import type { RunLogEntry } from '../../shared/records.js';
import { StoreError } from './errors.js';
import type { Migration } from './schema.js';
import type { SqliteDb } from './sqlite.js';

const V7_RUN_LOG = `
ALTER TABLE runs ADD COLUMN paused_at INTEGER;
CREATE TABLE run_log (
  rid INTEGER NOT NULL REFERENCES runs (rid) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message TEXT NOT NULL,
  step INTEGER,
  PRIMARY KEY (rid, seq)
) WITHOUT ROWID;
`;

export const RUN_LOG_MIGRATION: Migration = {
  version: 7,
  name: 'run log (messages, warnings, evaluations, errors) and paused runs',
  up: async (db) => {
    await db.exec(V7_RUN_LOG);
  },
};

export type RunLogInput = Omit<RunLogEntry, 'seq' | 'at'> & { at?: number };

/** A message longer than this is cut (a stack trace or a runaway warning must not fill the disk). */
const MAX_MESSAGE = 4000;
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Appends lines after the run's last one (call inside nothing: it is its own transaction). */
export async function appendRunLog(db: SqliteDb, rid: number, lines: readonly RunLogInput[]): Promise<void> {
  if (lines.length === 0) return;
  for (const l of lines) {
    if (!LEVELS.has(l.level) || typeof l.message !== 'string') {
      throw new StoreError(
        'invalid-input',
        `A log line needs a level (debug, info, warn, error) and a message, got ${JSON.stringify(l)}.`,
        'Pass { level, message, step }.',
      );
    }
  }
  await db.transaction(async () => {
    const last = (await db.get<{ n: number | null }>('SELECT max(seq) AS n FROM run_log WHERE rid = ?', [rid]))?.n ?? 0;
    let seq = last;
    for (const l of lines) {
      const message = l.message.length > MAX_MESSAGE ? `${l.message.slice(0, MAX_MESSAGE)} … (cut)` : l.message;
      await db.run('INSERT INTO run_log (rid, seq, at, level, message, step) VALUES (?, ?, ?, ?, ?, ?)', [
        rid,
        ++seq,
        l.at ?? Date.now(),
        l.level,
        message,
        l.step ?? null,
      ]);
    }
  });
}

export async function readRunLog(db: SqliteDb, rid: number): Promise<RunLogEntry[]> {
  return db.all<RunLogEntry>('SELECT seq, at, level, message, step FROM run_log WHERE rid = ? ORDER BY seq', [rid]);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** One line per evaluation: what the runs list and the charts show, in words. */
export function evaluationLine(e: Extract<EngineEvent, { type: 'eval' }>): string {
  const parts = [`test accuracy ${pct(e.testAcc)}`, `test loss ${e.testLoss.toPrecision(4)}`];
  if (e.valAcc !== null) parts.push(`validation accuracy ${pct(e.valAcc)}`);
  parts.push(`Lipschitz bound ${e.lipschitz.toPrecision(4)}`);
  for (const c of e.certified.slice(0, 3)) parts.push(`certified ${pct(c.acc)} at ε=${c.eps}`);
  return `evaluation at step ${e.step} (epoch ${e.epoch.toFixed(2)}): ${parts.join(', ')} (${(e.evalMs / 1000).toFixed(1)} s)`;
}

/** The log lines an engine event leaves (step points and progress leave none: they are series). */
export function logLinesOf(event: EngineEvent): RunLogInput[] {
  switch (event.type) {
    case 'started': {
      // Hosts and tests may send partial descriptions: say what is known.
      const d = event.dataset as Partial<typeof event.dataset> | undefined;
      const data = d?.name ? `, ${d.name} (${d.train ?? '?'} train / ${d.test ?? '?'} test)` : '';
      return [
        {
          level: 'info',
          step: 0,
          message: `training on ${event.backend?.summary ?? event.backend?.name ?? 'an unknown backend'}: ${event.model?.arch ?? 'model'}${data}, ${event.totalSteps} steps`,
        },
      ];
    }
    case 'eval':
      return [{ level: 'info', step: event.step, message: evaluationLine(event) }];
    case 'log':
      return [{ level: event.level, step: null, message: event.message }];
    case 'paused':
      return [{ level: 'info', step: event.step, message: `paused after step ${event.step}` }];
    case 'resumed':
      return [{ level: 'info', step: event.step, message: `resumed after step ${event.step}` }];
    case 'finished': {
      const what = `${event.status} after ${event.summary.steps} steps`;
      return [
        {
          level: event.status === 'failed' ? 'error' : 'info',
          step: event.summary.steps,
          message: event.reason ? `${what}: ${event.reason}` : what,
        },
      ];
    }
    default:
      return [];
  }
}
