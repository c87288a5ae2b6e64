/**
 * Crash safety with a real process: a writer (fixtures/writer.ts) appends points continuously and is
 * killed with SIGKILL at random moments, 20 times (two folders side by side, 10 kills each, to halve
 * the wall time; kills accumulate runs in their folder). After every kill the
 * store must open, pass PRAGMA integrity_check, hold every point of every flush the writer saw
 * committed (a gap-free prefix of the steps), lose at most about one flush interval, and show the
 * run as 'crashed' with its data.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { openStore } from '../../src/main/store/index.js';
import { tempDir } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/store/fixtures/writer.ts');
const KILLS = 20;
const FLUSH_MS = 100;
/** Timer jitter and flush time on a loaded 2-core machine, on top of the flush interval. */
const SLACK_MS = 2000;

interface Outcome {
  runId: string | null;
  /** Last step of the last flush the writer saw committed (-1: none). */
  acknowledged: number;
  killedAt: number;
  stderr: string;
}

/** Start the writer, let it run, SIGKILL it. Every 5th kill lands at a random moment of its startup. */
function runAndKill(dir: string, round: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, String(FLUSH_MS)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Outcome = { runId: null, acknowledged: -1, killedAt: 0, stderr: '' };
    let buf = '';
    let timer: NodeJS.Timeout | null = null;
    const kill = (): void => {
      if (out.killedAt) return;
      out.killedAt = Date.now();
      child.kill('SIGKILL');
    };
    const schedule = (ms: number): void => {
      if (!timer) timer = setTimeout(kill, ms);
    };
    const guard = setTimeout(kill, 30_000);
    if (round % 5 === 4) schedule(100 + Math.random() * 900);
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const [kind, a] = line.split(' ');
        if (kind === 'RUN') {
          out.runId = a;
          schedule(50 + Math.random() * 700);
        } else if (kind === 'FLUSHED') {
          out.acknowledged = Math.max(out.acknowledged, Number(a));
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      resolve(out);
    });
  });
}

async function lane(dir: string, rounds: number): Promise<string[]> {
  const runIds: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const o = await runAndKill(dir, round);
    expect(o.stderr, 'the writer printed an error before it was killed').toBe('');
    const store = await openStore({ dataDir: dir });
    try {
      expect(await store.checkIntegrity()).toEqual({ ok: true, messages: ['ok'] });
      expect((await store.listRuns({ status: ['running'] })).total, 'no run is left running').toBe(0);
      if (!o.runId) continue; // killed while opening / migrating: the store must still be sound
      runIds.push(o.runId);
      const run = await store.getRun(o.runId);
      expect(run.status).toBe('crashed');
      expect(run.reason).toMatch(/stopped without finishing/);

      const { series } = await store.getSeries({
        runIds: [o.runId],
        names: ['train/loss', 'bound/f4/conv1'],
        budget: 1_000_000,
        xAxis: 'time',
      });
      const [loss, bound] = series;
      const n = loss.steps.length;
      // A gap-free prefix: flushes are whole transactions, committed in order.
      expect(loss.steps).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(loss.totalPoints).toBe(n);
      expect(n - 1, 'every flush the writer saw committed is in the file').toBeGreaterThanOrEqual(o.acknowledged);
      // Points and bounds appended together are committed together.
      if (n > 0) expect(bound.steps[bound.steps.length - 1]).toBe(Math.floor((n - 1) / 10) * 10);
      if (n > 0 && run.startedAt) {
        const lastWall = run.startedAt + loss.x[n - 1] * 1000;
        expect(o.killedAt - lastWall, 'lost at most about one flush interval').toBeLessThan(FLUSH_MS + SLACK_MS);
      }
    } finally {
      await store.close();
    }
  }
  const store = await openStore({ dataDir: dir, readonly: true });
  const all = await store.listRuns({ limit: 1000 });
  expect(all.runs.filter((r) => runIds.includes(r.id)).map((r) => r.status)).toEqual(runIds.map(() => 'crashed'));
  await store.close();
  return runIds;
}

test(`a writer SIGKILLed ${KILLS} times keeps a sound store and every committed point`, async () => {
  const lanes = await Promise.all([lane(tempDir('crash-a'), KILLS / 2), lane(tempDir('crash-b'), KILLS / 2)]);
  // Every 5th kill lands during startup, the others after the run exists.
  expect(lanes.flat().length).toBeGreaterThanOrEqual(KILLS - KILLS / 5);
});
