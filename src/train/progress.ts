/**
 * Progress of a long loop (training batches, prompt encoding). On an interactive terminal: one
 * bar with the running loss (training), items/s and ETA; log lines are printed above the bar
 * through the bar library, and a finished bar stays on screen at its final count. On a pipe, in
 * CI or with UNICTR_PROGRESS=plain: a timestamped plain line about every 10%. `--quiet`: nothing.
 */
import cliProgress from 'cli-progress';
import { isQuiet, log, setLineSink } from '../util/log.js';

export interface ProgressOptions {
  /** What is counted per second: "samples" (training) or "prompts" (encoding). */
  unit?: string;
  /** Show the running loss (training bars only). */
  loss?: boolean;
}

/** The bar being drawn now, so that a signal handler can stop it and restore the terminal. */
let active: Progress | null = null;

/** Whether bars are drawn (an interactive terminal, not CI, not UNICTR_PROGRESS=plain). */
export function barsEnabled(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI && process.env.UNICTR_PROGRESS !== 'plain';
}

export class Progress {
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private lastPrinted = -1;
  private lastDraw = 0;
  private readonly start = Date.now();
  private first: number | null = null;
  private readonly unit: string;
  private readonly showLoss: boolean;

  constructor(
    private readonly title: string,
    private readonly total: number,
    opts: ProgressOptions = {},
  ) {
    this.unit = opts.unit ?? 'samples';
    this.showLoss = opts.loss ?? true;
    if (isQuiet() || !barsEnabled()) return;
    active?.stop();
    const fields = [`${title} [{bar}] {value}/{total}`, ...(this.showLoss ? ['loss {loss}'] : []), `{rate} ${this.unit}/s`, 'ETA {eta_text}'];
    this.multi = new cliProgress.MultiBar(
      { format: fields.join(' | '), stream: process.stderr, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    this.bar = this.multi.create(total, 0, { loss: '-', rate: '-', eta_text: '-' });
    const multi = this.multi;
    setLineSink((line) => multi.log(line + '\n'));
    active = this;
  }

  /**
   * `items`: units counted for the rate when they differ from the bar's steps (samples in
   * batches), counted from this bar's start; default: the steps done since the bar started.
   */
  update(value: number, info: { loss?: number; items?: number } = {}): void {
    if (this.first === null) this.first = value;
    const secs = (Date.now() - this.start) / 1000;
    const items = info.items ?? value - this.first;
    const rate = items > 0 && secs > 0 ? (items / secs).toFixed(1) : '-';
    const loss = info.loss === undefined ? '-' : info.loss.toFixed(4);
    const done = value - this.first;
    const eta = done > 0 ? (secs / done) * (this.total - value) : NaN;
    if (this.bar) {
      this.bar.update(value, { loss, rate, eta_text: formatEta(eta) });
      // The library redraws on a timer, which never fires while a synchronous training loop holds
      // the event loop; redraw here instead, at most 10 times a second.
      const now = Date.now();
      if (now - this.lastDraw >= 100 || value >= this.total) {
        this.lastDraw = now;
        this.multi!.update();
      }
      return;
    }
    if (isQuiet()) return;
    const decile = Math.floor((value / Math.max(1, this.total)) * 10);
    if (value > 0 && decile > this.lastPrinted) {
      this.lastPrinted = decile;
      const parts = [`${this.title} ${value}/${this.total}`];
      if (this.showLoss && info.loss !== undefined) parts.push(`loss ${loss}`);
      if (rate !== '-') parts.push(`${rate} ${this.unit}/s`);
      parts.push(`ETA ${formatEta(eta)}`);
      log.progress(parts.join(' | '));
    }
  }

  /** Leaves the bar on screen at its last value, restores cursor and line wrap, prints pending lines. */
  stop(): void {
    if (this.multi) {
      setLineSink(null);
      // Flush lines logged since the last redraw, then draw the final state once.
      this.multi.update();
      this.multi.stop();
    }
    this.multi = null;
    this.bar = null;
    if (active === this) active = null;
  }
}

/** 75 → "1m15s", 8 → "8s"; unknown → "-". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  const t = Math.max(0, Math.round(seconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** Stops the bar being drawn, if any (signal handlers: the terminal must be left as it was found). */
export function stopActiveProgress(): void {
  active?.stop();
}
