/**
 * Training diagnostics (train.eval_every_steps): per-domain learning-curve points, positive rates,
 * gradient norms per module and BatchNorm running statistics. Everything here reads values the
 * trainer already has; nothing runs unless diagnostics are switched on, except the one-off
 * positive-rate summary.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SplitColumns } from '../data/types.js';
import { labelsOf } from './batches.js';
import { auc, logloss } from './metrics.js';

/** Rows of a split (a trainer RowSource fits). */
interface Rows {
  split: SplitColumns;
  rows: Int32Array;
}

export interface CurveStats {
  rows: number;
  auc: number;
  logloss: number;
}

function byDomain(src: Rows): Map<number, number[]> {
  const out = new Map<number, number[]>();
  src.rows.forEach((r, i) => {
    const d = src.split.domainId[r]!;
    if (!out.has(d)) out.set(d, []);
    out.get(d)!.push(i);
  });
  return out;
}

/** AUC and logloss of `scores` (probabilities) per domain name, plus "pooled" over all rows. */
export function curveStats(src: Rows, scores: ArrayLike<number>, domainName: (id: number) => string): Record<string, CurveStats> {
  const labels = labelsOf(src.split, src.rows);
  const stats = (idx: number[]): CurveStats => {
    const y = idx.map((i) => labels[i]!);
    const p = idx.map((i) => scores[i]!);
    return { rows: idx.length, auc: auc(y, p), logloss: logloss(y, p) };
  };
  const out: Record<string, CurveStats> = {};
  for (const [d, idx] of [...byDomain(src)].sort((a, b) => a[0] - b[0])) out[domainName(d)] = stats(idx);
  out.pooled = stats(Array.from(src.rows.keys()));
  return out;
}

/** Rows and share of positives per domain name (and "all"). */
export function positiveRates(src: Rows, domainName: (id: number) => string): Record<string, { rows: number; positive_rate: number }> {
  const labels = labelsOf(src.split, src.rows);
  const out: Record<string, { rows: number; positive_rate: number }> = {};
  const rate = (idx: number[]) => ({ rows: idx.length, positive_rate: idx.length ? idx.reduce((a, i) => a + labels[i]!, 0) / idx.length : NaN });
  for (const [d, idx] of [...byDomain(src)].sort((a, b) => a[0] - b[0])) out[domainName(d)] = rate(idx);
  out.all = rate(Array.from(src.rows.keys()));
  return out;
}

/**
 * The module a variable belongs to, from its checkpoint name: `dsn.<k>.<part>` and
 * `general.<part>` for Uni-CTR (ladder, gate, tower), else the first name component.
 */
export function moduleOf(name: string): string {
  const p = name.split('.');
  if (p[0] === 'dsn' && p.length > 2) return p.slice(0, 3).join('.');
  if (p[0] === 'general' && p.length > 1) return p.slice(0, 2).join('.');
  return p[0]!;
}

/** L2 norm of the gradients of each module (one read-back for all of them). */
export function moduleGradNorms(grads: ReadonlyMap<string, tf.Tensor>): Record<string, number> {
  const names = [...grads.keys()];
  if (names.length === 0) return {};
  const squares = tf.tidy(() => tf.stack(names.map((k) => tf.sum(tf.square(grads.get(k)!)))));
  const values = squares.dataSync();
  squares.dispose();
  const sums = new Map<string, number>();
  names.forEach((k, i) => sums.set(moduleOf(k), (sums.get(moduleOf(k)) ?? 0) + values[i]!));
  return Object.fromEntries([...sums].map(([m, s]) => [m, Math.sqrt(s)]));
}

/** Mean running mean and mean running variance of every BatchNorm, by its scope. */
export function batchNormStats(named: ReadonlyMap<string, tf.Variable>): Record<string, { mean: number; variance: number }> {
  const out: Record<string, { mean: number; variance: number }> = {};
  const avg = (v: tf.Variable) => {
    const a = v.dataSync();
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]!;
    return s / a.length;
  };
  for (const [k, v] of named) {
    if (!k.endsWith('.moving_variance')) continue;
    const scope = k.slice(0, -'.moving_variance'.length);
    const mean = named.get(`${scope}.moving_mean`);
    out[scope] = { mean: mean ? avg(mean) : NaN, variance: avg(v) };
  }
  return out;
}

interface EvalEvent {
  event: 'eval';
  model: string | null;
  step: number;
  train: Record<string, CurveStats>;
  valid: Record<string, CurveStats>;
}

/** The "eval" events of a log.jsonl text (optionally of one model label). */
export function evalEvents(jsonl: string, model?: string | null): EvalEvent[] {
  return jsonl
    .split('\n')
    .filter((l) => l.includes('"event":"eval"'))
    .map((l) => JSON.parse(l) as EvalEvent)
    .filter((e) => model === undefined || e.model === model);
}

/**
 * Learning-curve series (x = optimizer step): validation `metric` per domain and pooled, and the
 * training sample's pooled value, for trainingCurveSvg.
 */
export function learningCurveSeries(events: readonly EvalEvent[], metric: 'auc' | 'logloss'): { name: string; points: [number, number][] }[] {
  if (events.length === 0) return [];
  const domains = Object.keys(events[0]!.valid);
  const series = domains.map((d) => ({
    name: `valid ${d}`,
    points: events.map((e) => [e.step, e.valid[d]?.[metric] ?? NaN] as [number, number]),
  }));
  series.push({ name: 'train pooled (sample)', points: events.map((e) => [e.step, e.train.pooled?.[metric] ?? NaN] as [number, number]) });
  return series;
}
