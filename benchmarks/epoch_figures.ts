/**
 * The arithmetic of the full-epoch benchmark (benchmarks/full_epoch.bench.ts), kept apart from
 * the child processes so that it can be tested: one epoch's time from the step events seen, the
 * cache sizes the trainer printed, targets and the printed table.
 */

/** A step event of log.jsonl and when the benchmark saw it (milliseconds, performance.now()). */
export interface StepSeen {
  step: number;
  at: number;
}

export interface EpochEstimate {
  /** Optimizer steps the figure rests on. */
  steps_measured: number;
  /** Batches in the epoch the figure is for. */
  epoch_batches: number;
  /** Training rows in that epoch. */
  epoch_rows: number;
  /** First step, from the start of training (its warm-up: kernels, the worker thread). */
  first_step_s: number;
  /** Mean time of the steps after the first; null with one step only. */
  steady_step_s: number | null;
  /** Training time of the whole epoch (the batches, not the validation pass after them). */
  epoch_train_s: number;
  samples_per_s: number;
  /** True when the epoch was not trained to its end here and its time is computed from the steps seen. */
  extrapolated: boolean;
}

/**
 * One epoch's training time from the steps seen. `startAt`: when training began (the trainer's
 * `data` event). The epoch is `epochRows` rows in batches of `batchSize`; when every one of its
 * batches was seen the time is measured, otherwise it is the first step plus the mean later step
 * times the remaining batches.
 */
export function estimateEpoch(startAt: number, steps: readonly StepSeen[], batchSize: number, epochRows: number): EpochEstimate {
  if (steps.length === 0) throw new Error('no training step was seen: the epoch time cannot be estimated');
  if (!(batchSize > 0 && epochRows > 0)) throw new Error(`expected a positive batch size and row count, got ${batchSize} and ${epochRows}`);
  const sorted = [...steps].sort((a, b) => a.step - b.step);
  const batches = Math.ceil(epochRows / batchSize);
  const first = (sorted[0]!.at - startAt) / 1000;
  const last = sorted[sorted.length - 1]!;
  const steady = sorted.length > 1 ? (last.at - sorted[0]!.at) / 1000 / (sorted.length - 1) : null;
  const complete = sorted.length >= batches;
  const epoch = complete ? (sorted[batches - 1]!.at - startAt) / 1000 : first + (batches - 1) * (steady ?? first);
  return {
    steps_measured: Math.min(sorted.length, batches),
    epoch_batches: batches,
    epoch_rows: epochRows,
    first_step_s: first,
    steady_step_s: steady,
    epoch_train_s: epoch,
    samples_per_s: epochRows / epoch,
    extrapolated: !complete,
  };
}

const UNITS: Record<string, number> = { kB: 1e3, MB: 1e6, GB: 1e9 };

/** Sizes in the trainer's `state cache needs 1.23 GB on disk (…)` lines of `output`, in bytes (as printed, so rounded). */
export function cacheNeeds(output: string): { line: string; bytes: number }[] {
  const out: { line: string; bytes: number }[] = [];
  for (const m of output.matchAll(/state cache needs ([\d.]+) (kB|MB|GB) on disk[^\n]*/g)) {
    out.push({ line: m[0], bytes: Number(m[1]) * UNITS[m[2]!]! });
  }
  return out;
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

/** PASS when `value` is at most `target` (every target here is an upper bound). */
export function verdict(value: number | null, target: number): Verdict {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return value <= target ? 'PASS' : 'MISS';
}

export function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** Rows of [figure, value, target, verdict] as an aligned plain-text table. */
export function renderTable(rows: readonly (readonly [string, string, string, string])[]): string {
  const all = [['figure', 'value', 'target', 'verdict'] as const, ...rows];
  const widths = [0, 1, 2].map((c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join('  ').trimEnd()).join('\n');
}
