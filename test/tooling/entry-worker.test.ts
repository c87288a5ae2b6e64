import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { startEntryWorker } from '../../src/main/engine/entry-worker.js';

const require = createRequire(import.meta.url);
const cache = path.join(path.dirname(path.dirname(require.resolve('esbuild/package.json'))), '.cache');
const root = path.join(cache, 'spectral-lab', 'workers');
// the caller's URL: echo-worker.ts is beside it, as worker.ts is beside engine/host.ts
const caller = new URL('./fixtures/caller.ts', import.meta.url).href;

const firstMessage = (w: Worker) =>
  new Promise<{ url: string; bytes: number }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });

describe('startEntryWorker from the sources', () => {
  it('runs the entry as one bundle in the cache, with the kernels text beside it, and removes day-old bundles', async () => {
    for (const d of existsSync(root) ? readdirSync(root) : []) {
      if (d.startsWith('echo-worker-')) rmSync(path.join(root, d), { recursive: true, force: true });
    }
    mkdirSync(path.join(root, 'echo-worker-stale'), { recursive: true });
    const old = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(path.join(root, 'echo-worker-stale'), old, old);

    const worker = startEntryWorker(caller, 'echo-worker');
    const reply = await firstMessage(worker);
    await worker.terminate();

    const file = fileURLToPath(reply.url);
    expect(path.dirname(path.dirname(file))).toBe(root);
    expect(path.basename(file)).toBe('echo-worker.mjs');
    expect(existsSync(path.join(path.dirname(file), 'kernels', 'gram.wat'))).toBe(true);
    expect(reply.bytes).toBeGreaterThan(100);
    expect(existsSync(path.join(root, 'echo-worker-stale'))).toBe(false);
  });

  it('starts later workers of the same entry from the same bundle', async () => {
    const urls = await Promise.all(
      [0, 1].map(async () => {
        const w = startEntryWorker(caller, 'echo-worker');
        const { url } = await firstMessage(w);
        await w.terminate();
        return url;
      }),
    );
    expect(urls[0]).toBe(urls[1]);
    expect(urls[0]).toMatch(/echo-worker-[0-9a-f]{16}\/echo-worker\.mjs$/);
  });
});
