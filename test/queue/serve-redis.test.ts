/**
 * `serve --redis URL`: the lab owns sweeps run by Redis workers. A real redis-server on a free loopback
 * port, real `serve` child processes and one `worker` process: a 2-run sweep started through serve's
 * HTTP API (workers: 'redis') waits while no worker runs; serve stops cleanly (Ctrl+C), a second
 * `serve --redis` owns the sweep again, the worker trains it, its runs appear live on the event stream,
 * and the store has every step exactly once. An unreachable Redis at start: a clear error, exit 2, no store.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as serveCli } from '../../src/main/cli/serve.js';
import { openStore } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';
import { cli, freePort, killAll, redisSkipReason, startRedis, waitForLog } from './redis-server.js';
import { TINY_BASE } from './tiny.js';

if (redisSkipReason) console.warn(`serve-redis.test.ts skipped: ${redisSkipReason}.`);
afterAll(killAll);

const LINK = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/;

/** A LabApi call through serve's HTTP API, as the browser makes it. */
async function call(link: URL, method: string, ...args: unknown[]): Promise<unknown> {
  const token = link.searchParams.get('token') ?? '';
  const res = await fetch(`${link.origin}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ args }),
  });
  const reply = (await res.json()) as { ok: boolean; result?: unknown; error?: unknown };
  if (!reply.ok) throw new Error(`${method}: ${JSON.stringify(reply.error)}`);
  return reply.result;
}

/** Everything serve pushes on its event stream from now on (server-sent events). */
function listen(link: URL): { text: () => string; stop: () => void } {
  const ctl = new AbortController();
  let text = '';
  void fetch(`${link.origin}/api/events`, {
    headers: { authorization: `Bearer ${link.searchParams.get('token') ?? ''}` },
    signal: ctl.signal,
  })
    .then(async (res) => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        text += decoder.decode(chunk, { stream: true });
    })
    .catch(() => undefined);
  return { text: () => text, stop: () => ctl.abort() };
}

describe.skipIf(redisSkipReason !== '')('serve --redis: the lab owns sweeps run by Redis workers', () => {
  it('an unreachable Redis at start: a clear error, exit 2, no store opened', async () => {
    const store = path.join(tempDir('serve-redis'), 'store');
    const closed = await freePort();
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      expect(
        await serveCli(['--port', '0', '--no-open', '--store', store, '--redis', `redis://127.0.0.1:${closed}`]),
      ).toBe(2);
    } finally {
      vi.restoreAllMocks();
    }
    expect(err.join('\n')).toMatch(
      new RegExp(
        `serve: Cannot reach Redis at redis://127.0.0.1:${closed}: .*Start it \\(redis-server .*Nothing was queued`,
      ),
    );
    expect(existsSync(store)).toBe(false);
  });

  it('a 2-run sweep started through the HTTP API outlives its serve, is owned again by the next, and is stored exactly once, live', async () => {
    const { url } = await startRedis();
    const store = path.join(tempDir('serve-redis'), 'store');
    const serveArgs = ['serve', '--port', '0', '--no-open', '--store', store, '--redis', url];
    const first = cli(serveArgs, 'serve 1');
    let link = new URL((await waitForLog(first, LINK))[0]);
    expect(((await call(link, 'getInfo')) as { redis: string | null }).redis).toBe(url);
    const made = (await call(
      link,
      'startSweep',
      { name: 'two', base: TINY_BASE, grid: { seed: [0, 1] } },
      { workers: 'redis' },
    )) as { sweepId: string; runIds: string[] };
    expect(made.runIds).toHaveLength(2);
    // The lab's own queue never takes them: they wait for a Redis worker (none yet).
    expect(((await call(link, 'getInfo')) as { queue: { queued: string[] } }).queue.queued).toEqual([]);
    await waitForLog(first, /Waiting for workers on redis:/);
    first.child.kill('SIGINT');
    expect(await first.exited, first.log()).toBe(0);
    expect(first.log()).toMatch(new RegExp(`sweep ${made.sweepId}: stopped \\(2 queued\\)`));

    // The next serve --redis owns the sweep again; a worker trains it.
    const serve = cli(serveArgs, 'serve 2');
    link = new URL((await waitForLog(serve, LINK))[0]);
    // Listen before the worker starts: a run that ended before the stream connected would never be announced on it.
    const events = listen(link);
    await vi.waitFor(() => expect(events.text()).toContain(': connected'), { timeout: 5000, interval: 50 });
    const worker = cli(['worker', '--redis', url, '--stalled-ms', '4000'], 'worker');
    await waitForLog(serve, new RegExp(`sweep ${made.sweepId}: done \\(2 completed\\)`), 50_000);
    // Shown live like any run: the event stream tells the UI each run completed (the store is polled about once a second).
    await vi.waitFor(
      () => {
        for (const id of made.runIds)
          expect(events.text()).toMatch(new RegExp(`"runId":"${id}"[^\\n]*"status":"completed"`));
      },
      { timeout: 5000, interval: 200 },
    );
    events.stop();

    serve.child.kill('SIGINT');
    expect(await serve.exited, serve.log()).toBe(0);
    worker.child.kill('SIGTERM');
    expect(serve.log()).toMatch(/Sweeps can go to Redis workers on redis:\/\/127\.0\.0\.1:\d+/);

    const s = await openStore({ dataDir: store, readonly: true });
    try {
      const info = await s.sweeps.get('two');
      expect(info).toMatchObject({ items: 2, counts: { completed: 2 }, done: true });
      const { series } = await s.getSeries({
        runIds: made.runIds,
        names: ['train/loss', 'eval/test_acc'],
        budget: 1000,
      });
      for (const id of made.runIds) {
        const loss = series.find((x) => x.runId === id && x.name === 'train/loss');
        expect(loss?.steps, id).toEqual([1, 2, 3, 4, 5, 6]);
        expect(loss?.totalPoints).toBe(6);
        expect(series.find((x) => x.runId === id && x.name === 'eval/test_acc')?.steps).toEqual([6]);
      }
    } finally {
      await s.close();
    }
    // Each run taken from the queue by the worker once.
    const taken = [...worker.log().matchAll(/\[(\S+)\] taken from the queue/g)].map((m) => m[1]).sort();
    expect(taken).toEqual([...made.runIds].sort());
  }, 90_000);

  it('Cancel in the workbench stops a run a Redis worker trains for serve: the worker stops it, the store says cancelled', async () => {
    const { url } = await startRedis();
    const store = path.join(tempDir('serve-redis'), 'store');
    const serve = cli(
      ['serve', '--port', '0', '--no-open', '--store', store, '--redis', url, '--queue', 'cancel-ui'],
      'serve',
    );
    const worker = cli(['worker', '--redis', url, '--queue', 'cancel-ui'], 'worker');
    const link = new URL((await waitForLog(serve, LINK))[0]);
    const long = {
      ...TINY_BASE,
      epochs: 10_000,
      maxSteps: 100_000,
      evaluation: { ...TINY_BASE.evaluation, everySteps: 100_000 },
    };
    const made = (await call(
      link,
      'startSweep',
      { name: 'long', base: long, grid: { seed: [0] } },
      { workers: 'redis' },
    )) as {
      runIds: string[];
    };
    const [runId] = made.runIds;
    await waitForLog(serve, new RegExp(`\\[${runId}\\] started on worker`), 30_000);
    const result = (await call(link, 'cancelRun', runId)) as { status: string };
    await vi.waitFor(
      async () => expect(((await call(link, 'getRun', runId)) as { status: string }).status).toBe('cancelled'),
      { timeout: 10_000, interval: 200 },
    );
    expect(['cancelled', 'running']).toContain(result.status);
    expect(worker.log()).toMatch(new RegExp(`\\[${runId}\\] cancel requested from the workbench`));
    serve.child.kill('SIGINT');
    expect(await serve.exited, serve.log()).toBe(0);
    worker.child.kill('SIGTERM');
  }, 90_000);
});
