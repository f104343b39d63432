/**
 * Evaluation metrics for binary CTR prediction: exact ROC AUC (ties averaged), logloss, gAUC,
 * RelaImpr and a bootstrap interval for AUC. Pure TypeScript on plain/typed arrays (no tfjs), so
 * the same code scores a run and re-scores `predictions/test.csv`.
 *
 * Reference: scikit-learn 1.2 (`roc_auc_score`, `log_loss`); fixtures made by
 * `scripts/make_metric_fixtures.py` pin the numbers to 1e-9.
 *
 * Undefined values are NaN (AUC with one class present, gAUC with no two-class user, an empty
 * input); `JSON.stringify` writes them as `null`, and reports should print them as
 * "undefined (one class)".
 */
import { DataError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** 0/1 labels. Booleans and the floats 0.0/1.0 are accepted; anything else is a DataError. */
export type Labels = ArrayLike<number>;
/** Real-valued scores (logits or probabilities; AUC only uses their order). */
export type Scores = ArrayLike<number>;
/** One id per row; equal ids (by `Map` key equality) are the same user. */
export type UserIds = ArrayLike<string | number | bigint>;

/** float64 machine epsilon: sklearn 1.2's `log_loss(eps="auto")` on float64 input. */
export const FLOAT64_EPS = Number.EPSILON;

function checkLengths(what: string, labels: Labels, other: ArrayLike<unknown>, otherName: string): void {
  if (labels.length !== other.length) {
    throw new DataError(`${what}: labels has ${labels.length} rows but ${otherName} has ${other.length}`);
  }
}

/** Validates labels and counts positives. */
function countPositives(what: string, labels: Labels): number {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = +labels[i]!;
    if (y === 1) pos++;
    else if (y !== 0) throw new DataError(`${what}: labels[${i}] is ${String(labels[i])}; expected 0 or 1`);
  }
  return pos;
}

function checkFinite(what: string, name: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!Number.isFinite(x)) {
      throw new DataError(`${what}: ${name}[${i}] is ${x}; expected a finite number (diverged model?)`);
    }
  }
}

/**
 * Rows sorted by score, split into tie groups. `group[i]` is the rank of row i's score among the
 * distinct scores (0 = lowest); used by `auc` and by the O(n) bootstrap.
 */
interface TieGroups {
  group: Int32Array;
  count: number;
}

function tieGroups(scores: Scores): TieGroups {
  const n = scores.length;
  const s = Float64Array.from(scores);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Index ties are broken by row so the sort is deterministic (it does not affect the AUC).
  order.sort((a, b) => s[a]! - s[b]! || a - b);
  const group = new Int32Array(n);
  let g = -1;
  let prev = NaN;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    // `!==` also merges -0 and +0, as a numeric sort does.
    if (k === 0 || s[i]! !== prev) g++;
    prev = s[i]!;
    group[i] = g;
  }
  return { group, count: g + 1 };
}

/**
 * AUC from per-group positive/negative weights: each positive counts the negatives strictly
 * below it plus half of those tied with it (Mann–Whitney U with average ranks). With integer
 * weights every partial sum is an exact multiple of 0.5, so the only rounding is the division.
 */
function aucFromGroupCounts(posG: Float64Array, negG: Float64Array, groups: number): number {
  let negBelow = 0;
  let u = 0;
  let p = 0;
  for (let g = 0; g < groups; g++) {
    const pg = posG[g]!;
    const ng = negG[g]!;
    if (pg !== 0) u += pg * (negBelow + ng / 2);
    negBelow += ng;
    p += pg;
  }
  if (p === 0 || negBelow === 0) return NaN;
  return u / (p * negBelow);
}

/**
 * Exact ROC AUC with tied scores counted as half (equals sklearn's trapezoidal `roc_auc_score`).
 * O(n log n). Returns NaN when only one class is present.
 */
export function auc(labels: Labels, scores: Scores): number {
  checkLengths('auc', labels, scores, 'scores');
  countPositives('auc', labels);
  checkFinite('auc', 'scores', scores);
  const { group, count } = tieGroups(scores);
  const posG = new Float64Array(count);
  const negG = new Float64Array(count);
  for (let i = 0; i < labels.length; i++) {
    if (+labels[i]! === 1) posG[group[i]!]!++;
    else negG[group[i]!]!++;
  }
  return aucFromGroupCounts(posG, negG, count);
}

export interface LoglossOptions {
  /**
   * Probabilities are clipped to [eps, 1 − eps]. Default: float64 epsilon (2.22e-16), which is what
   * sklearn 1.2's `eps="auto"` uses for float64 input. Probabilities are always handled as float64
   * here, even when given as a Float32Array, so a score re-read from CSV gives the same loss.
   */
  eps?: number;
}

