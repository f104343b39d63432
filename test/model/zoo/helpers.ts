/**
 * Test helpers for the baselines: a synthetic ID dataset with a planted user × brand affinity,
 * batch building, a minimal Adam training loop and AUC. (The real trainer lives in src/train.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogits } from '../../../src/model/loss.js';
import type { VocabSizes } from '../../../src/model/layers/feature_embedding.js';
import type { BatchTensors, CtrModel, IdFeatures } from '../../../src/model/types.js';
import { flattenFields } from '../../../src/model/layers/feature_embedding.js';
import { Rng } from '../../../src/util/rng.js';

export interface Synthetic {
  features: IdFeatures;
  labels: Float32Array;
  vocab: VocabSizes;
}

export interface SyntheticOptions {
  rows: number;
  users?: number;
  items?: number;
  brands?: number;
  domains?: number;
  /** Probability that a label is flipped (noise). */
  flip?: number;
}

/**
 * Label = [affinity(user, brand of item) > 0], flipped with probability `flip`; in domain 1 the
 * affinity of the first half of the brands is negated, so the domains really differ. Price bucket
 * and history are noise.
 */
export function makeSynthetic(seed: number, o: SyntheticOptions): Synthetic {
  const rng = new Rng(seed);
  const users = o.users ?? 40;
  const items = o.items ?? 40;
  const brands = o.brands ?? 5;
  const domains = o.domains ?? 1;
  const flip = o.flip ?? 0.05;
  const aff = Array.from({ length: users }, () => Array.from({ length: brands }, () => (rng.next() < 0.5 ? -1 : 1)));
  const n = o.rows;
  const f: IdFeatures = {
    size: n,
    domainId: new Int32Array(n),
    userId: new Int32Array(n),
    itemId: new Int32Array(n),
    brandId: new Int32Array(n),
    titleId: new Int32Array(n),
    priceBucket: new Int32Array(n),
    history: new Int32Array(n * 5),
  };
  const labels = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const d = rng.int(domains);
    const u = rng.int(users);
    const i = rng.int(items);
    const b = i % brands;
    f.domainId[r] = d;
    f.userId[r] = u + 1;
    f.itemId[r] = i + 1;
    f.brandId[r] = b + 1;
    f.titleId[r] = i + 1;
    f.priceBucket[r] = 1 + rng.int(100);
    const h = rng.int(6);
    for (let k = 0; k < h; k++) f.history[r * 5 + k] = 1 + rng.int(items);
    let a = aff[u]![b]!;
    if (d === 1 && b < brands / 2) a = -a;
    let y = a > 0 ? 1 : 0;
    if (rng.next() < flip) y = 1 - y;
    labels[r] = y;
  }
  return { features: f, labels, vocab: { user: users + 1, item: items + 1, brand: brands + 1, title: items + 1, price_bucket: 101 } };
}

/** Tensors of the given rows; `domainIndex` is each row's domain id (model domains = all domains). */
export function toBatch(s: Synthetic, rows: ArrayLike<number>, domainIndex?: (domainId: number) => number): BatchTensors {
  const n = rows.length;
  const pick = (a: Int32Array) => Int32Array.from({ length: n }, (_, k) => a[rows[k]!]!);
  const hist = new Int32Array(n * 5);
  for (let k = 0; k < n; k++) hist.set(s.features.history.subarray(rows[k]! * 5, rows[k]! * 5 + 5), k * 5);
  const dom = pick(s.features.domainId).map((d) => (domainIndex ? domainIndex(d) : d));
  return {
    size: n,
    domainIndex: tf.tensor1d(dom, 'int32'),
    userId: tf.tensor1d(pick(s.features.userId), 'int32'),
    itemId: tf.tensor1d(pick(s.features.itemId), 'int32'),
    brandId: tf.tensor1d(pick(s.features.brandId), 'int32'),
    titleId: tf.tensor1d(pick(s.features.titleId), 'int32'),
    priceBucket: tf.tensor1d(pick(s.features.priceBucket), 'int32'),
    history: tf.tensor2d(hist, [n, 5], 'int32'),
  };
}

export function disposeBatch(b: BatchTensors): void {
  tf.dispose([b.domainIndex, b.userId, b.itemId, b.brandId, b.titleId, b.priceBucket, b.history]);
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Maps a row's domain id to the model's domain index (default: the id itself). */
  domainIndex?: (domainId: number) => number;
}

