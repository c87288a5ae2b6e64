/**
 * The EnginePort over the engine host (src/main/engine/host.ts): one worker thread per run, checkpoints
 * in the data folder. The backend report for getInfo probes without activating anything, so asking
 * does not load a backend into the main process.
 */
import os from 'node:os';
import { describeBackendSelection, type BackendAttempt, type BackendReport } from '../../shared/backend.js';
import type { RunConfig } from '../../shared/config.js';
import { startRun } from '../engine/host.js';
import { checkpointFolder } from '../engine/train/checkpoint-folder.js';
import type { EnginePort, EngineRun, ResumePoint } from './ports.js';
import { settings } from '../settings.js';

export interface HostEngineOptions {
  /** Checkpoints of run X go to <checkpointRoot>/<X>. */
  checkpointRoot: string;
  /** Worker entry; default: the engine host's own (worker.js of the build, or worker.ts under tsx). */
  workerUrl?: URL;
  /** Runs that may train at once: with more than one, each run's WASM thread pool gets its share of the cores. */
  maxConcurrent?: number;
}

/**
 * WASM threads per run when up to `maxConcurrent` runs train at once: the cores divided among them (at least 1, at
 * most the default's 4), so that concurrent runs do not oversubscribe the machine (a thread pool waits for its
 * slowest thread). Undefined, i.e. the process's own setting, for a single run or when SPECTRAL_LAB_WASM_THREADS is
 * set explicitly.
 */
export function wasmThreadsPerRun(
  maxConcurrent: number,
  cores = os.availableParallelism(),
  env = process.env,
): number | undefined {
  if (maxConcurrent <= 1 || settings(env).wasmThreads !== null) return undefined;
  return Math.max(1, Math.min(4, Math.floor(cores / maxConcurrent)));
}

export function hostEngine(opts: HostEngineOptions): EnginePort {
  const workerUrl = opts.workerUrl;
  const wasmThreads = wasmThreadsPerRun(opts.maxConcurrent ?? 1);
  return {
    start(runId: string, config: RunConfig, options?: { resumeFrom?: ResumePoint }): EngineRun {
      const h = startRun(config, {
        runId,
        ...(options?.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
        // checkpoints.dir of the config is honoured; otherwise the store's checkpoints folder.
        checkpointDir: checkpointFolder(config, runId, opts.checkpointRoot),
        ...(workerUrl ? { workerUrl } : {}),
        ...(wasmThreads ? { wasmThreads } : {}),
      });
      return {
        onEvent: (l) => h.on(l),
        pause: () => h.pause(),
        resume: () => h.resume(),
        cancel: (reason) => h.cancel(reason),
        done: h.done,
      };
    },
    probeBackend,
  };
}

/** Which backend 'auto' would pick, and why the better ones are unavailable (no activation). */
export async function probeBackend(): Promise<BackendReport> {
  const { DEFAULT_PROBES } = await import('../engine/backends/index.js');
  const tried: BackendAttempt[] = [];
  let chosen: BackendAttempt | null = null;
  for (const p of DEFAULT_PROBES) {
    const reason = await p
      .unavailableReason()
      .catch((e: unknown) => `probe failed: ${e instanceof Error ? e.message : String(e)}`);
    const attempt: BackendAttempt =
      reason === null ? { name: p.name, available: true } : { name: p.name, available: false, reason };
    tried.push(attempt);
    if (reason === null && !chosen) chosen = attempt;
  }
  const name = chosen?.name ?? 'cpu';
  return { name, requested: 'auto', tried, versions: {}, summary: describeBackendSelection(name, tried) };
}
