/**
 * The run queue. Two ways to start: now (alongside active runs, up to `maxConcurrent` — each run is a
 * worker thread and the machine may have two cores) or queued (in submission order, whenever fewer than
 * `maxConcurrent` runs are active: a sweep trains N at a time). Paused runs still hold their worker, so
 * they count as active. The order of the waiting runs is also kept in the store (app/sweeps.ts).
 */
import { LabError, type QueueState } from '../../shared/api.js';

/** Asked before a waiting run starts, so a run another process took from the store's queue is not trained twice. */
export interface QueueGate {
  mayStart(runId: string): Promise<boolean>;
  /** The run may not start here: it left the queue. */
  dropped(runId: string): void;
}

export class RunQueue {
  private readonly active = new Set<string>();
  private readonly waiting: string[] = [];
  /** Runs whose slot is held while the gate (the store claim) answers: started by nobody yet. */
  private readonly gating = new Set<string>();
  /** Slots held by work that trains outside this queue: a reproduce call of the lab (app/reproduce.ts). */
  private held = 0;

  constructor(
    readonly maxConcurrent: number,
    /** Starts a run; must not throw (report failures through the run's status instead). */
    private readonly launch: (runId: string) => void,
    private readonly onChange: (state: QueueState) => void = () => {},
    private readonly gate: QueueGate | null = null,
  ) {
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new Error(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
    }
  }

  /** Check before creating the run record, so a refused start leaves nothing behind. */
  assertCanStartNow(): void {
    if (this.used() >= this.maxConcurrent) {
      throw new LabError(
        'busy',
        this.held
          ? `A reproduce experiment of this lab is training (the limit is ${this.maxConcurrent} at once).`
          : `${this.active.size} run(s) are already active (the limit is ${this.maxConcurrent}).`,
        'Queue the run instead (it starts when the slot is free), or cancel what is active.',
      );
    }
  }

  /**
   * Take a slot for work that trains outside the queue (a reproduce call): it counts like an active run until
   * unhold(), so runs started now or queued do not train beside it on the same cores beyond maxConcurrent.
   */
  hold(): void {
    if (this.used() >= this.maxConcurrent) {
      throw new LabError(
        'busy',
        `${this.active.size} run(s) are active (the limit is ${this.maxConcurrent} at once); an experiment needs a free slot.`,
        'Wait for them to end or cancel them, then start the experiment (or start serve with --max-concurrent 2).',
      );
    }
    this.held++;
    this.onChange(this.state());
  }

  unhold(): void {
    if (this.held === 0) return;
    this.held--;
    this.drain();
    this.onChange(this.state());
  }

  private used(): number {
    return this.active.size + this.held;
  }

  submit(runId: string, queue: boolean): { status: 'running' | 'queued'; queuePosition: number | null } {
    if (!queue) {
      this.assertCanStartNow();
      this.active.add(runId);
      this.launch(runId);
      this.onChange(this.state());
      return { status: 'running', queuePosition: null };
    }
    this.waiting.push(runId);
    this.drain();
    this.onChange(this.state());
    const pos = this.position(runId);
    return pos === null ? { status: 'running', queuePosition: null } : { status: 'queued', queuePosition: pos };
  }

  /** A run ended (any final status): free its slot and start the next queued one. */
  release(runId: string): void {
    const had = this.active.delete(runId);
    const idx = this.waiting.indexOf(runId);
    if (idx >= 0) this.waiting.splice(idx, 1);
    if (had || idx >= 0) {
      this.drain();
      this.onChange(this.state());
    }
  }

  /** Take a queued run out of the queue (cancel before start). False if it is not waiting. */
  withdraw(runId: string): boolean {
    // A run whose slot is held while the gate answers has not started either: a cancel now must stop it from starting
    // (it has no worker to tell yet), and its slot goes to the next run.
    if (this.gating.delete(runId)) {
      this.active.delete(runId);
      this.drain();
      this.onChange(this.state());
      return true;
    }
    const idx = this.waiting.indexOf(runId);
    if (idx < 0) return false;
    this.waiting.splice(idx, 1);
    this.onChange(this.state());
    return true;
  }

  /** Move a waiting run to a 1-based place (clamped); false when it is not waiting. */
  move(runId: string, position: number): boolean {
    const idx = this.waiting.indexOf(runId);
    if (idx < 0) return false;
    this.waiting.splice(idx, 1);
    this.waiting.splice(Math.max(0, Math.min(position - 1, this.waiting.length)), 0, runId);
    this.onChange(this.state());
    return true;
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** 1-based place in the queue, or null when not waiting. */
  position(runId: string): number | null {
    const idx = this.waiting.indexOf(runId);
    return idx < 0 ? null : idx + 1;
  }

  state(): QueueState {
    return { running: [...this.active], queued: [...this.waiting], maxConcurrent: this.maxConcurrent };
  }

  private drain(): void {
    while (this.used() < this.maxConcurrent && this.waiting.length > 0) {
      const next = this.waiting.shift() as string;
      this.active.add(next);
      if (this.gate) {
        this.gating.add(next);
        void this.pass(this.gate, next);
      } else this.launch(next);
    }
  }

  /** The slot is held while the gate answers; a refused run frees it for the next one. */
  private async pass(gate: QueueGate, runId: string): Promise<void> {
    // A store that cannot answer should not strand the run: start it.
    const ok = await gate.mayStart(runId).catch(() => true);
    if (!this.gating.delete(runId) || !this.active.has(runId)) return; // withdrawn meanwhile
    if (ok) {
      this.launch(runId);
      return;
    }
    this.active.delete(runId);
    gate.dropped(runId);
    this.drain();
    this.onChange(this.state());
  }
}
