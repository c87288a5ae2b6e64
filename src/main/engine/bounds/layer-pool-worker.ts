/**
 * A thread of the layer pool (layer-pool.ts): selects the backend once, then computes whole layers as they are
 * handed out and posts each report back.
 */
import { parentPort } from 'node:worker_threads';
import { KernelError } from '../../../shared/bounds.js';
import { selectBackend } from '../backends/index.js';
import { allowCommandThreads } from '../command-thread.js';
import { computeLayerBounds } from './layer-report.js';
import type { PoolReply, PoolRequest } from './layer-pool.js';

const post = (r: PoolReply) => parentPort?.postMessage(r);

async function handle(m: PoolRequest): Promise<void> {
  try {
    if (m.kind === 'init') {
      allowCommandThreads(m.innerThreads);
      const backend = await selectBackend(m.backend);
      return post({ kind: 'ready', backend: { name: backend.name, summary: backend.summary } });
    }
    const { name, kernel, geometry } = m.job;
    post({ kind: 'report', index: m.index, report: computeLayerBounds(name, kernel, geometry, m.bounds) });
  } catch (err) {
    post({
      kind: 'error',
      user: err instanceof KernelError,
      message: err instanceof Error ? err.message : String(err),
    });
  }
}

parentPort?.on('message', (m: PoolRequest) => void handle(m));
