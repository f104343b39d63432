/**
 * Progress bar with loss, samples/s and ETA on an interactive terminal; on a pipe or in CI it
 * prints a plain line about every 10% instead, so logs stay readable.
 */
import cliProgress from 'cli-progress';

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private lastPrinted = -1;
  private readonly start = Date.now();

  constructor(
    private readonly title: string,
    private readonly total: number,
  ) {
    if (process.stderr.isTTY && !process.env.CI && process.env.UNICTR_PROGRESS !== 'plain') {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${title} [{bar}] {value}/{total} | loss {loss} | {rate} samples/s | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { loss: '-', rate: '-' });
    }
  }

  update(value: number, info: { loss?: number; rate?: number }): void {
    const loss = info.loss === undefined ? '-' : info.loss.toFixed(4);
    const rate = info.rate === undefined ? '-' : info.rate.toFixed(1);
    if (this.bar) {
      this.bar.update(value, { loss, rate });
      return;
    }
    if (process.env.UNICTR_QUIET === '1') return;
    const decile = Math.floor((value / Math.max(1, this.total)) * 10);
    if (value > 0 && decile !== this.lastPrinted && (decile > this.lastPrinted || value === this.total)) {
      this.lastPrinted = decile;
      const secs = (Date.now() - this.start) / 1000;
      const eta = value > 0 ? (secs / value) * (this.total - value) : 0;
      const parts = [`${this.title} ${value}/${this.total}`];
      if (info.loss !== undefined) parts.push(`loss ${loss}`);
      if (info.rate !== undefined) parts.push(`${rate} samples/s`);
      parts.push(`ETA ${eta.toFixed(0)}s`);
      process.stderr.write(parts.join(' ') + '\n');
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
