/**
 * A progress line with ETA on stderr, shared by every long CLI job. On a TTY it redraws in place; otherwise
 * (CI, pipes, log files) it prints a line at most every `intervalMs`, so logs stay readable.
 */
export interface ProgressOptions {
  total: number;
  label?: string;
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
  width?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private done = 0;
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Elapsed seconds and the linear ETA from the work done so far. */
  eta(): { elapsed: number; eta: number } {
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = this.done / Math.max(elapsed, 1e-9);
    return { elapsed, eta: this.done > 0 ? (this.opts.total - this.done) / rate : NaN };
  }

  update(done: number, detail = ''): void {
    this.done = Math.min(done, this.opts.total);
    const now = Date.now();
    const interval = this.opts.intervalMs ?? (this.tty ? 100 : 5000);
    if (now - this.lastDraw < interval && this.done < this.opts.total) return;
    this.lastDraw = now;
    this.draw(detail);
  }

  finish(detail = ''): void {
    this.done = this.opts.total;
    this.draw(detail);
    if (this.tty) this.stream.write('\n');
  }

  private draw(detail: string): void {
    const { elapsed, eta } = this.eta();
    const frac = this.opts.total > 0 ? this.done / this.opts.total : 1;
    const width = this.opts.width ?? 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    const label = this.opts.label ? `${this.opts.label} ` : '';
    const line =
      `${label}${bar} ${pct} ${this.done}/${this.opts.total} ` +
      `elapsed ${formatDuration(elapsed)} ETA ${formatDuration(eta)}${detail ? ` · ${detail}` : ''}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(`${line}\n`);
  }
}