/**
 * Mean binary cross-entropy of probabilities, as sklearn 1.2 `log_loss(y, p, labels=[0, 1])`:
 * clip to [eps, 1 − eps], renormalise the pair (1 − p, p) by its sum, take −log of the label's
 * entry. Defined for a single class too (unlike AUC). NaN for zero rows.
 */
export function logloss(labels: Labels, probs: Scores, opts: LoglossOptions = {}): number {
  const eps = opts.eps ?? FLOAT64_EPS;
  if (!(eps > 0 && eps < 0.5)) throw new DataError(`logloss: eps is ${eps}; expected 0 < eps < 0.5`);
  checkLengths('logloss', labels, probs, 'probs');
  countPositives('logloss', labels);
  const n = labels.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const raw = probs[i]!;
    if (!(raw >= 0 && raw <= 1)) {
      throw new DataError(`logloss: probs[${i}] is ${raw}; expected a probability in [0, 1]`);
    }
    const p = Math.min(Math.max(raw, eps), 1 - eps);
    const q = 1 - p;
    // sklearn divides by (1 − p) + p, which can differ from 1 by an ulp; keep that for 1e-9 agreement.
    const s = q + p;
    sum -= Math.log((+labels[i]! === 1 ? p : q) / s);
  }
  return sum / n;
}

export interface GaucResult {
  /** Row-weighted mean of per-user AUCs over users with both classes; NaN if there are none. */
  gauc: number;
  /** Users with both classes (the ones averaged). */
  users: number;
  /** Users skipped because all their rows have one label. */
  skippedUsers: number;
  /** Rows of the averaged users (the normaliser of the weights). */
  rows: number;
}

/**
 * Group AUC: per-user AUC weighted by the user's row count; users whose rows all have one label
 * are skipped and the weights of the kept users are renormalised.
 */
export function gaucDetailed(labels: Labels, scores: Scores, userIds: UserIds): GaucResult {
  checkLengths('gauc', labels, scores, 'scores');
  checkLengths('gauc', labels, userIds, 'userIds');
  countPositives('gauc', labels);
  checkFinite('gauc', 'scores', scores);
  const rowsOf = new Map<string | number | bigint, number[]>();
  for (let i = 0; i < userIds.length; i++) {
    const u = userIds[i]!;
    let list = rowsOf.get(u);
    if (!list) rowsOf.set(u, (list = []));
    list.push(i);
  }
  // Users are visited in first-appearance order, so the floating-point sum is deterministic.
  let weighted = 0;
  let rows = 0;
  let users = 0;
  let skipped = 0;
  for (const list of rowsOf.values()) {
    const ys = new Float64Array(list.length);
    const ss = new Float64Array(list.length);
    for (let k = 0; k < list.length; k++) {
      ys[k] = +labels[list[k]!]!;
      ss[k] = scores[list[k]!]!;
    }
    const a = auc(ys, ss);
    if (Number.isNaN(a)) {
      skipped++;
      continue;
    }
    weighted += a * list.length;
    rows += list.length;
    users++;
  }
  return { gauc: rows > 0 ? weighted / rows : NaN, users, skippedUsers: skipped, rows };
}

/** Group AUC (see `gaucDetailed`). NaN when no user has both classes. */
export function gauc(labels: Labels, scores: Scores, userIds: UserIds): number {
  return gaucDetailed(labels, scores, userIds).gauc;
}

/**
 * RelaImpr of model A over model B, in percent: ((AUC_A − 0.5) / (AUC_B − 0.5) − 1) × 100.
 * NaN/±Infinity when AUC_B is 0.5 (no lift over random to compare against).
 */
export function relaImpr(aucA: number, aucB: number): number {
  return ((aucA - 0.5) / (aucB - 0.5) - 1) * 100;
}

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  iterations?: number;
  /** Two-sided level: the interval is the [alpha/2, 1 − alpha/2] percentiles (default 0.05). */
  alpha?: number;
  /** Seed of the `Rng` drawing the resamples (default 2012, the spec's seed). */
  seed?: number;
}

export interface BootstrapResult {
  /** [lower, upper] percentile interval; [NaN, NaN] when the input has only one class. */
  ci: [number, number];
  /** The sorted resample AUCs (length = iterations, or 0 when undefined). */
  samples: Float64Array;
  /** Resamples discarded because they held one class (each was redrawn). */
  redrawn: number;
}

/** numpy's default ('linear') percentile of an ascending array, q in [0, 1]. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * t;
}

/**
 * Percentile bootstrap interval for AUC: resample rows with replacement (n draws of
 * `rng.int(n)` each), compute the exact AUC of each resample, take the alpha/2 and 1 − alpha/2
 * percentiles (numpy 'linear'). A resample holding one class has no AUC; it is discarded and
 * redrawn, so the interval is conditional on both classes being present (this matters for the
 * shipped test splits, which have few negatives).
 *
 * Each resample costs O(n + distinct scores): rows are tie-grouped once, and a resample only
 * counts positives/negatives per group.
 */
