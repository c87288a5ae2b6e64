/**
 * Argument checks for every LabApi method, applied in the main process / server before the service
 * sees a call: the UI is untrusted input like any other. One schema per method; the `satisfies`
 * makes a method without a schema a compile error.
 */
import { z } from 'zod';
import {
  LabError,
  MAX_REPORT_RUNS,
  MAX_RUNS_PER_CALL,
  RUN_STATUSES,
  type LabArgs,
  type LabMethod,
} from '../../shared/api.js';
import { BOUND_METHODS, type BoundMethodSpec } from '../../shared/bound-methods.js';

/** The API's method enum: the registry's ids (a registry can be passed, as the tests do with a fake method). */
export function boundMethodEnum(registry: readonly BoundMethodSpec[] = BOUND_METHODS) {
  return z.enum(registry.map((m) => m.id) as [string, ...string[]]);
}

const runId = z.string().min(1).max(200);
const runIds = z
  .array(runId)
  .min(1)
  .max(
    MAX_RUNS_PER_CALL,
    `at most ${MAX_RUNS_PER_CALL} runs per call; ask in batches of ${MAX_RUNS_PER_CALL} (the workbench does)`,
  );
/** Empty when the report is of model analyses only (getReport's refine asks for one or the other). */
const reportRunIds = z
  .array(runId)
  .max(
    MAX_REPORT_RUNS,
    `a report takes at most ${MAX_REPORT_RUNS} runs; select fewer runs, or write the report of more with \`spectral-lab export --filter TEXT --format html\``,
  );
const config = z.record(z.string(), z.unknown());
const certifiedRadiiQuery = z
  .strictObject({ step: z.union([z.number().int().min(0), z.literal('latest')]).optional() })
  .optional();

const none = z.tuple([]);

