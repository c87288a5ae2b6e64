/**
 * Faults of issue 11, each with real processes and real files: a clear error, the process ends,
 * nothing corrupted. A full disk and read-only media are real tmpfs mounts (skipped where mounting
 * is not allowed); signals are real signals to real `spectral-lab train` processes.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openStore } from '../../src/main/store/index.js';
import { acquireRunLock, runLockPath } from '../../src/main/store/lock.js';
import { processIdentity } from '../../src/main/store/process-identity.js';
import { isOwnerGone } from '../../src/main/store/recovery.js';
import { sampleConfig } from './helpers.js';
import {
  fillDisk,
  mountTmpfs,
  remountReadOnly,
  ROOT,
  runCli,
  startCli,
  startScript,
  tempFolder,
  tinyConfig,
  tmpfsUnavailable,
  unmountTmpfs,
} from './support/processes.js';

const made: string[] = [];
const folder = (label: string): string => {
  const d = tempFolder(label);
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A closed store with one run of `points` train/loss points. */
async function storeWithRun(dir: string, points: number): Promise<string> {
  const s = await openStore({ dataDir: dir });
  const run = await s.createRun({ config: sampleConfig(), status: 'running' });
  const w = await s.writer(run.id);
  for (let i = 0; i < points; i++) w.scalar('train/loss', i, Math.exp(-i / 1000) + 0.01 * Math.sin(i));
  await w.finish('completed');
  await w.close();
  await s.close();
  return run.id;
}

