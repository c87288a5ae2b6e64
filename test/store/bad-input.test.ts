/**
 * What the store refuses, and that refusing changes nothing: files that are not its database, a
 * second instance on the same folder, configs that do not validate, malformed points.
 */
import fs from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { describe, expect, test } from 'vitest';
import { openStore, StoreError, type ConfigValidator } from '../../src/main/store/index.js';
import { storePaths } from '../../src/main/store/data-dir.js';
import { sampleConfig, tempDir } from './helpers.js';

async function refusal(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

function sqliteExec(file: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (e) => {
      if (e) return reject(e);
      db.exec(sql, (err) => db.close(() => (err ? reject(err) : resolve())));
    });
  });
}

describe('files that are not a Spectral Lab store are refused and left byte for byte', () => {
  test('a text file', async () => {
    const dir = tempDir('bad');
    const { database } = storePaths(dir);
    fs.writeFileSync(database, 'these are my notes, not a database\n'.repeat(20));
    const before = fs.readFileSync(database);
    const err = await refusal(openStore({ dataDir: dir }));
    expect(err.code).toBe('not-a-database');
    expect(err.message).toContain(database);
    expect(err.message).toMatch(/not changed/);
    expect(err.hint).toMatch(/--store/);
    expect(fs.readFileSync(database).equals(before)).toBe(true);
    expect(fs.readdirSync(dir).sort(), 'nothing is left next to it after a refusal').toEqual(['runs.sqlite']);
  });

  test('a damaged SQLite file (valid header, garbage pages)', async () => {
    const dir = tempDir('bad');
    const { database } = storePaths(dir);
    const bytes = Buffer.alloc(8192, 0xab);
    Buffer.from('SQLite format 3\0', 'latin1').copy(bytes, 0);
    fs.writeFileSync(database, bytes);
    const err = await refusal(openStore({ dataDir: dir }));
    expect(['corrupt', 'not-a-database']).toContain(err.code);
    expect(err.message).toContain(database);
    expect(fs.readFileSync(database).equals(bytes)).toBe(true);
  });

  test('a real store whose pages were overwritten is reported corrupt', async () => {
    const dir = tempDir('bad');
    const store = await openStore({ dataDir: dir });
    const run = await store.createRun({ config: sampleConfig() });
    const w = await store.writer(run.id);
    for (let i = 0; i < 20_000; i++) w.scalar('train/loss', i, Math.sin(i));
    await store.close();
    const { database } = storePaths(dir);
    const fd = fs.openSync(database, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096 * 3, 0x5a), 0, 4096 * 3, 4096); // pages 2-4: schema and data b-trees
    fs.closeSync(fd);
    const before = fs.readFileSync(database);
    const err = await refusal(
      (async () => {
        const s = await openStore({ dataDir: dir });
        try {
          await s.listRuns();
          await s.getSeries({ runIds: [run.id], names: ['train/loss'] });
          const integrity = await s.checkIntegrity();
          if (!integrity.ok) throw new StoreError('corrupt', integrity.messages[0], '');
        } finally {
          await s.close();
        }
      })(),
    );
    expect(err.code).toBe('corrupt');
    expect(fs.readFileSync(database).equals(before)).toBe(true);
  });

  test('an SQLite database of another application', async () => {
    const dir = tempDir('bad');
    const { database } = storePaths(dir);
    await sqliteExec(database, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada');");
    const before = fs.readFileSync(database);
    const err = await refusal(openStore({ dataDir: dir }));
    expect(err.code).toBe('foreign-database');
    expect(err.message).toMatch(/another application/);
    expect(fs.readFileSync(database).equals(before)).toBe(true);
    expect(fs.existsSync(`${database}-wal`)).toBe(false);

    await sqliteExec(database, 'PRAGMA application_id = 1234;');
    const before2 = fs.readFileSync(database);
    expect((await refusal(openStore({ dataDir: dir }))).message).toMatch(/application id 0x4d2/);
    expect(fs.readFileSync(database).equals(before2)).toBe(true);
  });

  test('an empty file or an empty SQLite database becomes a store', async () => {
    const dir = tempDir('bad');
    fs.writeFileSync(storePaths(dir).database, '');
    const s = await openStore({ dataDir: dir });
    expect(s.migration?.to).toBeGreaterThan(0);
    await s.close();
  });

  test('a store from a newer Spectral Lab is refused', async () => {
    const dir = tempDir('bad');
    await (await openStore({ dataDir: dir })).close();
    await sqliteExec(storePaths(dir).database, 'PRAGMA user_version = 999;');
    const err = await refusal(openStore({ dataDir: dir }));
    expect(err.code).toBe('newer-version');
    expect(err.hint).toMatch(/Update Spectral Lab/);
  });
});

