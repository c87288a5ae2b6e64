/**
 * Schema migrations: every step from an empty database, and from each older version holding data
 * (a backup copy is made first and the data survives the upgrade, layer side files written by the app
 * before version 4 move into the store); a failing migration rolls back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { MinMaxBuckets } from '../../src/shared/downsample.js';
import { APPLICATION_ID, LATEST_VERSION, openStore, StoreError } from '../../src/main/store/index.js';
import { migrate, schemaVersion } from '../../src/main/store/migrate.js';
import { MIGRATIONS } from '../../src/main/store/schema.js';
import { planBuckets } from '../../src/main/store/series-read.js';
import { SqliteDb } from '../../src/main/store/sqlite.js';
import { sampleConfig, tempDir } from './helpers.js';

const TABLES_AT: Record<number, string[]> = {
  1: ['cert', 'checkpoints', 'points', 'runs', 'series', 'spectra', 'sqlite_sequence', 'tags'],
  2: ['cert', 'checkpoints', 'points', 'runs', 'series', 'series_rollup', 'spectra', 'sqlite_sequence', 'tags'],
  3: ['cert', 'checkpoints', 'points', 'runs', 'series', 'series_rollup', 'spectra', 'sqlite_sequence', 'tags'],
  4: [
    'bound_details',
    'cert',
    'checkpoints',
    'layers',
    'points',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'tags',
  ],
  // 5: every evaluation's sorted certified radii per certificate.
  5: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'points',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'tags',
  ],
  // 6: the runs' owner identity column only (many processes per store).
  6: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'points',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'tags',
  ],
  // 7: the run log, and runs.paused_at (a paused run is stored as paused).
  7: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'points',
    'run_log',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'tags',
  ],
  // 8: sweeps and the persistent run queue.
  8: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'points',
    'run_log',
    'run_queue',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'sweep_runs',
    'sweeps',
    'tags',
  ],
  // 9: analyses of imported networks.
  9: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'model_analyses',
    'points',
    'run_log',
    'run_queue',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'sweep_runs',
    'sweeps',
    'tags',
  ],
  // 10: cert_radii rebuilt to also hold the PGD attack's breaking radii (same tables).
  10: [
    'bound_details',
    'cert',
    'cert_radii',
    'checkpoints',
    'layers',
    'model_analyses',
    'points',
    'run_log',
    'run_queue',
    'runs',
    'series',
    'series_rollup',
    'spectra',
    'sqlite_sequence',
    'sweep_runs',
    'sweeps',
    'tags',
  ],
};

async function tables(db: SqliteDb): Promise<string[]> {
  const rows = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  return rows.map((r) => r.name);
}

const N = 50_000;
const value = (s: number): number => (s === 31_337 ? 99 : Math.cos(s / 300));

/** A store at `version` holding one run with a 50,000-point series, written with that version's SQL. */
async function storeAt(version: number): Promise<{ dir: string; file: string }> {
  const dir = tempDir(`v${version}`);
  const file = path.join(dir, 'runs.sqlite');
  const db = await SqliteDb.open(file, 'create');
  await db.get('PRAGMA journal_mode = WAL');
  await migrate(db, file, { target: 1 });
  await db.transaction(async () => {
    await db.run(
      `INSERT INTO runs (id, name, status, config, config_hash, created_at, started_at, ended_at, notes)
       VALUES ('old-run', 'old', 'completed', ?, 'h', 1000, 1000, 2000, 'from v1')`,
      [JSON.stringify(sampleConfig({ regularizer: { kind: 'f4-min', beta: 0.1 } }))],
    );
    await db.run("INSERT INTO series (rid, name) VALUES (1, 'train/loss')");
    // Values bound as parameters: the exact doubles an old version would have stored.
    const CHUNK = 500;
    const st = await db.prepare(
      `INSERT INTO points (series_id, step, value, t) VALUES ${Array(CHUNK).fill('(1, ?, ?, 0)').join(', ')}`,
    );
    for (let s0 = 0; s0 < N; s0 += CHUNK)
      await st.run(Array.from({ length: CHUNK }, (_, k) => [s0 + k, value(s0 + k)]).flat());
    await st.finalize();
    await db.run("INSERT INTO tags (rid, tag) VALUES (1, 'legacy')");
    await db.run('INSERT INTO cert (rid, step, eps, accuracy) VALUES (1, 10, 0.5, 0.25)');
    await db.run(
      "INSERT INTO series (rid, name, layer, method, bound_kind) VALUES (1, 'bound/f4/conv1', 'conv1', 'f4', 'upper')",
    );
    await db.run('INSERT INTO points (series_id, step, value, t) VALUES (2, 10, 2.5, 0)');
  });
  if (version > 1) await migrate(db, file, { target: version });
  expect(await schemaVersion(db)).toBe(version);
  await db.close();
  writeLayerSideFiles(dir);
  return { dir, file };
}