export function bootstrapAucCiDetailed(labels: Labels, scores: Scores, opts: BootstrapOptions = {}): BootstrapResult {
  const iterations = opts.iterations ?? 1000;
  const alpha = opts.alpha ?? 0.05;
  const seed = opts.seed ?? 2012;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new DataError(`bootstrapAucCi: iterations is ${iterations}; expected a positive integer`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new DataError(`bootstrapAucCi: alpha is ${alpha}; expected 0 < alpha < 1`);
  checkLengths('bootstrapAucCi', labels, scores, 'scores');
  const n = labels.length;
  const pos = countPositives('bootstrapAucCi', labels);
  checkFinite('bootstrapAucCi', 'scores', scores);
  if (pos === 0 || pos === n) return { ci: [NaN, NaN], samples: new Float64Array(0), redrawn: 0 };

  const { group, count } = tieGroups(scores);
  const isPos = new Uint8Array(n);
  for (let i = 0; i < n; i++) isPos[i] = +labels[i]! === 1 ? 1 : 0;
  const posG = new Float64Array(count);
  const negG = new Float64Array(count);
  const rng = new Rng(seed);
  const samples = new Float64Array(iterations);
  let redrawn = 0;
  for (let b = 0; b < iterations; ) {
    posG.fill(0);
    negG.fill(0);
    let p = 0;
    for (let k = 0; k < n; k++) {
      const i = rng.int(n);
      if (isPos[i]) {
        posG[group[i]!]!++;
        p++;
      } else {
        negG[group[i]!]!++;
      }
    }
    if (p === 0 || p === n) {
      redrawn++;
      // Both classes are present, so a resample has both with probability ≥ 1 − 2(1 − 1/n)^n > 0.26.
      if (redrawn > 1000 * iterations) throw new Error('bootstrapAucCi: too many one-class resamples');
      continue;
    }
    samples[b++] = aucFromGroupCounts(posG, negG, count);
  }
  samples.sort();
  return { ci: [percentileSorted(samples, alpha / 2), percentileSorted(samples, 1 - alpha / 2)], samples, redrawn };
}

/** Percentile bootstrap interval for AUC (see `bootstrapAucCiDetailed`). */
export function bootstrapAucCi(labels: Labels, scores: Scores, opts: BootstrapOptions = {}): [number, number] {
  return bootstrapAucCiDetailed(labels, scores, opts).ci;
}

export interface MetricSummary {
  auc: number;
  logloss: number;
  /** Present only when user ids were given. */
  gauc?: number;
  rows: number;
  positives: number;
  /** Bootstrap percentile interval of the AUC (level 1 − alpha; 95% by default). */
  auc_ci95: [number, number];
}

export interface SummarizeOptions {
  bootstrap?: BootstrapOptions;
  logloss?: LoglossOptions;
}

/** All metrics of one evaluation set. `probs` are probabilities (logloss needs them). */
export function summarize(labels: Labels, probs: Scores, userIds?: UserIds, opts: SummarizeOptions = {}): MetricSummary {
  const out: MetricSummary = {
    auc: auc(labels, probs),
    logloss: logloss(labels, probs, opts.logloss),
    rows: labels.length,
    positives: countPositives('summarize', labels),
    auc_ci95: bootstrapAucCi(labels, probs, opts.bootstrap),
  };
  if (userIds) out.gauc = gauc(labels, probs, userIds);
  return out;
}

/**
 * `summarize` per group (e.g. per domain), in first-appearance order of the group keys, plus
 * the same metrics over all rows under `overall`.
 */
export function summarizeByGroup(
  labels: Labels,
  probs: Scores,
  groups: ArrayLike<string>,
  userIds?: UserIds,
  opts: SummarizeOptions = {},
): { groups: Record<string, MetricSummary>; overall: MetricSummary } {
  checkLengths('summarizeByGroup', labels, groups, 'groups');
  checkLengths('summarizeByGroup', labels, probs, 'probs');
  if (userIds) checkLengths('summarizeByGroup', labels, userIds, 'userIds');
  const rowsOf = new Map<string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    let list = rowsOf.get(g);
    if (!list) rowsOf.set(g, (list = []));
    list.push(i);
  }
  const result: Record<string, MetricSummary> = {};
  for (const [g, list] of rowsOf) {
    const ys = list.map((i) => labels[i]!);
    const ps = list.map((i) => probs[i]!);
    const us = userIds ? list.map((i) => userIds[i]!) : undefined;
    result[g] = summarize(ys, ps, us, opts);
  }
  return { groups: result, overall: summarize(labels, probs, userIds, opts) };
}