describe('many processes share a store; one writer per run', () => {
  test("two opens of one folder both write; a run has one writer, and a dead owner's run lock is taken over", async () => {
    const dir = tempDir('lock');
    const first = await openStore({ dataDir: dir });
    const second = await openStore({ dataDir: dir });
    const a = await first.createRun({ config: sampleConfig() });
    const b = await second.createRun({ config: sampleConfig() });
    const wa = await first.writer(a.id);
    const wb = await second.writer(b.id);
    wa.scalar('train/loss', 0, 1);
    wb.scalar('train/loss', 0, 2);
    await Promise.all([first.flush(), second.flush()]);
    // The same run cannot get a second writer, in this process or another.
    const err = await refusal(second.writer(a.id));
    expect(err.code).toBe('locked');
    expect(err.message).toContain(path.join(storePaths(dir).locks, `${a.id}.lock`));
    expect(err.message).toMatch(/already has a writer in this process/);
    // A read-only open sees both processes' committed data.
    const reader = await openStore({ dataDir: dir, readonly: true });
    expect((await reader.listRuns()).total).toBe(2);
    expect((await refusal(reader.createRun({ config: sampleConfig() }))).code).toBe('read-only');
    await reader.close();
    await wa.close();
    await wb.close();
    expect(fs.readdirSync(storePaths(dir).locks), 'closing a writer frees its run').toEqual([]);
    await first.close();
    await second.close();

    // pid 2^22+1 is above Linux's pid_max default; a lock naming it is stale.
    const again = await openStore({ dataDir: dir });
    const lockFile = path.join(storePaths(dir).locks, `${a.id}.lock`);
    fs.writeFileSync(
      lockFile,
      JSON.stringify({
        app: 'spectral-lab',
        pid: 4_194_305,
        host: (await import('node:os')).hostname(),
        identity: null,
        startedAt: 0,
      }),
    );
    const w = await again.writer(a.id);
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    await w.close();
    await again.close();
  });

  test('the whole-folder lock of an older version, left by a dead process, is tidied away', async () => {
    const dir = tempDir('legacy-lock');
    const legacy = path.join(dir, 'spectral-lab.lock');
    fs.writeFileSync(
      legacy,
      JSON.stringify({ app: 'spectral-lab', pid: 4_194_305, host: (await import('node:os')).hostname(), startedAt: 0 }),
    );
    await (await openStore({ dataDir: dir })).close();
    expect(fs.existsSync(legacy)).toBe(false);
  });

  test('a data folder that is a file is refused with what to do', async () => {
    const file = path.join(tempDir('lock'), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const err = await refusal(openStore({ dataDir: file }));
    expect(err.message).toContain(file);
    expect(err.hint).toMatch(/--store/);
  });

  test('a closed store refuses further calls', async () => {
    const s = await openStore({ dataDir: tempDir('lock') });
    await s.close();
    expect((await refusal(s.listRuns())).code).toBe('closed');
  });
});

describe('invalid configs and points', () => {
  const validate: ConfigValidator = (c) => {
    const lr = (c as { optimizer?: { lr?: unknown } })?.optimizer?.lr;
    return typeof lr === 'number' && lr > 0
      ? { ok: true, value: { ...(c as object), validated: true } }
      : { ok: false, error: 'optimizer.lr: must be > 0' };
  };

  test('a config that does not validate is refused before anything is written', async () => {
    const dir = tempDir('cfg');
    const s = await openStore({ dataDir: dir, validateConfig: validate });
    const sizeBefore =
      fs.statSync(s.paths.database).size +
      (fs.statSync(`${s.paths.database}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    const err = await refusal(s.createRun({ config: sampleConfig({ optimizer: { lr: -1 } }), tags: ['x'] }));
    expect(err.code).toBe('invalid-config');
    expect(err.message).toContain('optimizer.lr: must be > 0');
    expect(err.hint).toMatch(/nothing was written/);
    expect((await s.listRuns()).total).toBe(0);
    const sizeAfter =
      fs.statSync(s.paths.database).size +
      (fs.statSync(`${s.paths.database}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    expect(sizeAfter).toBe(sizeBefore);

    const ok = await s.createRun({ config: sampleConfig({ optimizer: { lr: 0.1 } }) });
    expect(ok.config.validated, 'the validated value is stored, not the raw input').toBe(true);
    await s.close();
  });

  test('configs that are not plain JSON objects are refused', async () => {
    const s = await openStore({ dataDir: tempDir('cfg') });
    for (const config of [null, [1, 2], 'text', { lr: Number.NaN }, { when: new Date() }]) {
      expect((await refusal(s.createRun({ config }))).code).toBe('invalid-config');
    }
    expect((await refusal(s.createRun({ config: {}, id: 'bad id!' }))).code).toBe('invalid-input');
    await s.createRun({ config: {}, id: 'fixed-id' });
    expect((await refusal(s.createRun({ config: {}, id: 'fixed-id' }))).code).toBe('conflict');
    expect((await s.listRuns()).total).toBe(1);
    await s.close();
  });

  test('malformed points are refused at append time with what to do', async () => {
    const s = await openStore({ dataDir: tempDir('pts') });
    const run = await s.createRun({ config: {} });
    const w = await s.writer(run.id);
    const bad = (f: () => void, code = 'invalid-input'): void => {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).code).toBe(code);
    };
    bad(() => w.scalar('train/loss', -1, 1));
    bad(() => w.scalar('train/loss', 1.5, 1));
    bad(() => w.scalar('', 1, 1));
    bad(() => w.scalar('bound/f4/conv1', 1, 1));
    bad(() => w.scalar('train/loss', 1, '0.5' as unknown as number));
    bad(() => w.bound({ layer: 'conv1', method: 'f4/x', kind: 'upper', step: 1, value: 1 }));
    bad(() => w.bound({ layer: 'conv1', method: 'f4', kind: 'lower' as 'upper', step: 1, value: 1 }));
    bad(() => w.cert({ step: 1, eps: 0, accuracy: 0.5 }));
    expect(w.pendingRows).toBe(0);
    await w.close();
    bad(() => w.scalar('train/loss', 1, 1), 'closed');
    await s.close();
  });

  test('status changes that the run state does not allow are refused', async () => {
    const s = await openStore({ dataDir: tempDir('st') });
    const run = await s.createRun({ config: {} });
    expect((await refusal(s.setStatus(run.id, { status: 'completed' }))).code).toBe('conflict');
    const w = await s.writer(run.id);
    expect((await w.start('cpu')).status).toBe('running');
    const done = await w.finish('completed');
    expect(done.endedAt).not.toBeNull();
    const err = await refusal(s.setStatus(run.id, { status: 'running' }));
    expect(err.message).toMatch(/is 'completed'; it cannot become 'running'/);
    expect((await refusal(s.getRun('nope'))).code).toBe('not-found');
    await s.close();
  });
});

test('data folder default follows XDG and the platform conventions', async () => {
  const { defaultDataDir } = await import('../../src/main/store/index.js');
  expect(defaultDataDir({ HOME: '/home/u', XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/spectral-lab');
  expect(defaultDataDir({ HOME: '/home/u' }, 'linux')).toBe(path.join('/home/u', '.local', 'share', 'spectral-lab'));
  expect(defaultDataDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/spectral-lab');
  expect(defaultDataDir({ USERPROFILE: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe(
    'C:\\Users\\u\\AppData\\Roaming\\spectral-lab',
  );
});
