/**
 * Embeddings of the ID features every baseline reads: one table per field, history as the mean of
 * its non-padding item embeddings (the item table is shared), id 0 = padding/unknown.
 */
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import type { BatchTensors, IdFeatures } from '../types.js';
import { ConfigError, DataError } from '../../util/errors.js';
import type { VariableStore } from './variable_store.js';

/** Field order of the [batch, fields, dim] output. */
export const FIELDS = ['user', 'item', 'brand', 'title', 'price_bucket', 'history'] as const;
export const NUM_FIELDS = FIELDS.length;

/** Table sizes including the reserved id 0 (the manifest's `vocab_sizes`). */
export interface VocabSizes {
  user: number;
  item: number;
  brand: number;
  title: number;
  price_bucket: number;
}

export const TABLES = ['user', 'item', 'brand', 'title', 'price_bucket'] as const;
export type TableName = (typeof TABLES)[number];

export function checkVocab(vocab: VocabSizes, source = 'vocab'): void {
  for (const k of TABLES) {
    const v = (vocab as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 2) {
      throw new ConfigError(`${source}: key "${k}" must be an integer ≥ 2 (id 0 is reserved), got ${JSON.stringify(v)}`);
    }
  }
}

/**
 * Check that every id of a batch lies inside its table (gather would fail on cpu and read
 * garbage on wasm otherwise). `source` names the data (e.g. "train.arrow rows 0..2047").
 */
export function checkIdRanges(f: IdFeatures, vocab: VocabSizes, source: string): void {
  const cols: [string, Int32Array, number][] = [
    ['user_id', f.userId, vocab.user],
    ['item_id', f.itemId, vocab.item],
    ['brand_id', f.brandId, vocab.brand],
    ['title_id', f.titleId, vocab.title],
    ['price_bucket', f.priceBucket, vocab.price_bucket],
    ['history_item_ids', f.history, vocab.item],
  ];
  for (const [col, ids, size] of cols) {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (v < 0 || v >= size) {
        const row = col === 'history_item_ids' ? Math.floor(i / (ids.length / f.size)) : i;
        throw new DataError(`${source}: column "${col}" row ${row}: id ${v} is outside the vocabulary [0, ${size}) (manifest vocab_sizes)`);
      }
    }
  }
}

export interface FeatureEmbeddingOptions {
  dim: number;
  /** Std of the normal initialiser (small, so that products of embeddings start near zero). */
  initStd?: number;
}

export class FeatureEmbedding {
  readonly tables: Record<TableName, tf.Variable>;
  readonly dim: number;

  /** Creates `<scope>.user`, `<scope>.item`, … in `store`. */
  constructor(store: VariableStore, vocab: VocabSizes, opts: FeatureEmbeddingOptions) {
    checkVocab(vocab);
    this.dim = opts.dim;
    const std = opts.initStd ?? 1e-4;
    const t = {} as Record<TableName, tf.Variable>;
    for (const k of TABLES) t[k] = store.normal(k, [vocab[k], opts.dim], std, { zeroRow0: true });
    this.tables = t;
  }

  /** [batch, dim]: mean of the non-padding history item embeddings, zeros when the history is empty. */
  history(history: tf.Tensor2D): tf.Tensor2D {
    const e = embeddingLookup(this.tables.item, history); // [b, 5, d]
    const mask = tf.cast(tf.greater(history, 0), 'float32'); // [b, 5]
    const summed = tf.sum(tf.mul(e, tf.expandDims(mask, 2)), 1);
    const count = tf.maximum(tf.sum(mask, 1, true), 1);
    return tf.div(summed, count) as tf.Tensor2D;
  }

  /** [batch, NUM_FIELDS, dim] in FIELDS order. */
  apply(batch: BatchTensors): tf.Tensor3D {
    const parts = [
      embeddingLookup(this.tables.user, batch.userId),
      embeddingLookup(this.tables.item, batch.itemId),
      embeddingLookup(this.tables.brand, batch.brandId),
      embeddingLookup(this.tables.title, batch.titleId),
      embeddingLookup(this.tables.price_bucket, batch.priceBucket),
      this.history(batch.history),
    ];
    // concat of [b, 1, d] slices rather than stack: stack's gradient (Unpack) is slow on cpu.
    return tf.concat(parts.map((p) => tf.expandDims(p, 1)), 1) as tf.Tensor3D;
  }
}

/** [batch, fields, dim] → [batch, fields · dim]. */
export function flattenFields(e: tf.Tensor3D): tf.Tensor2D {
  return tf.reshape(e, [e.shape[0], e.shape[1] * e.shape[2]]);
}
