/**
 * A real lab behind `serve` for the e2e tests: the same createLab (SQLite store + engine worker) and
 * startServer the `spectral-lab serve` command uses, on a free port, with a fresh data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab } from '../../../src/main/app/create.js';
import { startServer, type RunningServer } from '../../../src/main/serve/server.js';
import type { LabService } from '../../../src/main/app/service.js';

export interface LabServer {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  service: LabService;
  server: RunningServer;
  log: string[];
  close(): Promise<void>;
}

export async function startLabServer(rendererDir: string, port = 0): Promise<LabServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lab-e2e-'));
  const log: string[] = [];
  const service = await createLab({ dataDir, shell: 'serve', maxConcurrent: 2, log: (m) => log.push(m) });
  const server = await startServer({ service, port, rendererDir, log: (m) => log.push(m) });
  return {
    url: server.url,
    origin: server.origin,
    token: server.token,
    dataDir,
    service,
    server,
    log,
    async close() {
      try {
        await server.close();
        await service.close(5000);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
