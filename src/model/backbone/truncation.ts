/**
 * Where a prompt longer than `max_length` is cut. `right` keeps the beginning (the usual
 * tokenizer behaviour). `middle` keeps the first quarter and the end: in the paper's template the
 * domain and user come first and the current product (title, brand, price) last, while the
 * history titles in between are what grows, so `middle` drops history rather than the product.
 */
import { NO_TRUNCATION, type TokenizedBatch } from './types.js';
import type { StateEncoder } from './encoder_cache.js';

export const TRUNCATIONS = ['right', 'middle'] as const;
export type Truncation = (typeof TRUNCATIONS)[number];


/** Keep `head` first and `maxLength − head` last real tokens of each row; re-pad to the batch's longest. */
export function truncateMiddle(t: TokenizedBatch, maxLength: number, head = Math.floor(maxLength / 4)): TokenizedBatch {
  const lens = new Int32Array(t.batch);
  for (let b = 0; b < t.batch; b++) {
    let n = 0;
    for (let j = 0; j < t.seqLen; j++) n += t.attentionMask[b * t.seqLen + j]! ? 1 : 0;
    lens[b] = n;
  }
  const seqLen = Math.min(maxLength, Math.max(1, ...lens));
  const inputIds = new Int32Array(t.batch * seqLen);
  const attentionMask = new Int32Array(t.batch * seqLen);
  for (let b = 0; b < t.batch; b++) {
    const n = lens[b]!;
    const src = t.inputIds.subarray(b * t.seqLen, b * t.seqLen + n);
    const row = n <= maxLength ? src : Int32Array.from([...src.subarray(0, head), ...src.subarray(n - (maxLength - head))]);
    inputIds.set(row, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + row.length);
  }
  return { batch: t.batch, seqLen, inputIds, attentionMask };
}

/** Tokenize with the given truncation (the tokenizer pads right and keeps real tokens first). */
export function tokenizeWith(
  tokenize: (texts: readonly string[], maxLength: number) => TokenizedBatch,
  texts: readonly string[],
  maxLength: number,
  truncation: Truncation,
): TokenizedBatch {
  return truncation === 'right' ? tokenize(texts, maxLength) : truncateMiddle(tokenize(texts, NO_TRUNCATION), maxLength);
}

/** An encoder whose tokenizer truncates in the middle; its id says so, keeping caches apart. */
export function withTruncation(enc: StateEncoder, truncation: Truncation): StateEncoder {
  if (truncation === 'right') return enc;
  return {
    id: `${enc.id}|truncation=${truncation}`,
    numLayers: enc.numLayers,
    hiddenSize: enc.hiddenSize,
    pooling: enc.pooling,
    tokenize: (texts, maxLength) => tokenizeWith((x, m) => enc.tokenize(x, m), texts, maxLength, truncation),
    encode: (tokens, layers) => enc.encode(tokens, layers),
    dispose: enc.dispose ? () => enc.dispose!() : undefined,
  };
}
