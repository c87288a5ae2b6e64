/**
 * Sweeps through BullMQ on a real Redis server (Debian's redis-server, started here on a free loopback
 * port, no persistence): two worker processes train a sweep of 6 tiny runs for the `sweep --redis` owner;
 * one worker is SIGKILLed mid-run, its run ends crashed and re-queued, every client connection is dropped
 * once, and the sweep still completes with every point trained once and all its points stored. An unreachable Redis queues nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as sweepCli } from '../../src/main/cli/sweep.js';
import { openStore, storePaths } from '../../src/main/store/index.js';
import { requestControl } from '../../src/main/store/run-control.js';
import { tempDir } from '../store/helpers.js';
import { cli, freePort, killAll, redisSkipReason as why, startRedis } from './redis-server.js';
import { TINY_BASE } from './tiny.js';

if (why) console.warn(`redis-sweep.test.ts skipped: ${why}.`);

let redisUrl = '';
beforeAll(async () => {
  if (why) return;
  redisUrl = (await startRedis()).url;
});
afterAll(killAll);

describe.skipIf(why !== '')('sweeps on Redis workers', () => {
  it('an unreachable Redis is a clear error before anything is queued', async () => {
    const dir = tempDir('redis-sweep');
    const file = path.join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify({ name: 'nowhere', base: TINY_BASE, grid: { seed: [0, 1] } }));
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const closed = await freePort();
    expect(await sweepCli([file, '--redis', `redis://127.0.0.1:${closed}`, '--store', path.join(dir, 'store')])).toBe(
      2,
    );
    vi.restoreAllMocks();
    expect(err.join('\n')).toMatch(
      new RegExp(`Cannot reach Redis at redis://127.0.0.1:${closed}: .*Start it \\(redis-server .*Nothing was queued`),
    );
    expect(existsSync(path.join(dir, 'store'))).toBe(false);
  });

  it('a server that wants a password: a clear error naming the URL form, before anything is queued', async () => {
    const { port, server } = await startRedis(['--requirepass', 's3cret']);
    const dir = tempDir('redis-sweep');
    const file = path.join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify({ name: 'auth', base: TINY_BASE, grid: { seed: [0] } }));
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    expect(
      await sweepCli([file, '--redis', `redis://:wrong@127.0.0.1:${port}`, '--store', path.join(dir, 'store')]),
    ).toBe(2);
    vi.restoreAllMocks();
    expect(err.join('\n')).toMatch(
      new RegExp(
        `Cannot reach Redis at redis://:\\*\\*\\*@127.0.0.1:${port}: .*Put the password in the URL: redis://:PASSWORD@host:6379.*Nothing was queued`,
      ),
    );
    expect(err.join('\n')).not.toMatch(/wrong/);
    expect(existsSync(path.join(dir, 'store'))).toBe(false);
    server.kill('SIGKILL');
  });

  it('two workers train a sweep of 6 runs; a SIGKILLed worker leaves its run crashed and re-queued; the sweep completes', async () => {
    const dir = tempDir('redis-sweep');
    const store = path.join(dir, 'store');
    const file = path.join(dir, 'sweep.json');
    writeFileSync(file, JSON.stringify({ name: 'six', base: TINY_BASE, grid: { seed: [0, 1, 2, 3, 4, 5] } }));
    // A short lock (the default is 30 s) so a dead worker is found quickly, but not so short that a busy one looks dead.
    const workerArgs = ['worker', '--redis', redisUrl, '--stalled-ms', '4000'];
    const workers = [cli(workerArgs, 'worker 1'), cli(workerArgs, 'worker 2')];
    const owner = cli(['sweep', file, '--redis', redisUrl, '--store', store], 'owner');

    // Kill the worker of the first run that starts, while it trains.
    const started = await new Promise<{ runId: string; pid: number }>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /\[(\S+)\] started on worker [^:\s]+:(\d+)/.exec(owner.log());
        if (m) {
          clearInterval(timer);
          resolve({ runId: m[1], pid: Number(m[2]) });
        }
      }, 50);
      void owner.exited.then(() => reject(new Error(`the owner ended early:\n${owner.log()}`)));
    });
    const victim = workers.find((w) => w.child.pid === started.pid);
    expect(victim, `worker pid ${started.pid} is one of ours`).toBeTruthy();
    victim!.child.kill('SIGKILL');
    // Every client connection dropped at once (a network blip): workers and owner reconnect, and no event is lost or doubled.
    await new Promise((r) => setTimeout(r, 1500));
    expect(spawnSync('redis-cli', ['-u', redisUrl, 'CLIENT', 'KILL', 'TYPE', 'normal']).status).toBe(0);

    expect(await owner.exited, owner.log()).toBe(0);
    for (const w of workers) w.child.kill('SIGTERM');
    expect(owner.log()).toMatch(
      new RegExp(`\\[${started.runId}\\] crashed: its worker stopped answering .*queued again as run (\\S+)`),
    );
    expect(owner.log()).not.toMatch(/never arrived/);

    const s = await openStore({ dataDir: store, readonly: true });
    try {
      const info = await s.sweeps.get('six');
      expect(info).toMatchObject({ items: 6, counts: { completed: 6 }, done: true });
      const all = await s.sweeps.runs(info.id);
      expect(all.filter((r) => r.status === 'crashed').map((r) => r.runId)).toEqual([started.runId]);
      expect(all.filter((r) => r.attempt === 2)).toHaveLength(1);
      // Every completed run: each training step exactly once, and its evaluation.
      const done = all.filter((r) => r.status === 'completed').map((r) => r.runId);
      const { series } = await s.getSeries({ runIds: done, names: ['train/loss', 'eval/test_acc'], budget: 1000 });
      for (const id of done) {
        const loss = series.find((x) => x.runId === id && x.name === 'train/loss');
        expect(loss?.steps, id).toEqual(Array.from({ length: 6 }, (_, i) => i + 1));
        expect(loss?.totalPoints).toBe(6);
        expect(series.find((x) => x.runId === id && x.name === 'eval/test_acc')?.steps).toEqual([6]);
      }
    } finally {
      await s.close();
    }
    // Never trained twice: each run id was taken by exactly one worker.
    const taken = workers.flatMap((w) => [...w.log().matchAll(/\[(\S+)\] taken from the queue/g)].map((m) => m[1]));
    expect(new Set(taken).size).toBe(taken.length);
  }, 300_000);

  it('cancel from the workbench reaches the remote worker training the run: it stops and is stored cancelled', async () => {
    const dir = tempDir('redis-sweep');
    const store = path.join(dir, 'store');
    const file = path.join(dir, 'sweep.json');
    const long = {
      ...TINY_BASE,
      epochs: 10_000,
      maxSteps: 100_000,
      evaluation: { ...TINY_BASE.evaluation, everySteps: 100_000 },
    };
    writeFileSync(file, JSON.stringify({ name: 'cancel-me', base: long, grid: { seed: [0] } }));
    const worker = cli(['worker', '--redis', redisUrl, '--queue', 'cancel-q'], 'worker');
    const owner = cli(['sweep', file, '--redis', redisUrl, '--queue', 'cancel-q', '--store', store], 'owner');
    const runId = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /\[(\S+)\] started on worker/.exec(owner.log());
        if (m) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 50);
      void owner.exited.then(() => reject(new Error(`the owner ended early:\n${owner.log()}`)));
    });
    // What the workbench's Cancel does for a run another process writes (app/external-runs.ts).
    requestControl(storePaths(store).locks, runId, 'cancel', 'the test');
    expect(await owner.exited, owner.log()).toBe(1);
    worker.child.kill('SIGTERM');
    expect(owner.log()).toMatch(new RegExp(`\\[${runId}\\] cancel requested from the test: sent to its worker`));
    expect(worker.log()).toMatch(new RegExp(`\\[${runId}\\] cancel requested from the test`));
    const s = await openStore({ dataDir: store, readonly: true });
    try {
      const run = await s.getRun(runId);
      expect(run.status).toBe('cancelled');
      expect(run.lastStep).toBeLessThan(100_000);
    } finally {
      await s.close();
    }
  }, 120_000);
});
