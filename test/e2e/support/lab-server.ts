/**
 * A real lab for the e2e tests, started exactly as a user starts one: the `spectral-lab serve` command as a
 * child process (SQLite store, engine worker threads, the built renderer in out/renderer) on a free port,
 * with a fresh data folder and two runs allowed to train at once. The test talks to it like the page does:
 * POST /api/<method> {"args": [...]} with the printed token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unwrapReply, type LabArgs, type LabMethod, type LabResult } from '../../../src/shared/api.js';
import { spawnServe, type ServeProcess } from './serve-process.js';

export interface LabServer {
  /** The printed link (with ?token=). */
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  process: ServeProcess;
  /** One API call over HTTP with the token; a refusal or error reply rejects with its LabError. */
  api<M extends LabMethod>(method: M, ...args: LabArgs<M>): Promise<LabResult<M>>;
  /** Throws with the server's output when it has died. */
  assertAlive(): void;
  /** Stops the child (SIGINT, SIGKILL after a grace period) and removes the data folder. */
  close(): Promise<void>;
}

export async function startLabServer(): Promise<LabServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-e2e-'));
  let serve: ServeProcess;
  try {
    serve = await spawnServe({ dataDir, maxConcurrent: 2 });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const diedBeforeClose = () => serve.exited() !== null;
  return {
    url: serve.link.href,
    origin: serve.origin,
    token: serve.token,
    dataDir,
    process: serve,
    async api(method, ...args) {
      serve.assertAlive();
      const res = await fetch(`${serve.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${serve.token}` },
        body: JSON.stringify({ args }),
      });
      return unwrapReply(await res.json());
    },
    assertAlive: () => serve.assertAlive(),
    async close() {
      const early = diedBeforeClose();
      try {
        // Runs still training are cancelled by serve itself on SIGINT; a slow store close gets SIGKILL.
        await serve.stop(15_000);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
      if (early) serve.assertAlive();
    },
  };
}
