/**
 * Runs a model analysis in its own worker thread (analysis-worker.ts; entry-worker.ts starts it from a build or the
 * sources) and resolves with the ModelAnalysis.
 */
import type { Worker } from 'node:worker_threads';
import type { ModelAnalysis, ModelAnalysisRequest } from '../../../../shared/model-analysis.js';
import { startEntryWorker } from '../../entry-worker.js';
import { ModelImportError } from './graph.js';

export interface AnalysisJob {
  /** Folder holding the uploaded files; `main` is the model file in it. */
  dir: string;
  main: string;
  request: ModelAnalysisRequest;
}

export type AnalysisReply =
  | { kind: 'progress'; done: number; total: number; name: string }
  | { kind: 'result'; analysis: ModelAnalysis }
  /** user: the file or the request is at fault (becomes a bad-request), otherwise a bug. */
  | { kind: 'error'; user: boolean; message: string };

function spawnAnalysisWorker(): Worker {
  return startEntryWorker(import.meta.url, 'analysis-worker');
}

export function analyseInWorker(
  job: AnalysisJob,
  onProgress?: (done: number, total: number, name: string) => void,
): Promise<ModelAnalysis> {
  const worker = spawnAnalysisWorker();
  return new Promise<ModelAnalysis>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (r: AnalysisReply) => {
      if (r.kind === 'progress') onProgress?.(r.done, r.total, r.name);
      else if (r.kind === 'result') finish(() => resolve(r.analysis));
      else finish(() => reject(r.user ? new ModelImportError(r.message) : new Error(r.message)));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`the model analysis thread crashed: ${err.message}`))));
    worker.on('exit', (code) =>
      finish(() => reject(new Error(`the model analysis thread exited (code ${code}) before answering.`))),
    );
    worker.postMessage(job);
  });
}
