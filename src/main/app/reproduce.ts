/**
 * The Reproduce view's side of the lab: the paper's experiments (reproduce/index.ts) run from the workbench
 * through the same job as `spectral-lab reproduce` (reproduce/job.ts), one at a time per lab. Its state is
 * pushed as 'reproduce' events (step updates at most every PUSH_MS); its runs are ordinary store runs
 * tagged reproduce:<name>, shown live like other processes' runs (writes() tells the store watch which);
 * the tables and figures go to <store>/reproduce/<id>/, where the list of results finds them after a restart.
 */
import path from 'node:path';
import {
  LabError,
  type LabEvent,
  type ReproduceExperimentInfo,
  type ReproduceJob,
  type ReproduceRequest,
  type ReproduceResult,
  type ReproduceResultInfo,
} from '../../shared/api.js';
import {
  EXPERIMENTS,
  experimentNamed,
  experimentTag,
  listResults,
  OutcomesFileError,
  outcomesId,
  readResult,
  reproduceFolder,
  RESULT_ID,
  RunFailedError,
  runReproduceJob,
  usableBackends,
  type Experiment,
  type JobHooks,
  type JobProgress,
} from '../reproduce/index.js';
import type { Store } from '../store/index.js';
import type { ControlAction } from '../store/run-control.js';
import { errorText } from './service-options.js';

/** Step updates are pushed at most this often (state changes always). */
const PUSH_MS = 250;
/** How long closing the lab waits for a cancelled call to end (a worker still running ends with the process). */
const CLOSE_WAIT_MS = 5_000;

const names = (): string => EXPERIMENTS.map((e) => e.name).join(', ');

export class ReproduceControl {
  private job: ReproduceJob | null = null;
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  private readonly written = new Set<string>();
  /** Pause / resume / cancel asked of a run by the run page, taken by the runner within a fraction of a second. */
  private readonly requests = new Map<string, ControlAction>();
  private publish: (e: LabEvent) => void = () => {};
  private lastPush = 0;

  constructor(private readonly store: Store) {}

  /** The experiments with what they measure and cost, their arms and runs per seed. */
  async experiments(): Promise<ReproduceExperimentInfo[]> {
    const backends = await usableBackends();
    return EXPERIMENTS.map((e) => {
      const runsOf = (size: 'smoke' | 'quick' | 'full') => e.plan({ size, seeds: 1, backends });
      return {
        name: e.name,
        title: e.title,
        measures: e.description,
        cost: e.cost,
        arms: [...new Set(runsOf('quick').map((p) => p.arm))],
        runsPerSeed: { smoke: runsOf('smoke').length, quick: runsOf('quick').length, full: runsOf('full').length },
      };
    });
  }

  /** The call running now, or the last one of this lab (null: none since it started). */
  current(): ReproduceJob | null {
    return this.job;
  }

  /** True for the runs a call of this lab trains (the store watch shows them like another process's runs). */
  writes(runId: string): boolean {
    return this.written.has(runId);
  }

  /** The run page's pause / resume / cancel of the run training now (false: not one of this lab's reproduce runs). */
  control(runId: string, action: ControlAction): boolean {
    if (this.job?.run?.runId !== runId || this.job.state !== 'running') return false;
    this.requests.set(runId, action);
    return true;
  }

  /** Refuses ('busy') while a call of this lab is queued or running: one experiment at a time. */
  assertIdle(): void {
    if (this.job && (this.job.state === 'queued' || this.job.state === 'running'))
      throw new LabError(
        'busy',
        `The experiment '${this.job.experiment}' (${this.job.size}) is running: run ${Math.min(this.job.runIndex + 1, this.job.runCount)} of ${this.job.runCount}.`,
        'One experiment runs at a time: wait for it to finish, or cancel it in the Reproduce view, then start this one.',
      );
  }

  /** Starts a call; `ended` is called once when it is over (done, failed or cancelled), not when start throws. */
  async start(
    req: ReproduceRequest,
    publish: (e: LabEvent) => void,
    ended: () => void = () => {},
  ): Promise<ReproduceJob> {
    this.assertIdle();
    const experiment = experimentNamed(req.experiment);
    if (!experiment)
      throw new LabError(
        'bad-request',
        `No experiment '${req.experiment}'.`,
        `Choose one of ${names()} (listReproduceExperiments).`,
      );
    const startedAt = new Date();
    const id = req.from ?? outcomesId(experiment.name, req.size, startedAt);
    const from = req.from ? await this.savedOutcomes(req.from, experiment) : undefined;
    this.publish = publish;
    this.abort = new AbortController();
    this.job = {
      id,
      experiment: experiment.name,
      size: from ? from.size : req.size,
      seeds: from ? from.seeds : req.seeds,
      state: 'queued',
      phase: null,
      runIndex: 0,
      runCount: 0,
      run: null,
      fraction: 0,
      etaSeconds: null,
      analysis: null,
      runIds: [],
      startedAt: startedAt.getTime(),
      endedAt: null,
      error: null,
      outDir: path.join(reproduceFolder(this.store.paths.dataDir), id),
    };
    this.push(true);
    const job = this.job;
    this.running = runReproduceJob(
      this.store,
      {
        experiment,
        size: req.size,
        seeds: req.seeds,
        out: job.outDir,
        startedAt,
        from: from ? path.join(reproduceFolder(this.store.paths.dataDir), `${id}.json`) : undefined,
        resultFile: true,
      },
      this.hooks(job, this.abort.signal),
    )
      .then(
        () => this.update(job, { state: 'done', phase: null, fraction: 1, etaSeconds: 0, endedAt: Date.now() }),
        (err: unknown) => this.update(job, { ...endOf(err, experiment.name), phase: null, endedAt: Date.now() }),
      )
      .finally(ended);
    return { ...job };
  }