describe.skipIf(tmpfsUnavailable)(`a full disk (tmpfs) ${tmpfsUnavailable ?? ''}`, () => {
  test('during train: the run stops and is marked failed, the process exits 1 naming --store, the store stays intact', async () => {
    const disk = mountTmpfs(3072);
    try {
      const store = path.join(disk, 'store');
      await (await openStore({ dataDir: store })).close();
      const cfg = tinyConfig(folder('cfg'), 'fills-the-disk', 20_000, { checkpoints: { enabled: false } });
      const filler = fillDisk(disk, 192 * 1024);
      const r = await runCli(['train', cfg, '--backend', 'wasm', '--store', store, '--quiet'], 180_000);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the run store could not be written \(.*(full|disk I\/O)/);
      expect(r.stderr).toMatch(
        /Free some space there, or record into another folder with --store DIR \(or run with --no-store\)/,
      );
      fs.rmSync(filler);
      const s = await openStore({ dataDir: store });
      try {
        expect(await s.checkIntegrity()).toEqual({ ok: true, messages: ['ok'] });
        const { runs } = await s.listRuns();
        expect(runs).toHaveLength(1);
        // Failed when the disk still took the status change; else the next open found its process gone.
        expect(['failed', 'crashed']).toContain(runs[0].status);
        expect(fs.readdirSync(path.join(store, 'locks')), 'the run lock is released').toEqual([]);
      } finally {
        await s.close();
      }
    } finally {
      unmountTmpfs(disk);
    }
  }, 240_000);

  test('export to a full disk leaves no half-written folder or file', async () => {
    const store = folder('export-src');
    await storeWithRun(store, 30_000);
    const disk = mountTmpfs(64);
    try {
      const folderOut = await runCli([
        'export',
        '--store',
        store,
        '--format',
        'csv',
        '--out',
        path.join(disk, 'tables') + '/',
      ]);
      expect(folderOut.code, folderOut.stderr).toBe(1);
      expect(folderOut.stderr).toMatch(/Cannot write --out .*tables: the disk is full \(nothing was left behind/);
      const fileOut = await runCli([
        'export',
        '--store',
        store,
        '--format',
        'json',
        '--out',
        path.join(disk, 'sub', 'all.json'),
      ]);
      expect(fileOut.code, fileOut.stderr).toBe(1);
      expect(fileOut.stderr).toMatch(/the disk is full/);
      expect(fs.readdirSync(disk)).toEqual([]);
    } finally {
      unmountTmpfs(disk);
    }
  }, 120_000);
});

describe.skipIf(tmpfsUnavailable)(`read-only media (tmpfs remounted read-only) ${tmpfsUnavailable ?? ''}`, () => {
  test('a cleanly closed store can be exported; nothing is written next to it', async () => {
    const disk = mountTmpfs(4096);
    try {
      const store = path.join(disk, 'store');
      const runId = await storeWithRun(store, 2000);
      remountReadOnly(disk);
      const before = fs.readdirSync(store).sort();
      const r = await runCli(['export', '--store', store, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { runs: { id: string }[] };
      expect(doc.runs.map((x) => x.id)).toEqual([runId]);
      expect(fs.readdirSync(store).sort(), 'no -wal, -shm or lock file').toEqual(before);
    } finally {
      unmountTmpfs(disk);
    }
  }, 120_000);
});

test('a damaged database is refused by train and serve, left byte for byte untouched, with what to do', async () => {
  const dir = folder('damaged');
  await storeWithRun(dir, 20_000);
  const file = path.join(dir, 'runs.sqlite');
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
  const damaged = Buffer.from(bytes);
  // Random bytes over a whole page in the middle of the file (the points' b-tree), header page untouched.
  crypto.randomFillSync(damaged, pageSize * Math.floor(bytes.length / pageSize / 2), pageSize);
  fs.writeFileSync(file, damaged);
  const cfg = tinyConfig(folder('cfg'), 'never-runs', 5);
  const [train, serve] = await Promise.all([
    runCli(['train', cfg, '--store', dir, '--quiet']),
    runCli(['serve', '--port', '0', '--no-open', '--store', dir]),
  ]);
  for (const r of [train, serve]) {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /is a damaged SQLite database \((PRAGMA quick_check|SQLITE_CORRUPT): .+\)\. The file was not changed\./,
    );
    expect(r.stderr).toMatch(/Restore it from a backup .* or move it away to start a new store/);
  }
  expect(fs.readFileSync(file).equals(damaged), 'the damaged file is byte for byte as it was').toBe(true);
}, 120_000);

test('queued runs of a killed process are cancelled at the next open; those of a live process stay queued', async () => {
  const dir = folder('queued');
  const fixture = path.join(ROOT, 'test/store/fixtures/queue-and-wait.ts');
  const [killed, alive] = [startScript(fixture, [dir]), startScript(fixture, [dir])];
  const [killedId, aliveId] = (await Promise.all([killed.waitFor(/RUN (\S+)/), alive.waitFor(/RUN (\S+)/)])).map(
    (m) => m[1],
  );
  killed.child.kill('SIGKILL');
  expect((await killed.done).signal).toBe('SIGKILL');
  const s = await openStore({ dataDir: dir });
  try {
    expect(s.recoveredRuns.map((r) => [r.id, r.status])).toEqual([[killedId, 'cancelled']]);
    const run = await s.getRun(killedId);
    expect(run.status).toBe('cancelled');
    expect(run.reason).toMatch(/The process that queued it \(pid \d+ on .+\) stopped before starting it/);
    expect((await s.getRun(aliveId)).status).toBe('queued');
  } finally {
    await s.close();
    alive.child.kill('SIGKILL');
    await alive.done;
  }
}, 60_000);

test('a run whose pid now belongs to another program is seen as orphaned (identity); a matching identity is proof of life', () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const now = 1_000_000;
    const row = { host: os.hostname(), created_at: 0, started_at: 0, heartbeat_at: now - 1000, status: 'running' };
    expect(
      isOwnerGone({ ...row, pid: other.pid as number, owner: `${processIdentity()?.split(':')[0]}:1` }, 60_000, now),
    ).toBe(true);
    expect(isOwnerGone({ ...row, pid: other.pid as number, owner: processIdentity(other.pid) }, 60_000, now)).toBe(
      false,
    );
    // A paused run sends no heartbeat: a live owner with a matching identity keeps it.
    expect(isOwnerGone({ ...row, pid: process.pid, owner: processIdentity(), heartbeat_at: 0 }, 60_000, now)).toBe(
      false,
    );
  } finally {
    other.kill();
  }
});

