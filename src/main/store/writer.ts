/**
 * StoreWriter: what the engine holds while a run trains. Appends are synchronous and cheap (they
 * land in the store's batch); `flush` makes them durable; `start`/`finish` move the run through its
 * states after flushing, so a finished run never has points still in flight.
 */
import zlib from 'node:zlib';
import type {
  CertPoint,
  LayerBoundKind,
  LayerBoundPoint,
  LayerInput,
  RunRecord,
  RunStatus,
  ScalarPoint,
  SpectrumInput,
  StatusChange,
} from '../../shared/records.js';
import type { BatchWriter, FlushStats, SeriesBuffer } from './batch.js';
import { StoreError } from './errors.js';
import { checkLayerInput } from './layers.js';
import { checkRadii, type RadiiByCertificate } from './cert-radii.js';

/** What the writer needs from the store (kept narrow so it can be tested and reasoned about alone). */
export interface WriterHost {
  batch: BatchWriter;
  setStatus(runId: string, change: StatusChange): Promise<RunRecord>;
  /** Insert or update layers of the run (internal id), in one transaction. */
  upsertLayers(rid: number, layers: readonly LayerInput[]): Promise<void>;
  /** Store one evaluation's certified radii per certificate (cert-radii.ts), in one transaction. */
  putCertRadii(rid: number, step: number, radii: RadiiByCertificate): Promise<void>;
  /** Called once when the writer closes (frees the run's lock, lock.ts). */
  closed?(): void;
}

export const EPOCH_SERIES = 'epoch';
const BOUND_KINDS: readonly LayerBoundKind[] = ['upper', 'exact', 'estimate'];

export function boundSeriesName(method: string, layer: string): string {
  return `bound/${method}/${layer}`;
}

function bad(what: string, hint: string): StoreError {
  return new StoreError('invalid-input', what, hint);
}

function checkStep(step: number, what: string): void {
  if (!Number.isSafeInteger(step) || step < 0) {
    throw bad(`${what}: step ${step} is not a non-negative integer.`, 'Pass the global training step (0, 1, 2, ...).');
  }
}

function checkName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw bad(
      `${what}: name ${JSON.stringify(name)} must be a non-empty string of at most 200 characters.`,
      'Use names like "train/loss".',
    );
  }
}

/** Iterations and time of a bound, checked; null when the point carries neither. */
function boundDetail(p: LayerBoundPoint): { iterations: number | null; timeMs: number | null } | null {
  if (p.iterations === undefined && p.timeMs === undefined) return null;
  const what = `layer bound ${p.method} of ${p.layer} at step ${p.step}`;
  if (p.iterations !== undefined && !(Number.isSafeInteger(p.iterations) && p.iterations >= 0)) {
    throw bad(
      `${what}: iterations ${String(p.iterations)} is not a non-negative integer.`,
      'Pass the iterations the method ran (0 for a closed form), or leave it out.',
    );
  }
  if (p.timeMs !== undefined && !(typeof p.timeMs === 'number' && p.timeMs >= 0 && Number.isFinite(p.timeMs))) {
    throw bad(
      `${what}: timeMs ${String(p.timeMs)} is not a finite non-negative number.`,
      'Pass the wall time of the computation in milliseconds, or leave it out.',
    );
  }
  return { iterations: p.iterations ?? null, timeMs: p.timeMs ?? null };
}

export class StoreWriter {
  private readonly buffers = new Map<string, SeriesBuffer>();
  /** Layers as last written, so an evaluation repeating them costs no transaction. */
  private readonly layersWritten = new Map<string, string>();
  private lastEpochStep = -1;
  private closed = false;

  constructor(
    private readonly host: WriterHost,
    readonly runId: string,
    private readonly rid: number,
    private readonly createdAt: number,
  ) {
    host.batch.setLive(rid, true);
  }

  private ensureOpen(): void {
    if (this.closed)
      throw new StoreError(
        'closed',
        `The writer of run ${this.runId} is closed.`,
        'Open a new writer with store.writer(runId).',
      );
    if (this.host.batch.isDeleted(this.rid))
      throw new StoreError(
        'not-found',
        `Run ${this.runId} was deleted; its writer cannot record anything.`,
        'Create a new run.',
      );
  }

  private buf(name: string, bound?: { layer: string; method: string; kind: string }): SeriesBuffer {
    let b = this.buffers.get(name);
    if (!b) {
      checkName(name, bound ? 'layer bound' : 'scalar point');
      if (!bound && name.startsWith('bound/')) {
        throw bad(`scalar point: name "${name}" is reserved for layer bounds.`, 'Append it with bound() instead.');
      }
      b = this.host.batch.buffer(this.rid, name, this.createdAt, bound);
      this.buffers.set(name, b);
    }
    return b;
  }

  /** One scalar point. `epoch` (fractional) is kept once per step in the "epoch" series. */
  scalar(name: string, step: number, value: number, epoch?: number, wall: number = Date.now()): void {
    this.ensureOpen();
    checkStep(step, name);
    if (typeof value !== 'number')
      throw bad(
        `${name} at step ${step}: value ${String(value)} is not a number.`,
        'Pass a number (NaN is kept as a gap).',
      );
    const b = this.buf(name);
    b.steps.push(step);
    b.values.push(value);
    b.walls.push(wall);
    let rows = 1;
    if (epoch !== undefined && step > this.lastEpochStep && name !== EPOCH_SERIES) {
      this.lastEpochStep = step;
      const e = this.buf(EPOCH_SERIES);
      e.steps.push(step);
      e.values.push(epoch);
      e.walls.push(wall);
      rows++;
    }
    this.host.batch.added(rows);
  }

