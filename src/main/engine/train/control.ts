/**
 * Pause / resume / cancel for a loop that checks in between steps. Commands arrive asynchronously (worker
 * messages); the loop calls `gate()` after every step, which returns at once unless paused.
 */
export class RunControl {
  private paused = false;
  private cancelReason: string | null = null;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  cancel(reason = 'cancelled by the user'): void {
    this.cancelReason = reason;
    this.wake?.();
  }

  get cancelled(): string | null {
    return this.cancelReason;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Lets queued messages in (a macrotask turn: promise-only loops would starve the message port), then
   * waits while paused. Resolves 'cancel' as soon as a cancel arrives, even while paused.
   */
  async gate(hooks: { onPause?: () => void; onResume?: () => void } = {}): Promise<'continue' | 'cancel'> {
    await new Promise<void>((r) => setImmediate(r));
    if (this.cancelReason) return 'cancel';
    if (!this.paused) return 'continue';
    hooks.onPause?.();
    while (this.paused && !this.cancelReason) {
      await new Promise<void>((r) => {
        this.wake = r;
      });
      this.wake = null;
    }
    if (this.cancelReason) return 'cancel';
    hooks.onResume?.();
    return 'continue';
  }
}