/** Plain Adam on mean BCE of the own logit (+ equal-weight aux logits). */
export function train(model: CtrModel, s: Synthetic, rows: Int32Array, o: TrainOptions): void {
  const rng = new Rng(o.seed);
  const opt = tf.train.adam(o.lr);
  const order = Int32Array.from(rows);
  for (let e = 0; e < o.epochs; e++) {
    rng.shuffle(order);
    for (let start = 0; start < order.length; start += o.batchSize) {
      const idx = order.subarray(start, Math.min(order.length, start + o.batchSize));
      const batch = toBatch(s, idx, o.domainIndex);
      const y = tf.tensor1d(Float32Array.from(idx, (r) => s.labels[r]!));
      const cost = opt.minimize(
        () => {
          const out = model.forward(batch, { training: true, rng });
          let loss = bceWithLogits(out.logits, y);
          for (const a of out.auxLogits ?? []) loss = tf.add(loss, bceWithLogits(a, y)) as tf.Scalar;
          if (out.auxLoss) loss = tf.add(loss, out.auxLoss(y)) as tf.Scalar;
          return loss;
        },
        true,
        model.trainableVariables(),
      );
      cost?.dispose();
      y.dispose();
      disposeBatch(batch);
    }
  }
  opt.dispose();
}

export function predict(model: CtrModel, s: Synthetic, rows: Int32Array, head?: number, domainIndex?: (domainId: number) => number): Float32Array {
  const batch = toBatch(s, rows, domainIndex);
  const out = tf.tidy(() => tf.sigmoid(model.forward(batch, { training: false, head }).logits));
  const v = out.dataSync() as Float32Array;
  out.dispose();
  disposeBatch(batch);
  return Float32Array.from(v);
}

/** ROC AUC by the rank-sum formula (ties get average ranks). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) {
      pos++;
      rankSum += ranks[i]!;
    }
  }
  const neg = n - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

const small = { embedding_dim: 8, net_dropout: 0.1, embedding_init_std: 0.01 };
/** Small options per registered model (test sizes, not the spec defaults). */
export const SMALL_OPTIONS: Record<string, Record<string, unknown>> = {
  pnn: { ...small, hidden_units: [32, 16] },
  dcn: { ...small, hidden_units: [32, 16], crossing_layers: 2 },
  deepfm: { ...small, hidden_units: [32, 16] },
  xdeepfm: { ...small, hidden_units: [32, 16], cin_hidden_units: [8, 8] },
  autoint: { ...small, hidden_units: [32, 16], attention_layers: 2, attention_dim: 8, num_heads: 2 },
  fibinet: { ...small, hidden_units: [32, 16] },
  dien: { ...small, hidden_units: [32, 16], gru_units: 8 },
  shared_bottom: { ...small, bottom_hidden_units: [32], tower_hidden_units: [16] },
  mmoe: { ...small, expert_hidden_units: [32], tower_hidden_units: [16] },
  ple: { ...small, expert_hidden_units: [32], tower_hidden_units: [16], num_layers: 2 },
  star: { ...small, star_hidden_units: [32, 16], aux_hidden_units: [8] },
  dnn: { ...small, hidden_units: [32, 16] },
  pepnet: { ...small, hidden_units: [32, 16], gate_hidden_units: 16 },
  m2m: { ...small, expert_hidden_units: [32, 16], scenario_dim: 8, num_experts: 3 },
  apg: { ...small, hidden_units: [32, 16], rank: 4, generator_hidden_units: [16] },
  adasparse: { ...small, hidden_units: [32, 16] },
  sarnet: { ...small, expert_hidden_units: [32], tower_hidden_units: [16] },
  dffm: { ...small, hidden_units: [32, 16] },
  inttower: { ...small, user_hidden_units: [32, 16], item_hidden_units: [32, 16], fe_heads: 2, fe_head_dim: 8 },
};

/**
 * Flat field embeddings [batch, 6·d] recomputed from a model's `embedding.*` tables with plain
 * gathers (an independent path to the models' FeatureEmbedding output).
 */
export function flatFeatures(model: CtrModel, batch: BatchTensors): tf.Tensor2D {
  const v = model.namedVariables();
  const look = (t: string, ids: tf.Tensor) => tf.gather(v.get(`embedding.${t}`)!, ids);
  const hist = tf.gather(v.get('embedding.item')!, batch.history);
  const mask = tf.expandDims(tf.cast(tf.greater(batch.history, 0), 'float32'), 2);
  const hmean = tf.div(tf.sum(tf.mul(hist, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
  const e = tf.stack(
    [look('user', batch.userId), look('item', batch.itemId), look('brand', batch.brandId), look('title', batch.titleId), look('price_bucket', batch.priceBucket), hmean],
    1,
  ) as tf.Tensor3D;
  return flattenFields(e);
}