/** What the app kept outside the store before version 4: <dataDir>/run-layers/<runId>.json. */
function writeLayerSideFiles(dir: string): void {
  const side = path.join(dir, 'run-layers');
  fs.mkdirSync(side);
  const layers = [
    { name: 'conv1', kind: 'conv', shape: [3, 3, 1, 8], stride: 1, padding: 'same', inputSize: [28, 28] },
    { name: 'fc', kind: 'dense', shape: [1, 1, 6272, 10], stride: 1, padding: 'same', inputSize: null },
  ];
  fs.writeFileSync(path.join(side, 'old-run.json'), JSON.stringify({ runId: 'old-run', layers }));
  fs.writeFileSync(path.join(side, 'deleted-run.json'), JSON.stringify({ runId: 'deleted-run', layers }));
  fs.writeFileSync(path.join(side, 'torn.json'), '{"runId": "old-ru');
}

const IMPORTED_LAYERS = [
  {
    runId: 'old-run',
    index: 0,
    name: 'conv1',
    kind: 'conv',
    kernelShape: [3, 3, 1, 8],
    stride: 1,
    padding: 'same',
    inputSize: [28, 28],
  },
  {
    runId: 'old-run',
    index: 1,
    name: 'fc',
    kind: 'dense',
    kernelShape: [1, 1, 6272, 10],
    stride: 1,
    padding: 'same',
    inputSize: null,
  },
];