describe('a stale run lock whose pid now belongs to another program', () => {
  test("with the owner's identity recorded, it is recognised (start time / boot id) and taken over", async () => {
    const dir = folder('stale');
    const s = await openStore({ dataDir: dir });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const run = await s.createRun({ config: sampleConfig() });
      const file = runLockPath(s.paths.locks, run.id);
      fs.mkdirSync(s.paths.locks, { recursive: true });
      // The lock a crashed Spectral Lab left; its pid is now `sleep`, which started at another time.
      fs.writeFileSync(
        file,
        JSON.stringify({
          app: 'spectral-lab',
          pid: other.pid,
          host: os.hostname(),
          identity: `${processIdentity()?.split(':')[0]}:1`,
          startedAt: 0,
        }),
      );
      const w = await s.writer(run.id);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
      await w.close();
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      other.kill();
      await s.close();
    }
  });

  test('without an identity (an older lock), it is refused naming the program and how to clear it', () => {
    const locks = path.join(folder('stale-old'), 'locks');
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(locks);
      const file = runLockPath(locks, 'r1');
      fs.writeFileSync(
        file,
        JSON.stringify({ app: 'spectral-lab', pid: other.pid, host: os.hostname(), startedAt: 0 }),
      );
      expect(() => acquireRunLock(locks, 'r1')).toThrow(
        new RegExp(
          `Process ${other.pid} is "sleep", probably not Spectral Lab \\(its pid was reused after a crash\\): delete ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and try again`,
        ),
      );
      expect(fs.readFileSync(file, 'utf8')).toContain(`"pid":${other.pid}`);
    } finally {
      other.kill();
    }
  });
});

test('SIGTERM and Ctrl-C end train runs as cancelled (exit 143 / 130) and release their locks', async () => {
  const dir = folder('signals');
  const cfgDir = folder('cfg');
  const procs = (['SIGTERM', 'SIGINT'] as const).map((signal) => ({
    signal,
    p: startCli([
      'train',
      tinyConfig(cfgDir, `stopped-by-${signal}`, 20_000, { checkpoints: { enabled: false } }),
      '--backend',
      'wasm',
      '--store',
      dir,
    ]),
  }));
  const results = await Promise.all(
    procs.map(async ({ signal, p }) => {
      const runId = (await p.waitFor(/run (\S+): /, 90_000))[1];
      await new Promise((r) => setTimeout(r, 1000));
      p.child.kill(signal);
      return { signal, runId, result: await p.done };
    }),
  );
  const s = await openStore({ dataDir: dir, readonly: true });
  try {
    for (const { signal, runId, result } of results) {
      expect(result.code, result.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
      expect(result.stdout).toMatch(new RegExp(`status\\s+cancelled \\((stopped by SIGTERM|interrupted by Ctrl-C)\\)`));
      expect((await s.getRun(runId)).status).toBe('cancelled');
    }
    expect(fs.readdirSync(path.join(dir, 'locks'))).toEqual([]);
  } finally {
    await s.close();
  }
}, 180_000);

test('an unwritable checkpoint folder fails the run at its start, naming the options that fix it', async () => {
  const dir = folder('ckpt');
  const blocker = path.join(dir, 'a-file');
  fs.writeFileSync(blocker, 'not a folder');
  const cfg = tinyConfig(folder('cfg'), 'no-checkpoints-possible', 200);
  const r = await runCli([
    'train',
    cfg,
    '--backend',
    'wasm',
    '--store',
    path.join(dir, 'store'),
    '--checkpoint-dir',
    path.join(blocker, 'sub'),
    '--quiet',
  ]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(
    /cannot write checkpoints to .*a-file\/sub.*ENOTDIR\. Pass --checkpoint-dir <a writable folder> \(spectral-lab train\), set checkpoints\.dir in the run config, or set checkpoints\.enabled to false/,
  );
  expect(r.stdout, 'no step was trained').toMatch(/steps \/ epochs\s+0 \//);
}, 120_000);