  /** Cancels the running call (its current run is cancelled and stays in the store); nothing is written. */
  cancel(id: string): ReproduceJob {
    if (!this.job || this.job.id !== id)
      throw new LabError(
        'not-found',
        `No reproduce call '${id}' in this lab.`,
        'Reload the Reproduce view: it shows the call that runs now.',
      );
    if (this.job.state === 'queued' || this.job.state === 'running') this.abort?.abort();
    return { ...this.job };
  }

  results(): Promise<ReproduceResultInfo[]> {
    return listResults(this.store.paths.dataDir);
  }

  async result(id: string): Promise<ReproduceResult> {
    const r = await readResult(this.store.paths.dataDir, id);
    if (!r)
      throw new LabError(
        'not-found',
        `No drawn result '${id}' in this store.`,
        'Pick one from the list of finished experiments; one without tables can be drawn with its Draw tables button.',
      );
    return r;
  }

  /** Cancels a running call and waits for it to end (the lab is closing), at most CLOSE_WAIT_MS. */
  async close(): Promise<void> {
    this.abort?.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** The saved outcomes file named by a ReproduceRequest.from, checked: its size and seeds. */
  private async savedOutcomes(id: string, experiment: Experiment) {
    const info = RESULT_ID.test(id) ? (await this.results()).find((r) => r.id === id) : undefined;
    if (!info)
      throw new LabError(
        'not-found',
        `No saved runs '${id}' in this store.`,
        'Pick a finished experiment from the list in the Reproduce view.',
      );
    if (info.experiment !== experiment.name)
      throw new LabError(
        'bad-request',
        `'${id}' holds the runs of '${info.experiment}', not '${experiment.name}'.`,
        `Draw it as experiment '${info.experiment}'.`,
      );
    return info;
  }

  private hooks(job: ReproduceJob, signal: AbortSignal): JobHooks {
    const progress = (p: JobProgress) => ({ runIndex: p.runIndex, fraction: p.fraction, etaSeconds: p.etaSeconds });
    return {
      signal,
      takeControl: (runId) => {
        const action = this.requests.get(runId) ?? null;
        this.requests.delete(runId);
        return action;
      },
      warn: () => {}, // the run's warnings are in its log (the run page shows them)
      onPlanned: (runCount) => this.update(job, { state: 'running', phase: 'training', runCount }),
      onRunStart: (i, _total, run, runId, totalSteps) => {
        this.written.add(runId);
        const r = { runId, arm: run.arm, seed: run.seed, step: 0, totalSteps, etaSeconds: null };
        this.update(job, { runIndex: i, run: r, runIds: [...job.runIds, runId] });
      },
      onStep: (p) => {
        if (job.run) job.run = { ...job.run, step: p.step, etaSeconds: p.runEtaSeconds };
        this.update(job, progress(p), false);
      },
      onRunEnd: (_o, p) => this.update(job, progress(p)),
      onPhase: (phase) => this.update(job, { phase, run: null, runIndex: job.runCount }),
      onAnalysis: (done, total, detail) => this.update(job, { analysis: { done, total, detail } }, false),
    };
  }

  private update(job: ReproduceJob, change: Partial<ReproduceJob>, always = true): void {
    Object.assign(job, change);
    if (job === this.job) this.push(always);
  }

  private push(always: boolean): void {
    const now = Date.now();
    if (!always && now - this.lastPush < PUSH_MS) return;
    this.lastPush = now;
    if (this.job) this.publish({ kind: 'reproduce', at: now, job: { ...this.job } });
  }
}

/** How a call that threw ended, in words that say what to do next. */
function endOf(err: unknown, experiment: string): Pick<ReproduceJob, 'state' | 'error'> {
  const runs = `the runs list (filter ${experimentTag(experiment)})`;
  if (err instanceof RunFailedError && /cancelled/.test(err.message))
    return {
      state: 'cancelled',
      error: {
        message: err.message,
        hint: `The finished runs stay in the store (${runs}); start the experiment again to train all of them.`,
      },
    };
  if (err instanceof RunFailedError)
    return {
      state: 'failed',
      error: {
        message: err.message,
        hint: `Open the failed run from ${runs} to read its log, fix the cause, and run the experiment again; the finished runs are saved and can be drawn with Draw tables.`,
      },
    };
  if (err instanceof OutcomesFileError)
    return { state: 'failed', error: { message: err.message, hint: 'Pick another finished experiment to draw.' } };
  return {
    state: 'failed',
    error: {
      message: errorText(err),
      hint: 'This is unexpected: see the log of the lab process, and try the same experiment from a terminal with `npm run cli -- reproduce`.',
    },
  };
}
