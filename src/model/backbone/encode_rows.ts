/**
 * Frozen states of a few prompts computed on the spot, in the layout a state-cache read returns
 * (StateBatchArrays: one zero-padded [batch, seqMax, d] float32 array per layer plus a mask), so a
 * trainer can take them in place of `StateCache.read` (backbone.cache: none).
 *
 * As when a cache is built, prompts are encoded in sub-batches of similar token count (little
 * padding, and the same kind of batches the cache was filled from); each row's real tokens are
 * copied to its place in the output and its padding stays zero.
 */
import { rowLengths, type StateBatchArrays, type StateEncoder } from './encoder_cache.js';

export async function encodeStateRows(
  encoder: StateEncoder,
  texts: readonly string[],
  maxLength: number,
  layers: readonly number[],
  /** Prompts per encoder call. Default 32 (as when a cache is built). */
  batchSize = 32,
): Promise<StateBatchArrays> {
  const d = encoder.hiddenSize;
  const b = texts.length;
  // The tokenizer alone first: every row's length fixes the output shape and the sub-batches.
  const lengths = new Int32Array(b);
  for (let start = 0; start < b; start += batchSize) {
    const tok = encoder.tokenize(texts.slice(start, start + batchSize), maxLength);
    lengths.set(rowLengths(tok, (i) => start + i), start);
  }
  // At least one position, as a cache read gives (a row without tokens is all padding).
  const seqLen = Math.max(1, ...lengths);
  const mask = new Float32Array(b * seqLen);
  lengths.forEach((len, i) => mask.fill(1, i * seqLen, i * seqLen + len));
  const states = layers.map(() => new Float32Array(b * seqLen * d));
  const order = Array.from({ length: b }, (_, i) => i).sort((x, y) => lengths[x]! - lengths[y]! || x - y);
  for (let start = 0; start < b; start += batchSize) {
    const part = order.slice(start, start + batchSize);
    const tok = encoder.tokenize(part.map((i) => texts[i]!), maxLength);
    const s = tok.seqLen;
    const got = await encoder.encode(tok, layers);
    layers.forEach((l, li) => {
      const src = got[li]!;
      if (src.length !== tok.batch * s * d) throw new Error(`encoder ${encoder.id} returned ${src.length} values for layer ${l}, expected ${tok.batch}×${s}×${d}`);
      part.forEach((row, k) => states[li]!.set(src.subarray(k * s * d, (k * s + lengths[row]!) * d), row * seqLen * d));
    });
  }
  return { batch: b, seqLen, states, mask };
}
