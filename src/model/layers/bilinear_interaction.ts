/**
 * Bilinear interaction of FiBiNET: p_ij = (v_i · W) ⊙ v_j for every field pair i < j, with W
 * shared by all fields ("field_all"), one per field i ("field_each") or one per pair
 * ("field_interaction"). Variables `weight` / `weight.<i>` / `weight.<i>_<j>`, [dim, dim], no bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dense } from '../ops/dense.js';
import type { VariableStore } from './variable_store.js';

export const BILINEAR_TYPES = ['field_all', 'field_each', 'field_interaction'] as const;
export type BilinearType = (typeof BILINEAR_TYPES)[number];

export class BilinearInteraction {
  private readonly all?: tf.Variable;
  private readonly each: tf.Variable[] = [];
  private readonly pair = new Map<string, tf.Variable>();

  constructor(store: VariableStore, readonly numFields: number, readonly dim: number, readonly type: BilinearType) {
    if (type === 'field_all') this.all = store.glorot('weight', [dim, dim]);
    // Field f−1 is never the left side of a pair, so it gets no matrix.
    if (type === 'field_each') for (let i = 0; i + 1 < numFields; i++) this.each.push(store.glorot(`weight.${i}`, [dim, dim]));
    if (type === 'field_interaction') {
      for (let i = 0; i < numFields; i++) {
        for (let j = i + 1; j < numFields; j++) this.pair.set(`${i}_${j}`, store.glorot(`weight.${i}_${j}`, [dim, dim]));
      }
    }
  }

  /** x: [batch, fields, dim] → [batch, pairs, dim]. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    const v = tf.unstack(x, 1) as tf.Tensor2D[];
    const left = this.all ? tf.unstack(dense(x, this.all), 1) : null;
    const out: tf.Tensor[] = [];
    for (let i = 0; i < this.numFields; i++) {
      const vi = left ? left[i]! : this.type === 'field_each' && i < this.each.length ? dense(v[i]!, this.each[i]!) : null;
      for (let j = i + 1; j < this.numFields; j++) {
        const l = vi ?? dense(v[i]!, this.pair.get(`${i}_${j}`)!);
        out.push(tf.mul(l, v[j]!));
      }
    }
    return tf.stack(out, 1) as tf.Tensor3D;
  }
}
