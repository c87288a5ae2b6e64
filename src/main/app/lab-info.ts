/** What the lab tells about itself: versions, backend, missing pieces, queue; the run config's schema. */
import { z } from 'zod';
import {
  LAB_API_VERSION,
  LabError,
  type ConfigSchemaInfo,
  type JsonObject,
  type LabInfo,
  type ValidationResult,
} from '../../shared/api.js';
import type { BackendReport } from '../../shared/backend.js';
import { RunConfigObjectSchema, safeParseRunConfig } from '../../shared/config.js';
import type { LiveRuns } from './live-runs.js';
import { errorText, type LabServiceOptions } from './service-options.js';

/** The engine's backend report, asked once (a probe loads the backends). */
export function backendProber(opts: LabServiceOptions): () => Promise<BackendReport | null> {
  let probe: Promise<BackendReport | null> | null = null;
  return () => {
    probe ??= opts.engine.probeBackend
      ? opts.engine.probeBackend().catch((err: unknown) => {
          opts.log?.(`backend probe failed: ${errorText(err)}`);
          return null;
        })
      : Promise.resolve(null);
    return probe;
  };
}

export async function getInfo(runs: LiveRuns, report: BackendReport | null): Promise<LabInfo> {
  const opts = runs.opts;
  return {
    app: 'spectral-lab',
    version: opts.version,
    apiVersion: LAB_API_VERSION,
    shell: opts.shell,
    dataDir: opts.dataDir,
    platform: `${process.platform}-${process.arch}`,
    versions: {
      node: process.versions.node,
      electron: opts.versions?.electron ?? null,
      chrome: opts.versions?.chrome ?? null,
    },
    backend: report
      ? {
          active: report.name,
          candidates: report.tried.map((t) => ({
            name: t.name,
            available: t.available,
            note: t.reason ?? (t.name === report.name ? 'in use' : 'available'),
          })),
        }
      : { active: null, candidates: [] },
    missing: opts.missing?.() ?? [],
    queue: runs.queue.state(),
    redis: opts.sweeps?.redisDisplay ?? null,
  };
}

export function getConfigSchema(): ConfigSchemaInfo {
  const jsonSchema = z.toJSONSchema(RunConfigObjectSchema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  const parsed = safeParseRunConfig({});
  if (!parsed.success)
    throw new LabError(
      'internal',
      `The default run config is invalid: ${parsed.error.message}`,
      'Fix the defaults in src/shared/config.ts.',
    );
  return { jsonSchema, defaults: parsed.data as unknown as Record<string, unknown> };
}

export function validateConfig(config: unknown): ValidationResult {
  const r = safeParseRunConfig(config);
  return r.success
    ? { ok: true, errors: [], config: r.data as unknown as Record<string, unknown> }
    : { ok: false, errors: r.error.issues };
}
