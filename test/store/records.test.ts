/**
 * What goes in comes out: exact doubles, the rollup whatever the write order, spectra, checkpoints,
 * tags and notes, deletion, the engine-event mapping, the writer's batching and heartbeat.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { describe, expect, test } from 'vitest';
import type { EngineEvent } from '../../src/shared/events.js';
import { openStore, recordEngineEvent, type FlushStats } from '../../src/main/store/index.js';
import { isOwnerGone } from '../../src/main/store/recovery.js';
import { SqliteDb } from '../../src/main/store/sqlite.js';
import { sampleConfig, tempDir } from './helpers.js';

function rawAll<T>(file: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (e) => {
      if (e) return reject(e);
      db.all<T>(sql, params, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows))));
    });
  });
}

test('doubles come back bit for bit (subnormal, huge, negative, integers), non-finite as NaN', async () => {
  const s = await openStore({ dataDir: tempDir('exact') });
  const run = await s.createRun({ config: {} });
  const w = await s.writer(run.id);
  let seed = 42;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const special = [
    0.1,
    1 / 3,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -123.456,
    2 ** 53 + 2,
    -(2 ** 60),
    7,
    -0.5,
    0.9123,
  ];
  const values = [
    ...special,
    ...Array.from({ length: 20_000 }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20)),
  ];
  values.forEach((v, i) => w.scalar('x', i, v));
  w.scalar('x', values.length, Infinity);
  w.scalar('x', values.length + 1, Number.NaN);
  w.cert({ step: 1, eps: 36 / 255, accuracy: 1 / 3, pairwise: 0.1 });
  await w.flush();
  const { series } = await s.getSeries({ runIds: [run.id], names: ['x'], budget: 1_000_000 });
  expect(series[0].y.slice(0, values.length)).toEqual(values);
  expect(series[0].y.slice(values.length).every((v) => Number.isNaN(v))).toBe(true);
  const [curve] = await s.certifiedCurves([run.id]);
  expect(curve.points).toEqual([{ step: 1, eps: 36 / 255, accuracy: 1 / 3, pairwise: 0.1 }]);
  await s.close();
});

test('the rollup is the same whether points arrive in order or shuffled and rewritten', async () => {
  const dir = tempDir('rollup');
  const s = await openStore({ dataDir: dir });
  const run = await s.createRun({ config: {} });
  const w = await s.writer(run.id);
  const N = 70_000;
  const v = (i: number): number => (i % 5003 === 0 ? Number.NaN : Math.sin(i / 77) + (i === 40_000 ? 9 : 0));
  for (let i = 0; i < N; i++) w.scalar('ordered', i, v(i));
  await w.flush();
  // Chunks in a scrambled order, each flushed alone; then some steps rewritten with their final value.
  const chunks = Array.from({ length: 35 }, (_, k) => k).sort((a, b) => ((a * 17) % 35) - ((b * 17) % 35));
  for (const k of chunks) {
    for (let i = k * 2000; i < (k + 1) * 2000; i++) w.scalar('shuffled', i, i % 3 === 0 ? 100 : v(i));
    await w.flush();
  }
  for (let i = N - 1; i >= 0; i -= 3) if (i % 3 === 0) w.scalar('shuffled', i, v(i));
  for (let i = 0; i < N; i += 3) w.scalar('shuffled', i, v(i));
  await w.flush();
  await s.close();
  const rows = (name: string): Promise<unknown[]> =>
    rawAll(
      path.join(dir, 'runs.sqlite'),
      `SELECT level, block, n, s0, s1, vmin, smin, vmax, smax FROM series_rollup WHERE series_id = (SELECT id FROM series WHERE name = ?) ORDER BY level, block`,
      [name],
    );
  const ordered = await rows('ordered');
  expect(ordered.length).toBeGreaterThan(N / 16);
  expect(await rows('shuffled')).toEqual(ordered);
});

describe('runs, files and blobs', () => {
  test('spectra round-trip compressed; checkpoints keep path and sha-256; delete removes everything', async () => {
    const dir = tempDir('artifacts');
    const s = await openStore({ dataDir: dir });
    const run = await s.createRun({ config: sampleConfig(), tags: ['keep'] });
    const other = await s.createRun({ config: sampleConfig() });
    const w = await s.writer(run.id);
    const sv = Float64Array.from({ length: 4096 }, (_, i) => 3 / (1 + i / 100));
    w.spectrum({ layer: 'conv1', step: 10, values: sv });
    w.spectrum({ layer: 'conv1', step: 20, values: new Float32Array([3, 2, 1]), method: 'gram-iteration' });
    for (let i = 0; i < 5000; i++) w.scalar('train/loss', i, 1 / (i + 1));
    await w.flush();
    expect((await s.getSpectrum(run.id, { layer: 'conv1', step: 10 }))?.values).toEqual(Array.from(sv));
    expect(await s.getSpectrum(run.id, { layer: 'conv1' })).toEqual({
      runId: run.id,
      layer: 'conv1',
      method: 'gram-iteration',
      step: 20,
      values: [3, 2, 1],
    });
    expect(await s.getSpectrum(run.id, { layer: 'conv9' })).toBeNull();
    expect((await s.listSpectra(run.id)).map((x) => [x.method, x.step, x.count])).toEqual([
      ['gram-iteration', 20, 3],
      ['sedghi-exact', 10, 4096],
    ]);

    const inside = path.join(s.paths.checkpoints, run.id, 'step-10.bin');
    fs.mkdirSync(path.dirname(inside), { recursive: true });
    fs.writeFileSync(inside, Buffer.from('weights-10'));
    const outside = path.join(tempDir('elsewhere'), 'w.bin');
    fs.writeFileSync(outside, Buffer.from('weights-20'));
    const cp = await s.addCheckpoint(run.id, { step: 10, path: inside, label: 'epoch 1' });
    expect(cp).toMatchObject({ runId: run.id, step: 10, path: inside, bytes: 10, label: 'epoch 1' });
    expect(cp.sha256).toBe(crypto.createHash('sha256').update('weights-10').digest('hex'));
    await expect(s.addCheckpoint(run.id, { step: 20, path: outside, sha256: '0'.repeat(64) })).rejects.toThrow(
      /not the expected/,
    );
    await expect(s.addCheckpoint(run.id, { step: 20, path: path.join(dir, 'nope.bin') })).rejects.toThrow(
      /does not exist/,
    );
    await s.addCheckpoint(run.id, { step: 20, path: outside });
    const cps = await s.listCheckpoints(run.id);
    expect(cps.map((c) => c.path)).toEqual([inside, outside]);
    expect(await s.verifyCheckpoint(cps[0])).toEqual({ ok: true, problem: null });
    const stored = await rawAll<{ path: string }>(s.paths.database, 'SELECT path FROM checkpoints ORDER BY step');
    expect(stored[0].path, 'inside the data folder: stored relative').toBe(
      path.join('checkpoints', run.id, 'step-10.bin'),
    );

    expect((await s.setTags(run.id, ['a', 'b'])).tags).toEqual(['a', 'b']);
    expect((await s.addTag(run.id, ' c ')).tags).toEqual(['a', 'b', 'c']);
    expect((await s.removeTag(run.id, 'a')).tags).toEqual(['b', 'c']);
    expect((await s.setNotes(run.id, 'looks good')).notes).toBe('looks good');
    expect((await s.renameRun(run.id, 'renamed')).name).toBe('renamed');
    await expect(s.addTag(run.id, '')).rejects.toThrow(/non-empty/);

    await w.start('cpu');
    await expect(s.deleteRun(run.id), 'a live run is not deleted').rejects.toThrow(/Cancel it first/);
    await w.finish('cancelled', { reason: 'test' });
    const { deletedFiles } = await s.deleteRun(run.id);
    expect(deletedFiles).toEqual([inside]);
    expect(fs.existsSync(inside)).toBe(false);
    expect(fs.existsSync(outside), 'files outside the data folder are never deleted').toBe(true);
    await expect(s.getRun(run.id)).rejects.toThrow(/no run with id/);
    expect(() => w.scalar('train/loss', 1, 1)).toThrow(/deleted/);
    await s.flush();
    const left = await rawAll<{ t: string; n: number }>(
      s.paths.database,
      `SELECT 'points' AS t, count(*) AS n FROM points UNION ALL SELECT 'rollup', count(*) FROM series_rollup
       UNION ALL SELECT 'series', count(*) FROM series UNION ALL SELECT 'spectra', count(*) FROM spectra
       UNION ALL SELECT 'tags', count(*) FROM tags UNION ALL SELECT 'checkpoints', count(*) FROM checkpoints`,
    );
    expect(left.every((r) => r.n === 0)).toBe(true);
    expect((await s.getRun(other.id)).id).toBe(other.id);
    await s.close();
  });
});

test('the writer flushes by time and by size, refreshes the heartbeat, and flushes on close', async () => {
  const flushes: FlushStats[] = [];
  const s = await openStore({
    dataDir: tempDir('batch'),
    flushIntervalMs: 50,
    maxBatchRows: 1000,
    heartbeatIntervalMs: 50,
    onFlush: (f) => flushes.push(f),
  });
  const run = await s.createRun({ config: {}, status: 'running' });
  const w = await s.writer(run.id);
  const hb0 = (await s.getRun(run.id)).heartbeatAt as number;
  for (let i = 0; i < 2500; i++) w.scalar('a', i, i);
  // Nobody calls flush(): the size trigger (1000 rows) and the 50 ms timer must write it all.
  const flushed = (): number => flushes.reduce((n, f) => n + f.points, 0);
  for (const deadline = Date.now() + 10_000; flushed() < 2500 && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 150)); // at least one more timer tick: a heartbeat-only flush
  expect(flushed()).toBe(2500);
  expect(flushes.length).toBeGreaterThanOrEqual(2);
  expect((await s.getRun(run.id)).heartbeatAt as number).toBeGreaterThan(hb0);
  expect((await s.getRun(run.id)).lastStep).toBe(2499);
  for (let i = 2500; i < 2600; i++) w.scalar('a', i, i);
  await s.close();
  const r = await openStore({ dataDir: s.paths.dataDir, readonly: true });
  expect((await r.listSeries(run.id))[0].points).toBe(2600);
  await r.close();
});

test('a reader holding a snapshot never blocks the writer (WAL)', async () => {
  const s = await openStore({ dataDir: tempDir('wal'), busyTimeoutMs: 200 });
  const run = await s.createRun({ config: {} });
  const w = await s.writer(run.id);
  for (let i = 0; i < 100; i++) w.scalar('a', i, i);
  await w.flush();
  const reader = await SqliteDb.open(s.paths.database, 'readonly');
  await reader.run('BEGIN');
  const count = async (): Promise<number> =>
    (await reader.get<{ n: number }>('SELECT count(*) AS n FROM points'))?.n ?? -1;
  expect(await count()).toBe(100);
  for (let i = 100; i < 200; i++) w.scalar('a', i, i);
  const t = Date.now();
  await w.flush(); // would fail with SQLITE_BUSY after 200 ms if the reader blocked it
  expect(Date.now() - t).toBeLessThan(2000);
  expect(await count(), 'the reader keeps its snapshot').toBe(100);
  await reader.run('COMMIT');
  expect(await count()).toBe(200);
  await reader.close();
  await s.close();
});

test('a running run is crashed when its pid is gone or its heartbeat is stale', () => {
  const base = { host: os.hostname(), created_at: 0, started_at: 0 };
  const now = 1_000_000;
  expect(isOwnerGone({ ...base, pid: process.pid, heartbeat_at: now - 1000 }, 60_000, now)).toBe(false);
  expect(isOwnerGone({ ...base, pid: 4_194_305, heartbeat_at: now - 1000 }, 60_000, now)).toBe(true);
  expect(isOwnerGone({ ...base, pid: process.pid, heartbeat_at: now - 61_000 }, 60_000, now)).toBe(true);
  expect(isOwnerGone({ ...base, host: 'elsewhere', pid: 4_194_305, heartbeat_at: now - 1000 }, 60_000, now)).toBe(
    false,
  );
});

test('engine events become series, bounds, certified accuracy and status', async () => {
  const s = await openStore({ dataDir: tempDir('events') });
  const run = await s.createRun({ config: {} });
  const w = await s.writer(run.id);
  const sink = s.eventSink(w);
  const ev = (e: unknown): Promise<void> => recordEngineEvent(sink, e as EngineEvent);
  await ev({
    type: 'started',
    v: 1,
    runId: run.id,
    backend: { name: 'wasm' },
    model: { layers: [{ name: 'conv1', kind: 'conv', shape: [3, 3, 1, 8], stride: 1, padding: 'same' }] },
  });
  await ev({
    type: 'step',
    v: 1,
    points: [{ step: 1, epoch: 0.5, loss: 2, ce: 1.9, reg: 1, acc: 0.3, lr: 0.1, stepMs: 12 }],
  });
  await ev({
    type: 'eval',
    v: 1,
    step: 1,
    epoch: 0.5,
    trainAcc: 0.4,
    valAcc: null,
    testAcc: 0.35,
    testLoss: 1.8,
    lipschitz: 40,
    layers: [
      {
        name: 'conv1',
        kind: 'conv',
        shape: [3, 3, 1, 8],
        stride: 1,
        padding: 'same',
        inputSize: [28, 28],
        f4: { R: 3, S: 4, T: 5, U: 6, min: 3, argmin: 'R' },
        certifiedUpper: 2.5,
        certifiedBy: 'gram',
        exactCircular: 2.2,
      },
    ],
    certified: [{ eps: 1.58, acc: 0.1, accPairwise: 0.12 }],
    evalMs: 5,
  });
  const weights = path.join(s.paths.checkpoints, 'w1.bin');
  fs.mkdirSync(path.dirname(weights), { recursive: true });
  fs.writeFileSync(weights, 'w');
  await ev({
    type: 'checkpoint',
    v: 1,
    step: 1,
    epoch: 0.5,
    path: weights,
    sha256: crypto.createHash('sha256').update('w').digest('hex'),
  });
  await expect(
    ev({ type: 'checkpoint', v: 1, step: 1, epoch: 0.5, path: weights, sha256: 'f'.repeat(64) }),
  ).rejects.toThrow(/not the expected/);
  expect((await s.listCheckpoints(run.id)).map((c) => c.step)).toEqual([1]);
  await ev({ type: 'finished', v: 1, status: 'completed', summary: {} });
  const r = await s.getRun(run.id);
  expect([r.status, r.backend]).toEqual(['completed', 'wasm']);
  const names = (await s.listSeries(run.id)).map((x) => x.name);
  expect(names).toEqual(
    expect.arrayContaining([
      'train/loss',
      'train/acc',
      'epoch',
      'eval/test_acc',
      'eval/lipschitz',
      'bound/f4/conv1',
      'bound/f4-U/conv1',
      'bound/certified/conv1',
      'bound/sedghi-exact/conv1',
    ]),
  );
  expect(names).not.toContain('eval/val_acc');
  const [sum] = await s.runSummaries([run.id]);
  expect(sum.accuracy?.last).toBe(0.35);
  expect(sum.certified).toEqual([{ step: 1, eps: 1.58, accuracy: 0.1, pairwise: 0.12 }]);
  await s.close();
});
