/**
 * Worker thread of a model analysis (analysis-host.ts starts it): opens the model from the folder it is given,
 * computes every bound and, with a labelled set, the certificates, and posts the result. The app's and serve's
 * event loop stays free meanwhile: the bounds of a large network take minutes.
 */
import { parentPort } from 'node:worker_threads';
import { join } from 'node:path';
import { selectBackend } from '../../backends/index.js';
import { analyseModel, inferShapes, openModel } from './index.js';
import { certifyImported, loadLabelledSet } from './certify.js';
import type { AnalysisJob, AnalysisReply } from './analysis-host.js';
import { ModelImportError } from './graph.js';
import { CertifyError } from '../../../../shared/certify-math.js';
import { DatasetError } from '../../data/index.js';

async function run(job: AnalysisJob): Promise<AnalysisReply> {
  try {
    await selectBackend('auto');
    const { request } = job;
    const graph = openModel(join(job.dir, job.main));
    const analysis = analyseModel(graph, {
      inputShape: request.inputShape,
      mean: request.mean,
      std: request.std,
      onLayer: (done, total, name) =>
        parentPort?.postMessage({ kind: 'progress', done, total, name } satisfies AnalysisReply),
    });
    if (request.dataset) {
      const set = await loadLabelledSet(request.dataset, request.limit ?? 1000);
      analysis.certificates = await certifyImported(inferShapes(graph, request.inputShape), analysis, set, {
        epsilons: request.epsilons ?? [0.1, 0.25, 0.5, 1],
        mean: request.mean,
        std: request.std,
        pgdSteps: request.pgdSteps ?? 10,
      });
    }
    return { kind: 'result', analysis };
  } catch (err) {
    const user = err instanceof ModelImportError || err instanceof CertifyError || err instanceof DatasetError;
    return { kind: 'error', user, message: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.once('message', (job: AnalysisJob) => {
  void run(job).then((reply) => parentPort?.postMessage(reply));
});