describe('from an empty database', () => {
  test('each migration in turn, then the whole chain through openStore', async () => {
    const file = path.join(tempDir('empty'), 'runs.sqlite');
    const db = await SqliteDb.open(file, 'create');
    for (const m of MIGRATIONS) {
      const r = await migrate(db, file, { target: m.version });
      expect(r.applied.map((a) => a.version)).toEqual([m.version]);
      expect(await schemaVersion(db)).toBe(m.version);
      expect(await tables(db)).toEqual(TABLES_AT[m.version]);
      const runColumns = (await db.all<{ name: string }>('PRAGMA table_info(runs)')).map((c) => c.name);
      expect(runColumns.includes('regulariser')).toBe(m.version >= 3);
      // A brand-new file needs no copy; a file that already has a schema gets one before each upgrade.
      if (m.version === 1) expect(r.backup).toBeNull();
      else expect(fs.existsSync(r.backup as string)).toBe(true);
    }
    expect((await db.get<{ application_id: number }>('PRAGMA application_id'))?.application_id).toBe(APPLICATION_ID);
    await db.close();

    const dir = tempDir('empty');
    const s = await openStore({ dataDir: dir });
    expect(s.migration).toMatchObject({ from: 0, to: LATEST_VERSION, backup: null });
    expect(s.migration?.applied.map((a) => a.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await s.close();
    const again = await openStore({ dataDir: dir });
    expect(again.migration).toMatchObject({ from: LATEST_VERSION, to: LATEST_VERSION, applied: [], backup: null });
    await again.close();
    expect(fs.readdirSync(dir).filter((f) => f.includes('.bak-'))).toEqual([]);
  });
});

describe.each([1, 2, 3])('from version %i with data', (version) => {
  test('backs up, upgrades, keeps every point, tag and certified row, and moves the layer side files in', async () => {
    const { dir, file } = await storeAt(version);
    const s = await openStore({ dataDir: dir });
    expect(s.migration?.from).toBe(version);
    expect(s.migration?.to).toBe(LATEST_VERSION);
    const backup = s.migration?.backup as string;
    expect(path.basename(backup)).toMatch(new RegExp(`^runs\\.sqlite\\.bak-v${version}-\\d{8}T\\d{6}Z$`));

    const run = await s.getRun('old-run');
    expect(run).toMatchObject({
      notes: 'from v1',
      tags: ['legacy'],
      dataset: 'mnist',
      model: 'mnist-cnn',
      regulariser: 'f4-min',
      lastStep: N - 1,
    });
    expect((await s.listRuns({ regulariser: 'f4-min' })).total).toBe(1);
    const raw = (await s.getSeries({ runIds: ['old-run'], names: ['train/loss'], budget: 1_000_000 })).series[0];
    expect(raw.steps.length).toBe(N);
    expect(raw.y.every((v, i) => v === value(i))).toBe(true);
    // The rollup was built from the old points: downsampled reads equal the buckets of the raw points.
    const ds = (await s.getSeries({ runIds: ['old-run'], names: ['train/loss'], budget: 400 })).series[0];
    const ref = new MinMaxBuckets(planBuckets(0, N - 1, 400).width);
    for (let i = 0; i < N; i++) ref.add(i, value(i));
    expect({ steps: ds.steps, values: ds.y }).toEqual(ref.result());
    expect(ds.steps).toContain(31_337);
    expect((await s.runSummaries(['old-run']))[0].certified).toEqual([
      { step: 10, eps: 0.5, accuracy: 0.25, pairwise: null },
    ]);

    // Version 4: the side files are rows now (the torn one and the one of a deleted run are dropped) ...
    expect(await s.layers('old-run')).toEqual(IMPORTED_LAYERS);
    expect(fs.existsSync(path.join(dir, 'run-layers'))).toBe(false);
    // ... old bounds read without details, new ones keep theirs.
    expect((await s.layerBounds('old-run')).bounds).toEqual([
      { layer: 'conv1', method: 'f4', kind: 'upper', step: 10, value: 2.5 },
    ]);
    const w = await s.writer('old-run');
    w.bound({
      layer: 'conv1',
      method: 'gram-iteration',
      kind: 'upper',
      step: 10,
      value: 2.4,
      iterations: 6,
      timeMs: 1.5,
    });
    await w.close();
    expect((await s.layerBounds('old-run')).bounds.find((b) => b.method === 'gram-iteration')).toMatchObject({
      iterations: 6,
      timeMs: 1.5,
    });
    await s.close();

    // The backup is a complete, openable copy of the old version.
    const b = await SqliteDb.open(backup, 'readonly');
    expect(await schemaVersion(b)).toBe(version);
    expect((await b.get<{ n: number }>('SELECT count(*) AS n FROM points WHERE series_id = 1'))?.n).toBe(N);
    await b.close();
    expect(fs.existsSync(file)).toBe(true);
  });
});

test('a failing migration rolls back to the last good version and says where the backup is', async () => {
  const { file } = await storeAt(1);
  const db = await SqliteDb.open(file, 'readwrite');
  const broken = [
    ...MIGRATIONS.slice(0, 2),
    {
      version: 3,
      name: 'broken on purpose',
      up: async (d: SqliteDb) => d.exec('CREATE TABLE half_done (x); SELECT * FROM no_such_table;'),
    },
  ];
  const err = await migrate(db, file, { migrations: broken }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe('migration-failed');
  expect((err as StoreError).message).toMatch(
    /to schema version 3 \(broken on purpose\) failed: .*no_such_table.*stays at version 2.*bak-v1-/,
  );
  expect(await schemaVersion(db)).toBe(2);
  expect(await tables(db)).toEqual(TABLES_AT[2]);
  await db.close();
});

test('a failing version 4 leaves version 3 and the layer side files as they were', async () => {
  const { dir, file } = await storeAt(3);
  const db = await SqliteDb.open(file, 'readwrite');
  const v4 = MIGRATIONS[3];
  const broken = [
    ...MIGRATIONS.slice(0, 3),
    { ...v4, up: async (d: SqliteDb, f: string) => (await v4.up(d, f), d.exec('SELECT * FROM no_such_table')) },
  ];
  const err = await migrate(db, file, { migrations: broken }).catch((e: unknown) => e);
  expect((err as StoreError).message).toMatch(/to schema version 4 .* failed: .*no_such_table.*stays at version 3/);
  expect(await schemaVersion(db)).toBe(3);
  expect(await tables(db)).toEqual(TABLES_AT[3]);
  await db.close();
  expect(fs.readdirSync(path.join(dir, 'run-layers')).sort()).toEqual([
    'deleted-run.json',
    'old-run.json',
    'torn.json',
  ]);
});

test('version 10 keeps the stored radii of version 9 and accepts the PGD curve, nothing else', async () => {
  const { file } = await storeAt(9);
  const db = await SqliteDb.open(file, 'readwrite');
  await db.run("INSERT INTO cert_radii (rid, step, certificate, count, data) VALUES (1, 10, 'lipschitz', 2, x'0102')");
  await expect(
    db.run("INSERT INTO cert_radii (rid, step, certificate, count, data) VALUES (1, 10, 'pgd', 1, x'03')"),
  ).rejects.toThrow(/CHECK/);
  await migrate(db, file, { target: 10 });
  expect(await db.all('SELECT rid, step, certificate, count, hex(data) AS data FROM cert_radii')).toEqual([
    { rid: 1, step: 10, certificate: 'lipschitz', count: 2, data: '0102' },
  ]);
  await db.run("INSERT INTO cert_radii (rid, step, certificate, count, data) VALUES (1, 10, 'pgd', 1, x'03')");
  await expect(
    db.run("INSERT INTO cert_radii (rid, step, certificate, count, data) VALUES (1, 10, 'fgsm', 1, x'03')"),
  ).rejects.toThrow(/CHECK/);
  expect(await tables(db)).toEqual(TABLES_AT[10]);
  await db.close();
});
