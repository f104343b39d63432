/**
 * Significance of AUC differences. DeLong, DeLong & Clarke-Pearson (1988) for two correlated AUCs
 * (two models scored on the same test rows), computed with midranks (Sun & Xu 2014); and the
 * paired t-test over seeds (one AUC per seed and model).
 */
import { normalTwoSidedP, studentTwoSidedP } from './distributions.js';

export interface DelongResult {
  auc1: number;
  auc2: number;
  /** auc1 − auc2 */
  diff: number;
  /** Standard error of the difference. */
  se: number;
  z: number;
  /** Two-sided p-value. */
  p: number;
}

/** 1-based midranks (ties share the mean of their ranks). */
function midranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const out = new Float64Array(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

/** Placement values of one score vector: per positive V10, per negative V01, and the AUC. */
function placements(pos: number[], neg: number[]): { v10: Float64Array; v01: Float64Array; auc: number } {
  const m = pos.length;
  const n = neg.length;
  const all = midranks([...pos, ...neg]);
  const rp = midranks(pos);
  const rn = midranks(neg);
  const v10 = Float64Array.from(pos, (_, i) => (all[i]! - rp[i]!) / n);
  const v01 = Float64Array.from(neg, (_, j) => 1 - (all[m + j]! - rn[j]!) / m);
  const auc = v10.reduce((a, b) => a + b, 0) / m;
  return { v10, v01, auc };
}

function covariance(a: Float64Array, b: Float64Array): number {
  const k = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / k;
  const mb = b.reduce((s, v) => s + v, 0) / k;
  let c = 0;
  for (let i = 0; i < k; i++) c += (a[i]! - ma) * (b[i]! - mb);
  return c / (k - 1);
}

/** DeLong test of H0: AUC(scores1) = AUC(scores2) on the same rows and labels (0/1). */
export function delongTest(labels: ArrayLike<number>, scores1: ArrayLike<number>, scores2: ArrayLike<number>): DelongResult {
  if (scores1.length !== labels.length || scores2.length !== labels.length) {
    throw new Error(`delongTest: ${labels.length} labels but ${scores1.length} and ${scores2.length} scores`);
  }
  const split = (s: ArrayLike<number>) => {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? pos : neg).push(s[i]!);
    return { pos, neg };
  };
  const a = split(scores1);
  const b = split(scores2);
  const m = a.pos.length;
  const n = a.neg.length;
  if (m < 2 || n < 2) return { auc1: NaN, auc2: NaN, diff: NaN, se: NaN, z: NaN, p: NaN };
  const pa = placements(a.pos, a.neg);
  const pb = placements(b.pos, b.neg);
  const s10 = [covariance(pa.v10, pa.v10), covariance(pb.v10, pb.v10), covariance(pa.v10, pb.v10)];
  const s01 = [covariance(pa.v01, pa.v01), covariance(pb.v01, pb.v01), covariance(pa.v01, pb.v01)];
  const variance = (s10[0]! + s10[1]! - 2 * s10[2]!) / m + (s01[0]! + s01[1]! - 2 * s01[2]!) / n;
  const diff = pa.auc - pb.auc;
  const se = Math.sqrt(Math.max(variance, 0));
  // Identical rankings: no difference and no variance; report p = 1 rather than 0/0.
  const z = se > 0 ? diff / se : diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return { auc1: pa.auc, auc2: pb.auc, diff, se, z, p: normalTwoSidedP(z) };
}

export interface PairedTTest {
  /** mean(a − b) */
  meanDiff: number;
  t: number;
  df: number;
  /** Two-sided p-value (NaN with fewer than two pairs or identical pairs). */
  p: number;
}

/** Paired (dependent) t-test of H0: mean(a − b) = 0, as scipy.stats.ttest_rel. */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  if (a.length !== b.length) throw new Error(`pairedTTest: ${a.length} and ${b.length} values`);
  const k = a.length;
  const d = a.map((x, i) => x - b[i]!);
  const mean = d.reduce((s, v) => s + v, 0) / Math.max(k, 1);
  if (k < 2) return { meanDiff: mean, t: NaN, df: k - 1, p: NaN };
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (k - 1));
  const t = sd > 0 ? mean / (sd / Math.sqrt(k)) : mean === 0 ? NaN : Math.sign(mean) * Infinity;
  return { meanDiff: mean, t, df: k - 1, p: studentTwoSidedP(t, k - 1) };
}
