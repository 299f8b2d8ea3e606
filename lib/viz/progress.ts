/**
 * Training progress for the terminal: one line rewritten with \r (iteration, rate, ETA, last losses), or
 * plain lines every `plainEverySeconds` when the stream is not a TTY (CI logs, pipes). The notebook
 * counterpart is progressDisplay in notebook.ts; both format through ProgressTracker.
 */

/** What a training loop reports; lib/train's TrainingProgress has this shape. */
export interface ProgressUpdate {
  iteration: number;
  total?: number;
  /** last logged losses/metrics, shown with 4 significant digits */
  metrics?: Readonly<Record<string, number>>;
}

/** "1:02:03" / "4:05" / "12s" */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** 4 significant digits, exponent form for very small/large values. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}

/**
 * Rate and ETA from the first reported iteration on (so a resumed run, or one whose first report comes
 * after a slow warm-up iteration, is measured from where reporting began).
 */
export class ProgressTracker {
  private readonly t0: number;
  private first: { iteration: number; time: number } | null = null;
  last: ProgressUpdate = { iteration: 0 };

  constructor(
    readonly total: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.t0 = now();
  }

  update(p: ProgressUpdate): void {
    this.first ??= { iteration: p.iteration, time: this.now() };
    this.last = { ...p, metrics: p.metrics ?? this.last.metrics };
  }

  elapsedSeconds(): number {
    return (this.now() - this.t0) / 1000;
  }

  /** iterations per second since the first report; 0 until two reports are apart */
  rate(): number {
    if (!this.first) return 0;
    const t = (this.now() - this.first.time) / 1000;
    const done = this.last.iteration - this.first.iteration;
    return t > 0 && done > 0 ? done / t : 0;
  }

  etaSeconds(): number {
    const total = this.last.total ?? this.total;
    const r = this.rate();
    return total === undefined || r <= 0 ? NaN : Math.max(0, total - this.last.iteration) / r;
  }

  /** e.g. "  120/1000  12%  3.4 it/s  ETA 4:19  loss=0.1234 kl=2.5" */
  line(label = ''): string {
    const total = this.last.total ?? this.total;
    const it = this.last.iteration;
    const count = total ? `${String(it).padStart(String(total).length)}/${total} ${String(Math.floor((100 * it) / total)).padStart(3)}%` : `${it}`;
    const r = this.rate();
    const rate = r === 0 ? '? it/s' : r >= 1 ? `${r.toFixed(1)} it/s` : `${(1 / r).toFixed(1)} s/it`;
    const eta = total ? `  ETA ${formatDuration(this.etaSeconds())}` : `  ${formatDuration(this.elapsedSeconds())}`;
    const metrics = Object.entries(this.last.metrics ?? {})
      .map(([k, v]) => `${k}=${formatMetric(v)}`)
      .join(' ');
    return `${label ? label + ' ' : ''}${count}  ${rate}${eta}${metrics ? '  ' + metrics : ''}`;
  }
}

export interface ProgressBarOptions {
  total?: number;
  label?: string;
  /** default process.stderr */
  stream?: NodeJS.WriteStream;
  /** minimum time between redraws on a TTY (default 100 ms) */
  minIntervalMs?: number;
  /** interval of plain lines when not a TTY (default 10 s) */
  plainEverySeconds?: number;
}

export interface ProgressBar {
  /** pass lib/train's onProgress objects straight in */
  update(p: ProgressUpdate): void;
  /** the final line (always printed), then a newline */
  done(message?: string): void;
}

/** A one-line terminal progress bar (\r updates on a TTY, plain throttled lines otherwise). */
export function progressBar(opts: ProgressBarOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const tracker = new ProgressTracker(opts.total);
  const minGap = tty ? (opts.minIntervalMs ?? 100) : (opts.plainEverySeconds ?? 10) * 1000;
  let lastDraw = -Infinity;
  let lastLen = 0;
  let finished = false;
  const draw = (force: boolean) => {
    const t = Date.now();
    if (!force && t - lastDraw < minGap) return;
    lastDraw = t;
    let line = tracker.line(opts.label);
    if (tty) {
      const cols = stream.columns ?? 120;
      if (line.length > cols - 1) line = line.slice(0, cols - 2) + '…';
      stream.write('\r' + line.padEnd(lastLen));
      lastLen = line.length;
    } else stream.write(line + '\n');
  };
  return {
    update(p) {
      if (finished) return;
      tracker.update(p);
      draw(false);
    },
    done(message) {
      if (finished) return;
      finished = true;
      draw(true);
      if (tty) stream.write('\n');
      if (message) stream.write(message + '\n');
    },
  };
}