  scalars(points: readonly ScalarPoint[]): void {
    for (const p of points) this.scalar(p.name, p.step, p.value, p.epoch, p.wall);
  }

  /** A per-layer spectral-norm value, stored as series "bound/<method>/<layer>". */
  bound(p: LayerBoundPoint): void {
    this.ensureOpen();
    checkName(p.layer, 'layer bound');
    checkName(p.method, 'layer bound');
    if (p.method.includes('/'))
      throw bad(`layer bound: method "${p.method}" must not contain "/".`, 'Use names like "f4" or "sedghi-exact".');
    if (!BOUND_KINDS.includes(p.kind))
      throw bad(
        `layer bound: kind "${String(p.kind)}" is not one of ${BOUND_KINDS.join(', ')}.`,
        'Say whether the value is an upper bound, exact, or an estimate.',
      );
    checkStep(p.step, `bound ${p.method} of ${p.layer}`);
    const b = this.buf(boundSeriesName(p.method, p.layer), { layer: p.layer, method: p.method, kind: p.kind });
    const detail = boundDetail(p);
    b.steps.push(p.step);
    b.values.push(p.value);
    b.walls.push(p.wall ?? Date.now());
    this.host.batch.added(1);
    if (detail)
      this.host.batch.addBoundDetail({ rid: this.rid, layer: p.layer, method: p.method, step: p.step, ...detail });
  }

  bounds(points: readonly LayerBoundPoint[]): void {
    for (const p of points) this.bound(p);
  }

  /**
   * The conv and dense layers the bounds are computed for (kernel HWIO, stride, padding, input size):
   * written at once (not batched), skipping layers unchanged since the last call.
   */
  /** Every test point's certified radius per certificate at an evaluation, ascending (checked: a refused list writes nothing). */
  async certRadii(step: number, radii: RadiiByCertificate): Promise<void> {
    this.ensureOpen();
    checkRadii(step, radii);
    await this.host.putCertRadii(this.rid, step, radii);
  }

  async layers(layers: readonly LayerInput[]): Promise<void> {
    this.ensureOpen();
    for (const l of layers) checkLayerInput(l);
    const changed = layers.filter((l) => this.layersWritten.get(l.name) !== JSON.stringify(l));
    if (changed.length === 0) return;
    await this.host.upsertLayers(this.rid, changed);
    for (const l of changed) this.layersWritten.set(l.name, JSON.stringify(l));
  }

  cert(p: CertPoint): void {
    this.ensureOpen();
    checkStep(p.step, 'certified accuracy');
    if (!(p.eps > 0) || !Number.isFinite(p.eps))
      throw bad(`certified accuracy: eps ${p.eps} must be a positive number.`, 'Pass the l2 radius, e.g. 36/255.');
    if (!Number.isFinite(p.accuracy))
      throw bad(
        `certified accuracy at eps ${p.eps}: accuracy ${p.accuracy} is not a number.`,
        'Pass a fraction in [0, 1].',
      );
    this.host.batch.addCert({
      rid: this.rid,
      step: p.step,
      eps: p.eps,
      accuracy: p.accuracy,
      pairwise: p.pairwise ?? null,
    });
  }

  /** Singular values of a layer, zlib-compressed (float32 input stays float32). */
  spectrum(s: SpectrumInput): void {
    this.ensureOpen();
    checkName(s.layer, 'spectrum');
    checkStep(s.step, `spectrum of ${s.layer}`);
    const arr = s.values instanceof Float32Array ? s.values : Float64Array.from(s.values);
    const bytes = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
    this.host.batch.addSpectrum({
      rid: this.rid,
      layer: s.layer,
      method: s.method ?? 'sedghi-exact',
      step: s.step,
      count: arr.length,
      dtype: arr instanceof Float32Array ? 'f32' : 'f64',
      data: zlib.deflateSync(bytes),
    });
  }

  get pendingRows(): number {
    return this.host.batch.pendingRows;
  }

  /** Bound memory when producing faster than the disk takes it. */
  throttle(): Promise<void> {
    return this.host.batch.throttle();
  }

  flush(): Promise<FlushStats> {
    return this.host.batch.flush();
  }

  /** Refresh the heartbeat now (the batch also does it every heartbeat interval). */
  async heartbeat(): Promise<void> {
    await this.host.batch.flush();
  }

  async setStatus(change: StatusChange): Promise<RunRecord> {
    await this.host.batch.flush();
    return this.host.setStatus(this.runId, change);
  }

  start(backend?: string | null): Promise<RunRecord> {
    return this.setStatus({ status: 'running', backend });
  }

  finish(
    status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'>,
    detail: { error?: string; reason?: string } = {},
  ): Promise<RunRecord> {
    return this.setStatus({ status, error: detail.error ?? null, reason: detail.reason ?? null });
  }

  /** Flush and stop the heartbeat. The run keeps its status (finish() it first). */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.host.batch.flush();
    } finally {
      // Even when the last flush fails (disk full): the run's lock is freed and the process can end.
      this.closed = true;
      this.host.batch.setLive(this.rid, false);
      this.host.closed?.();
    }
  }
}
