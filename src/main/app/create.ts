/**
 * Assembling the lab for a shell: open the store of a data folder, attach the engine, and build the
 * LabService. Shared by the Electron main process and `spectral-lab serve`, so both behave the same.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { safeParseRunConfig } from '../../shared/config.js';
import type { LabInfo } from '../../shared/api.js';
import { openStore, storePaths } from '../store/index.js';
import { hostEngine } from './engine-adapter.js';
import { watchExternalRuns } from './external-runs.js';
import { detectMissing, findProjectRoot, packageVersion } from './info.js';
import { loadPresets } from './presets.js';
import { LabService } from './service.js';
import { SqliteStorePort } from './store-adapter.js';
import { SweepControl } from './sweeps.js';
import type { RedisSweeps } from '../queue/redis-sweeps.js';
import { ModelAnalysisControl } from './model-analyses.js';
import { ReproduceControl } from './reproduce.js';
import { labReporter } from '../report/lab-report.js';
import { chromiumPrinter, type PdfPrinter } from '../report/pdf.js';

export interface CreateLabOptions {
  dataDir: string;
  shell: LabInfo['shell'];
  versions?: { electron: string | null; chrome: string | null };
  /** Runs that may train at the same time when started "now" (default 1: each run uses the CPU fully). */
  maxConcurrent?: number;
  /** Worker entry for the engine (default: the built worker.js, or the engine's own default under tsx). */
  workerUrl?: URL;
  /** Folder of preset experiment files (default: resources/experiments of the project). */
  presetsDir?: string | null;
  log?: (message: string) => void;
  /** Prints the Report button's PDF (the app: Electron's printToPDF); default: the headless Chromium. */
  printPdf?: () => PdfPrinter;
  /** Sweeps may go to Redis workers, this lab owning them (`serve --redis URL`; RedisSweeps.connect reached Redis first). */
  redis?: RedisSweeps | null;
}

export async function createLab(opts: CreateLabOptions): Promise<LabService> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = findProjectRoot(here) ?? process.cwd();
  const log = opts.log ?? ((m: string) => console.error(m));
  const store = await openStore({
    dataDir: opts.dataDir,
    validateConfig: (c: unknown) => {
      const r = safeParseRunConfig(c);
      return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.message };
    },
    onError: (err) => log(`store: ${err.message}`),
  });
  for (const r of store.recoveredRuns)
    log(
      `run ${r.id} was left ${r.status === 'cancelled' ? 'queued' : 'running'} by a process that stopped; marked as ${r.status}.`,
    );
  const presetsDir = opts.presetsDir === undefined ? path.join(root, 'resources', 'experiments') : opts.presetsDir;
  const reproduce = new ReproduceControl(store);
  const lab = new LabService({
    engine: hostEngine({
      checkpointRoot: storePaths(opts.dataDir).checkpoints,
      workerUrl: opts.workerUrl,
      maxConcurrent: opts.maxConcurrent,
    }),
    store: new SqliteStorePort(store, opts.shell),
    dataDir: store.paths.dataDir,
    shell: opts.shell,
    version: packageVersion(root),
    versions: opts.versions,
    maxConcurrent: opts.maxConcurrent ?? 1,
    presets: () => loadPresets(presetsDir, (m) => log(m)),
    missing: () => detectMissing(root, opts.shell),
    report: labReporter(store, opts.printPdf ?? (() => chromiumPrinter())),
    sweeps: new SweepControl(store, opts.redis ?? null),
    models: new ModelAnalysisControl(store.modelAnalyses),
    reproduce,
    // Bound late: the watch needs the service it publishes to.
    external: { control: (runId, action) => watch.control(runId, action) },
    log,
  });
  // Runs that `train --store`, scripts or another app record into the same store appear live (within ~1 s).
  // So do the runs this lab writes from Redis workers' events and its reproduce calls train (written here, but
  // not by this lab's engine).
  const watch = watchExternalRuns(store, lab, {
    log,
    remoteRuns: (runId) => (opts.redis?.writes(runId) ?? false) || reproduce.writes(runId),
    // The run page's pause / resume / cancel of a run a Redis worker or this lab's reproduce call trains.
    relay: async (runId, action, by) =>
      reproduce.control(runId, action) || ((await opts.redis?.control(runId, action, by)) ?? false),
  });
  return lab;
}
