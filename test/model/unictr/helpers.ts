/** Tiny random backbone states and batches for the Uni-CTR tests. */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../src/util/rng.js';
import type { BatchTensors, TokenStates } from '../../../src/model/types.js';
import { uniCtrConfig, type UniCtrConfig } from '../../../src/model/unictr/config.js';
import { UniCtr } from '../../../src/model/unictr/unictr.js';

export const D = 16;
export const L = 2;

/** Small towers keep the tests fast; everything else stays at the spec defaults. */
export function tinyConfig(over: Partial<UniCtrConfig> = {}): UniCtrConfig {
  return uniCtrConfig({ tower_hidden: [12, 8], ...over });
}

export function tinyModel(domains: string[], over: Partial<UniCtrConfig> = {}, seed = 7): UniCtr {
  return new UniCtr({ config: tinyConfig(over), domains, hiddenSize: D, numLayers: L, seed });
}

export function randn(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

/** Row lengths ≥ 1; row i has lengths[i] real tokens followed by padding. */
export function maskArray(lengths: readonly number[], t: number): Float32Array {
  const m = new Float32Array(lengths.length * t);
  lengths.forEach((len, i) => m.fill(1, i * t, i * t + len));
  return m;
}

export interface RawStates {
  n: number;
  t: number;
  layers: Float32Array[];
  mask: Float32Array;
}

export function randomStates(rng: Rng, lengths: readonly number[], t: number, numStates: number, d = D): RawStates {
  const n = lengths.length;
  return { n, t, layers: Array.from({ length: numStates }, () => randn(rng, n * t * d)), mask: maskArray(lengths, t) };
}

export function toTokenStates(raw: RawStates, d = D): TokenStates {
  return {
    layers: raw.layers.map((a) => tf.tensor3d(a, [raw.n, raw.t, d])),
    mask: tf.tensor2d(raw.mask, [raw.n, raw.t]),
  };
}

/** A Uni-CTR batch: the ID features are unused by Uni-CTR and left as zeros. */
export function makeBatch(domainIndex: readonly number[], states?: TokenStates): BatchTensors {
  const n = domainIndex.length;
  const z = () => tf.zeros([n], 'int32') as tf.Tensor1D;
  return {
    size: n,
    domainIndex: tf.tensor1d(Int32Array.from(domainIndex), 'int32'),
    userId: z(),
    itemId: z(),
    brandId: z(),
    titleId: z(),
    priceBucket: z(),
    history: tf.zeros([n, 5], 'int32') as tf.Tensor2D,
    states,
  };
}

export function disposeBatch(b: BatchTensors): void {
  const ts: tf.Tensor[] = [b.domainIndex, b.userId, b.itemId, b.brandId, b.titleId, b.priceBucket, b.history];
  if (b.states) ts.push(...b.states.layers, b.states.mask);
  if (b.tokens) ts.push(b.tokens.inputIds, b.tokens.attentionMask);
  tf.dispose(ts);
}

/** Copies of every variable's values, by checkpoint name. */
export function snapshot(model: UniCtr): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of model.namedVariables()) out.set(k, Float32Array.from(v.dataSync() as Float32Array));
  return out;
}

export function sameArray(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Exact AUC with ties averaged (Mann-Whitney), independent of the project's metrics code. */
export function rankAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let pos = 0;
  let sumPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) { pos++; sumPos += ranks[i]!; }
  const neg = labels.length - pos;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}
