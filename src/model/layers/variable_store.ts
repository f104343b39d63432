/**
 * Named, seeded variables for the models (baselines and Uni-CTR heads).
 *
 * Names are stable checkpoint keys (`embedding.user`, `mlp.0.kernel`, `tower.1.2.bias`); tfjs's own
 * variable names are left automatic because they must be unique per process, and two models of the
 * same kind (one per domain) would collide.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../util/rng.js';

export class VariableStore {
  private readonly vars: Map<string, tf.Variable>;

  constructor(
    readonly rng: Rng,
    private readonly prefix = '',
    vars?: Map<string, tf.Variable>,
  ) {
    this.vars = vars ?? new Map();
  }

  /** A view whose names start with `<prefix><name>.`, sharing this store's variables. */
  scope(name: string | number): VariableStore {
    return new VariableStore(this.rng, `${this.prefix}${name}.`, this.vars);
  }

  private add(name: string, values: Float32Array, shape: number[], trainable: boolean): tf.Variable {
    const full = this.prefix + name;
    if (this.vars.has(full)) throw new Error(`VariableStore: variable "${full}" created twice`);
    const init = tf.tensor(values, shape, 'float32');
    const v = tf.variable(init, trainable);
    init.dispose();
    this.vars.set(full, v);
    return v;
  }

  /** Glorot (Xavier) uniform, for kernels [fanIn, fanOut]. */
  glorot(name: string, shape: [number, number]): tf.Variable {
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    const vals = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < vals.length; i++) vals[i] = (this.rng.next() * 2 - 1) * limit;
    return this.add(name, vals, shape, true);
  }

  normal(name: string, shape: number[], std: number, opts: { zeroRow0?: boolean } = {}): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = new Float32Array(n);
    for (let i = 0; i < n; i++) vals[i] = this.rng.normal() * std;
    // Row 0 is the padding/unknown id: it starts at zero so that an unseen id adds nothing at first.
    if (opts.zeroRow0) vals.fill(0, 0, n / shape[0]!);
    return this.add(name, vals, shape, true);
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    const vals = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
    return this.add(name, vals, shape, trainable);
  }

  zeros(name: string, shape: number[], trainable = true): tf.Variable {
    return this.constant(name, shape, 0, trainable);
  }

  /** Every variable by full name (a copy of the map). */
  named(): Map<string, tf.Variable> {
    return new Map(this.vars);
  }

  trainable(): tf.Variable[] {
    return [...this.vars.values()].filter((v) => v.trainable);
  }

  /** Number of scalar parameters (trainable only unless `all`). */
  count(all = false): number {
    let n = 0;
    for (const v of this.vars.values()) if (all || v.trainable) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
