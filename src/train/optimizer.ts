/**
 * The trainer's view of the optimizer: AdamW/Adam from optim.ts plus clipping, with its state
 * keyed by the model's stable variable names so checkpoints do not depend on tfjs auto-names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamOptimizer, clipByGlobalNorm, type AdamState } from './optim.js';
import { TrainingDivergedError } from '../util/errors.js';
import type { NamedArrays } from './checkpoint.js';
import type { TrainConfig } from './train_config.js';

export interface OptimizerState {
  meta: { kind: AdamState['kind']; step: number; param_steps: Record<string, number> };
  slots: NamedArrays;
}

export class Optimizer {
  private readonly opt: AdamOptimizer;
  private readonly toStable = new Map<string, string>();
  private readonly toTf = new Map<string, string>();

  constructor(
    private readonly cfg: TrainConfig,
    vars: { name: string; variable: tf.Variable }[],
  ) {
    for (const { name, variable } of vars) {
      this.toStable.set(variable.name, name);
      this.toTf.set(name, variable.name);
    }
    this.opt = new AdamOptimizer(
      vars.map((v) => v.variable),
      { kind: cfg.optimizer, weightDecay: cfg.optimizer === 'adamw' ? cfg.weight_decay : 0 },
    );
  }

  /** Clip (if configured) and apply; gradients are keyed by stable name. Returns the pre-clip norm. */
  async step(grads: Map<string, tf.Tensor>, lr: number): Promise<number> {
    // A branch that saw no rows of this batch (another domain's DSN) gets an all-zero gradient;
    // leaving it out keeps AdamW's decoupled decay and moments from touching that branch.
    // One readback of Σ|g| per variable: zero marks an untouched branch, and (unlike a max, which
    // skips NaN on some backends) a NaN or Infinity anywhere shows up, named by its model path.
    // With clipping, the squared norms come back in the same async read (webgpu has no synchronous one).
    const names = [...grads.keys()];
    const k = names.length;
    const clip = this.cfg.grad_clip !== null;
    const total = tf.tidy(() =>
      tf.stack([...names.map((n) => tf.sum(tf.abs(grads.get(n)!))), ...(clip ? names.map((n) => tf.sum(tf.square(grads.get(n)!))) : [])]),
    );
    const totals = await total.data();
    total.dispose();
    const bad = names.findIndex((_, i) => !Number.isFinite(totals[i]!));
    if (bad >= 0) throw new TrainingDivergedError(`the gradient of "${names[bad]}" holds NaN or Infinity`);
    const byTf: tf.NamedTensorMap = {};
    const squaredNorms: number[] = [];
    names.forEach((name, i) => {
      if (totals[i] !== 0) {
        byTf[this.toTf.get(name)!] = grads.get(name)!;
        squaredNorms.push(totals[k + i]!);
      }
    });
    if (Object.keys(byTf).length === 0) return 0;
    if (clip) {
      const clipped = clipByGlobalNorm(byTf, this.cfg.grad_clip!, { squaredNorms });
      try {
        this.opt.applyGradients(clipped.grads, lr);
      } finally {
        tf.dispose(Object.values(clipped.grads));
      }
      return clipped.norm;
    }
    this.opt.applyGradients(byTf, lr);
    return NaN;
  }

  async getState(): Promise<OptimizerState> {
    const s = await this.opt.getState();
    const slots: NamedArrays = {};
    const param_steps: Record<string, number> = {};
    for (const [tfName, p] of Object.entries(s.params)) {
      const name = this.toStable.get(tfName)!;
      slots[`${name}::m`] = { shape: p.shape, values: p.m };
      slots[`${name}::v`] = { shape: p.shape, values: p.v };
      param_steps[name] = p.step;
    }
    return { meta: { kind: s.kind, step: s.step, param_steps }, slots };
  }

  setState(state: OptimizerState): void {
    const params: AdamState['params'] = {};
    for (const [name, step] of Object.entries(state.meta.param_steps)) {
      const m = state.slots[`${name}::m`];
      const v = state.slots[`${name}::v`];
      const tfName = this.toTf.get(name);
      if (!m || !v || !tfName) continue;
      params[tfName] = { step, shape: m.shape, m: m.values, v: v.values };
    }
    this.opt.setState({ kind: state.meta.kind, step: state.meta.step, params });
  }

  dispose(): void {
    this.opt.dispose();
  }
}
