/**
 * `spectral-lab sweep` and `spectral-lab queue` end to end: bad sweep files queue nothing; a sweep queued
 * in the store survives a SIGKILL of the process training it (its run crashed, the others still queued),
 * and a restart plus a retry finish the sweep.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as sweepCli } from '../../src/main/cli/sweep.js';
import { run as queueCli } from '../../src/main/cli/queue.js';
import { openStore } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';
import { TINY_BASE } from './tiny.js';

afterEach(() => vi.restoreAllMocks());

function capture(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out: () => out.join('\n'), err: () => err.join('\n') };
}

function sweepFile(dir: string, spec: unknown): string {
  const f = path.join(dir, `sweep-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(spec));
  return f;
}

async function runCount(store: string): Promise<number> {
  const s = await openStore({ dataDir: store }).catch(() => null);
  if (!s) return 0;
  try {
    return (await s.listRuns()).total;
  } finally {
    await s.close();
  }
}

describe('sweep CLI: bad input queues nothing', () => {
  it('refuses an empty grid, an unknown key and a refused value with exit code 2 and every problem', async () => {
    const dir = tempDir('sweep-cli');
    const store = path.join(dir, 'store');
    const cases: [unknown, RegExp][] = [
      [{ name: 'e', base: TINY_BASE, grid: {} }, /the grid is empty/],
      [
        { name: 'u', base: TINY_BASE, grid: { 'optimizer.learningRate': [0.1] } },
        /unknown key "optimizer.learningRate".*known: kind, lr/,
      ],
      [{ name: 'v', base: TINY_BASE, grid: { batchSize: [25, 0] } }, /run 2 \(batchSize=0\): batchSize: /],
    ];
    for (const [spec, message] of cases) {
      const c = capture();
      expect(await sweepCli([sweepFile(dir, spec), '--store', store])).toBe(2);
      expect(c.err()).toMatch(/nothing was queued/);
      expect(c.err()).toMatch(message);
      vi.restoreAllMocks();
    }
    const c = capture();
    expect(await sweepCli([path.join(dir, 'missing.json'), '--store', store])).toBe(2);
    expect(c.err()).toMatch(/cannot read .*missing\.json' \(ENOENT\)/);
    expect(await runCount(store)).toBe(0);
  });
});

function spawnQueueRun(store: string): { kill: () => void; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main/cli/index.ts', 'queue', 'run', '--store', store, '--jobs', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  void exited.then(() => process.env.DEBUG_SWEEP && console.warn(stderr));
  return { kill: () => child.kill('SIGKILL'), exited };
}

async function waitFor<T>(what: string, fn: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * TINY_BASE's 6 steps end within a poll of the store now that an engine thread starts in a fraction of a second:
 * the run to be killed must still be training when the poll sees it.
 */
const KILLABLE_BASE = { ...TINY_BASE, maxSteps: 240, evaluation: { ...TINY_BASE.evaluation, everySteps: 240 } };

describe('local queue across a restart', () => {
  it('a killed `queue run` leaves its run crashed and the other queued; a restart and a retry finish the sweep', async () => {
    const dir = tempDir('sweep-cli');
    const store = path.join(dir, 'store');
    let c = capture();
    expect(
      await sweepCli([
        sweepFile(dir, { name: 'restart', base: KILLABLE_BASE, grid: { seed: [0, 1] } }),
        '--store',
        store,
      ]),
      c.err(),
    ).toBe(0);
    const runIds = [...c.out().matchAll(/^ {2}(\S+) {2}seed=\d$/gm)].map((m) => m[1]);
    expect(runIds).toHaveLength(2);
    vi.restoreAllMocks();

    const child = spawnQueueRun(store);
    // Kill it once the first run has recorded a few steps.
    await waitFor(
      'the first run to train',
      async () => {
        const s = await openStore({ dataDir: store, readonly: true });
        try {
          const r = await s.getRun(runIds[0]);
          return r.status === 'running' && r.lastStep >= 1 ? r : null;
        } finally {
          await s.close();
        }
      },
      120_000,
    );
    child.kill();
    await child.exited;

    c = capture();
    expect(await queueCli(['list', '--store', store])).toBe(0);
    expect(c.out()).toMatch(new RegExp(`1 +local +${runIds[1]}`));
    expect(await queueCli(['run', '--store', store, '--jobs', '1'])).toBe(0);
    expect(c.err()).toMatch(/1 run\(s\) waiting/);
    vi.restoreAllMocks();

    const s = await openStore({ dataDir: store });
    try {
      expect((await s.getRun(runIds[0])).status).toBe('crashed');
      expect((await s.getRun(runIds[1])).status).toBe('completed');
    } finally {
      await s.close();
    }
    c = capture();
    expect(await queueCli(['retry', runIds[0], '--store', store])).toBe(0);
    const retried = /queued again as run (\S+)/.exec(c.out())?.[1];
    expect(retried).toBeTruthy();
    expect(await queueCli(['run', '--store', store])).toBe(0);
    expect(await sweepCli(['--show', 'restart', '--store', store])).toBe(0);
    expect(c.out()).toMatch(/2 runs \(2 completed\).*done/);
    expect(c.out()).toMatch(new RegExp(`${retried} +completed #1 try 2`));
    vi.restoreAllMocks();
  }, 240_000);
});
