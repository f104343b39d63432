/**
 * The shape of a run folder's metrics.json and of its prediction rows. Shared by the code that
 * writes a run (run.ts, add_domain.ts), its report and the readers of finished runs.
 */
import type { MetricSummary } from './metrics.js';
import type { EpochRecord } from './fit.js';

export interface DomainMetrics extends MetricSummary {
  /** Which head scored it (zero-shot): "general", a tower's domain, or "own". */
  head?: string;
}

export interface MetricsFile {
  test: Record<string, DomainMetrics>;
  zero_shot: Record<string, DomainMetrics>;
  valid: Record<string, { auc: number; rows: number }>;
  overall_test: MetricSummary | null;
  model: string;
  seed: number;
  epochs: Record<string, EpochRecord[]>;
  zero_shot_head_choice?: string;
  /** Domains added to a trained Uni-CTR run by `unictr add-domain`. */
  added_domains?: Record<string, DomainMetrics>;
  /** Test predictions (written to predictions/test.csv, not to metrics.json). */
  predictions?: PredictionRow[];
}

export interface PredictionRow {
  domain: string;
  label: number;
  score: number;
  /** The row's `row_id` in its split: pairs the predictions of two runs on the same dataset. */
  rowId?: number;
}
