/**
 * Runs a model analysis in its own worker thread (analysis-worker.ts) and resolves with the ModelAnalysis. Under
 * tsx (sources, tests) the worker starts from a bootstrap that registers tsx in that thread first (loader hooks
 * are not inherited by worker threads on Node 20); in a build it is out/main/analysis-worker.js.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelAnalysis, ModelAnalysisRequest } from '../../../../shared/model-analysis.js';
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
  if (!import.meta.url.endsWith('.ts')) {
    const candidates = [
      new URL('./analysis-worker.js', import.meta.url),
      new URL('../analysis-worker.js', import.meta.url),
    ];
    return new Worker(candidates.find((u) => existsSync(fileURLToPath(u))) ?? candidates[0]);
  }
  const target = new URL('./analysis-worker.ts', import.meta.url).href;
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`,
    { eval: true },
  );
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
