/**
 * Bring a store to the latest schema: each migration in its own transaction together with its
 * PRAGMA user_version, so a crash mid-way leaves the last completed version. Before touching an
 * existing store, a consistent copy is written next to it (VACUUM INTO): runs.sqlite.bak-v{N}-{time}.
 */
import fs from 'node:fs';
import { StoreError } from './errors.js';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './schema.js';
import type { SqliteDb } from './sqlite.js';

export interface MigrationReport {
  from: number;
  to: number;
  applied: { version: number; name: string }[];
  /** Copy made before migrating, null for a new store. */
  backup: string | null;
}

export function backupName(file: string, version: number, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${file}.bak-v${version}-${stamp}`;
}

export async function schemaVersion(db: SqliteDb): Promise<number> {
  return (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
}

export async function migrate(
  db: SqliteDb,
  file: string,
  options: { target?: number; migrations?: readonly Migration[] } = {},
): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  const target = options.target ?? LATEST_VERSION;
  const from = await schemaVersion(db);
  const report: MigrationReport = { from, to: from, applied: [], backup: null };
  const pending = migrations.filter((m) => m.version > from && m.version <= target);
  if (pending.length === 0) return report;

  if (from > 0) {
    let backup = backupName(file, from);
    for (let i = 1; fs.existsSync(backup); i++) backup = `${backupName(file, from)}-${i}`;
    try {
      await db.exclusive(() => db.run('VACUUM INTO ?', [backup]));
    } catch (err) {
      throw new StoreError(
        'migration-failed',
        `Could not write the backup ${backup} before upgrading ${file} from schema version ${from}: ${(err as Error).message}. Nothing was changed.`,
        'Free some disk space or make the folder writable, then start again.',
        { cause: err },
      );
    }
    report.backup = backup;
  }

  for (const m of pending) {
    try {
      await db.transaction(async () => {
        // Another process sharing the store may have applied it since we looked (BEGIN IMMEDIATE serialises us).
        if ((await schemaVersion(db)) >= m.version) return;
        await m.up(db, file);
        await db.run(`PRAGMA user_version = ${m.version}`);
      });
    } catch (err) {
      throw new StoreError(
        'migration-failed',
        `Upgrading ${file} to schema version ${m.version} (${m.name}) failed: ${(err as Error).message}. ` +
          `The store stays at version ${report.to}${report.backup ? `; a copy from before the upgrade is ${report.backup}` : ''}.`,
        'Report this with the file if you can; meanwhile keep using the backup with the Spectral Lab version that wrote it.',
        { cause: err },
      );
    }
    report.applied.push({ version: m.version, name: m.name });
    report.to = m.version;
    try {
      m.afterCommit?.(file);
    } catch {
      // only tidying: the upgrade itself is committed
    }
  }
  return report;
}