export const ARG_SCHEMAS = {
  getInfo: none,
  getConfigSchema: none,
  getPresets: none,
  validateConfig: z.tuple([z.unknown()]),
  startRun: z.tuple([
    config,
    z
      .strictObject({
        queue: z.boolean().optional(),
        name: z.string().min(1).max(200).optional(),
        tags: z.array(z.string().min(1).max(64)).max(32).optional(),
        notes: z.string().max(100_000).optional(),
      })
      .optional(),
  ]),
  pauseRun: z.tuple([runId]),
  resumeRun: z.tuple([runId]),
  cancelRun: z.tuple([runId]),
  listRuns: z.tuple([
    z
      .strictObject({
        status: z.array(z.enum(RUN_STATUSES)).optional(),
        tags: z.array(z.string()).optional(),
        search: z.string().max(200).optional(),
        dataset: z.string().optional(),
        model: z.string().optional(),
        regulariser: z.string().optional(),
        sort: z.enum(['created', 'started', 'ended', 'name', 'status', 'lastStep']).optional(),
        order: z.enum(['asc', 'desc']).optional(),
        limit: z.number().int().min(1).max(10_000).optional(),
        offset: z.number().int().min(0).optional(),
      })
      .optional(),
  ]),
  getRun: z.tuple([runId]),
  startSweep: z.tuple([config, z.strictObject({ workers: z.enum(['local', 'redis']).optional() }).optional()]),
  listSweeps: none,
  getSweep: z.tuple([z.string().min(1).max(200)]),
  listQueue: none,
  moveQueuedRun: z.tuple([runId, z.number().int().min(1)]),
  retryRun: z.tuple([runId]),
  analyseModel: z.tuple([
    z.strictObject({
      files: z
        .array(z.strictObject({ name: z.string().min(1).max(255), base64: z.string() }))
        .min(1)
        .max(64),
    }),
    z
      .strictObject({
        inputShape: z.array(z.number().int().min(1)).min(1).max(3).optional(),
        mean: z.array(z.number()).min(1).max(64).optional(),
        std: z.array(z.number().positive()).min(1).max(64).optional(),
        dataset: z.string().min(1).max(4096).optional(),
        epsilons: z.array(z.number().positive()).min(1).max(64).optional(),
        limit: z.number().int().min(1).max(100_000).optional(),
        pgdSteps: z.number().int().min(0).max(1000).optional(),
        name: z.string().min(1).max(200).optional(),
      })
      .optional(),
  ]),
  listModelAnalyses: none,
  getModelAnalysis: z.tuple([z.string().min(1).max(200)]),
  deleteModelAnalysis: z.tuple([z.string().min(1).max(200)]),
  listReproduceExperiments: none,
  startReproduce: z.tuple([
    z.strictObject({
      experiment: z.string().min(1).max(64),
      size: z.enum(['smoke', 'quick', 'full']),
      seeds: z.number().int().min(1, 'at least 1 seed').max(100, 'at most 100 seeds (3 gives mean ± sd)'),
      from: z.string().min(1).max(200).optional(),
    }),
  ]),
  getReproduceJob: none,
  cancelReproduce: z.tuple([z.string().min(1).max(200)]),
  listReproduceResults: none,
  getReproduceResult: z.tuple([z.string().min(1).max(200)]),
  getSeries: z.tuple([
    z
      .strictObject({
        runIds,
        names: z.array(z.string().min(1)).min(1).max(256),
        budget: z.number().int().min(2).max(100_000).optional(),
        fromStep: z.number().optional(),
        toStep: z.number().optional(),
        xAxis: z.enum(['step', 'epoch', 'time']).optional(),
      })
      .refine((q) => q.fromStep === undefined || q.toStep === undefined || q.fromStep <= q.toStep, {
        message: 'fromStep must not be after toStep (give the step range low end first)',
        path: ['fromStep'],
      }),
  ]),
  getLayerBounds: z.tuple([
    runId,
    z
      .strictObject({
        step: z.union([z.number().int().min(0), z.literal('latest')]).optional(),
        methods: z.array(boundMethodEnum()).optional(),
      })
      .optional(),
  ]),
  getCertifiedRadii: z.tuple([runId, certifiedRadiiQuery]),
  getCertifiedRadiiOfRuns: z.tuple([runIds, certifiedRadiiQuery]),
  getSpectrum: z.tuple([
    runId,
    z.strictObject({
      layer: z.string().min(1).max(200),
      step: z.union([z.number().int().min(0), z.literal('latest')]).optional(),
    }),
  ]),
  diffConfigs: z.tuple([runIds, z.strictObject({ all: z.boolean().optional() }).optional()]),
  runSummaries: z.tuple([runIds]),
  getRuns: z.tuple([runIds]),
  getReport: z
    .tuple([
      reportRunIds,
      z.strictObject({
        format: z.enum(['html', 'pdf']),
        analyses: z.array(z.string().min(1).max(200)).min(1).max(16).optional(),
      }),
    ])
    .refine(([ids, o]) => ids.length > 0 || (o.analyses?.length ?? 0) > 0, {
      message: 'a report needs at least one run id or one model analysis id (options.analyses)',
      path: [0],
    }),
  setTags: z.tuple([runId, z.array(z.string().trim().min(1).max(64)).max(32)]),
  setNotes: z.tuple([runId, z.string().max(100_000)]),
  deleteRun: z.tuple([runId]),
  getRunLog: z.tuple([runId]),
  resumeFromCheckpoint: z.tuple([runId]),
} satisfies Record<LabMethod, z.ZodType>;

/** Parse positional args of `method`; a LabError 'bad-request' naming each bad argument otherwise. */
export function parseArgs<M extends LabMethod>(method: M, args: unknown): LabArgs<M> {
  if (!Array.isArray(args)) {
    throw new LabError(
      'bad-request',
      `${method}: arguments must be a JSON array, got ${typeof args}.`,
      'Send {"args": [...]} with the positional arguments.',
    );
  }
  const schema = ARG_SCHEMAS[method] as z.ZodType;
  // Trailing nulls stand for omitted optional arguments (JSON has no undefined).
  const trimmed = [...args];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === null) trimmed.pop();
  const r = schema.safeParse(trimmed);
  if (r.success) return r.data as LabArgs<M>;
  const problems = r.error.issues.map((i) => `${argPath(i.path)}: ${i.message}`);
  throw new LabError(
    'bad-request',
    `${method}: invalid arguments — ${problems.join('; ')}.`,
    'Check the argument types against LabApi in src/shared/api.ts.',
    problems,
  );
}

function argPath(p: PropertyKey[]): string {
  const [first, ...rest] = p;
  if (first === undefined) return 'args';
  return `args[${String(first)}]` + rest.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
}
