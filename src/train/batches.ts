/**
 * Turning rows of a processed split into tensors for one batch. The split stays in typed arrays;
 * only the rows of the current batch become tensors, and the caller disposes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HISTORY_LEN, type SplitColumns } from '../data/types.js';
import type { BatchTensors, TokenStates } from '../model/types.js';
import type { Rng } from '../util/rng.js';

/** Rows of a split that belong to the given manifest domain ids, in split order. */
export function rowsOfDomains(split: SplitColumns, domainIds: readonly number[]): Int32Array {
  const keep = new Set(domainIds);
  const out: number[] = [];
  for (let i = 0; i < split.rows; i++) if (keep.has(split.domainId[i]!)) out.push(i);
  return Int32Array.from(out);
}

function pick(src: Int32Array, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]!]!;
  return out;
}

/**
 * Build the tensors of one batch. `towerOf` maps a manifest domain id to the model's tower index
 * (-1 when the model has no tower for it).
 */
export function makeBatch(
  split: SplitColumns,
  rows: Int32Array,
  towerOf: (manifestDomainId: number) => number,
  states?: TokenStates,
  tokens?: BatchTensors['tokens'],
): BatchTensors {
  const n = rows.length;
  const domainIndex = new Int32Array(n);
  const history = new Int32Array(n * HISTORY_LEN);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    domainIndex[i] = towerOf(split.domainId[r]!);
    history.set(split.history.subarray(r * HISTORY_LEN, (r + 1) * HISTORY_LEN), i * HISTORY_LEN);
  }
  return {
    size: n,
    domainIndex: tf.tensor1d(domainIndex, 'int32'),
    userId: tf.tensor1d(pick(split.userId, rows), 'int32'),
    itemId: tf.tensor1d(pick(split.itemId, rows), 'int32'),
    brandId: tf.tensor1d(pick(split.brandId, rows), 'int32'),
    titleId: tf.tensor1d(pick(split.titleId, rows), 'int32'),
    priceBucket: tf.tensor1d(pick(split.priceBucket, rows), 'int32'),
    history: tf.tensor2d(history, [n, HISTORY_LEN], 'int32'),
    states,
    tokens,
  };
}

export function labelsOf(split: SplitColumns, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = split.label[rows[i]!]!;
  return out;
}

export function disposeBatch(b: BatchTensors): void {
  tf.dispose([b.domainIndex, b.userId, b.itemId, b.brandId, b.titleId, b.priceBucket, b.history]);
  if (b.states) tf.dispose([...b.states.layers, b.states.mask]);
  if (b.tokens) tf.dispose([b.tokens.inputIds, b.tokens.attentionMask]);
}

/** Consecutive slices of `order` of at most `size` rows. */
export function* chunks(order: Int32Array, size: number): Generator<Int32Array> {
  for (let i = 0; i < order.length; i += size) yield order.subarray(i, Math.min(order.length, i + size));
}

/**
 * An epoch order whose consecutive `batchSize` slices hold rows of similar length: `order` (already
 * shuffled) is cut into groups of `groupBatches` batches, each group is sorted by length and cut into
 * batches, and the full batches are shuffled (a short last batch stays last, so every slice but the
 * last is full). Rows keep their random grouping across domains and labels; only which rows share a
 * batch changes, so a batch pads to its own longest row and little more.
 */
export function groupByLength(
  order: Int32Array,
  lengthOf: (position: number) => number,
  batchSize: number,
  groupBatches: number,
  rng: Pick<Rng, 'shuffle'>,
): Int32Array {
  const group = batchSize * groupBatches;
  const sorted = new Int32Array(order.length);
  for (let g = 0; g < order.length; g += group) {
    const part = Array.from(order.subarray(g, Math.min(order.length, g + group)));
    // Ties keep the shuffled order, so equal lengths stay randomly mixed.
    const keyed = part.map((p, i) => ({ p, i, len: lengthOf(p) }));
    keyed.sort((a, b) => b.len - a.len || a.i - b.i);
    keyed.forEach((k, i) => (sorted[g + i] = k.p));
  }
  const full = Math.floor(order.length / batchSize);
  const batches = rng.shuffle(Array.from({ length: full }, (_, b) => b));
  const out = new Int32Array(order.length);
  batches.forEach((b, i) => out.set(sorted.subarray(b * batchSize, (b + 1) * batchSize), i * batchSize));
  out.set(sorted.subarray(full * batchSize), full * batchSize);
  return out;
}

/** Mean padded length per row when each `batchSize` slice of `order` pads to its longest row. */
export function meanPaddedLength(order: Int32Array, lengthOf: (position: number) => number, batchSize: number): number {
  let sum = 0;
  for (let b = 0; b < order.length; b += batchSize) {
    const part = order.subarray(b, Math.min(order.length, b + batchSize));
    sum += part.length * Math.max(...Array.from(part, lengthOf));
  }
  return order.length ? sum / order.length : 0;
}
