/**
 * Adam / AdamW over tfjs variables, global-norm gradient clipping and gradient accumulation,
 * with optimizer state that round-trips exactly through a checkpoint.
 *
 * Update rule (per variable, step t counted per variable as in torch.optim):
 *   adamw:  p ← p·(1 − lr·wd)                       (decoupled decay, Loshchilov & Hutter)
 *   adam:   g ← g + wd·p                             (classic L2; wd defaults to 0)
 *           m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *           p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * Variables with no gradient in a call are left completely alone (no decay, no moment update, no
 * step), like torch parameters whose `.grad` is None: pass only the gradients of the variables a
 * step should touch (e.g. leave out another domain's tower to keep it bit-for-bit unchanged).
 */
import * as tf from '@tensorflow/tfjs-core';
import { RunFolderError, TrainingDivergedError } from '../util/errors.js';

/** Gradients by variable name (what `tf.variableGrads` returns), or a Map keyed by name or variable. */
export type GradInput = tf.NamedTensorMap | Map<string | tf.Variable, tf.Tensor>;

export type OptimizerKind = 'adamw' | 'adam';

export interface AdamOptions {
  /** 'adamw' (decoupled weight decay, the Uni-CTR default) or 'adam' (coupled L2, baselines). */
  kind?: OptimizerKind;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Default 0.001 for adamw (spec §4), 0 for adam. */
  weightDecay?: number;
}

/** Moments of one variable, as stored in a checkpoint. */
export interface AdamParamState {
  /** Updates applied to this variable so far (the t of the bias correction). */
  step: number;
  shape: number[];
  m: Float32Array;
  v: Float32Array;
}

/** Everything needed to continue bit-identically after a restore. */
export interface AdamState {
  kind: OptimizerKind;
  /** Calls of `applyGradients` so far. */
  step: number;
  /** Only variables that have received a gradient at least once. */
  params: Record<string, AdamParamState>;
}

interface Slot {
  step: number;
  m: tf.Tensor;
  v: tf.Tensor;
}

/** Normalises any accepted gradient container to a name → tensor map (no copies). */
export function namedGrads(grads: GradInput): tf.NamedTensorMap {
  if (!(grads instanceof Map)) return grads;
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of grads) {
    const name = typeof k === 'string' ? k : k.name;
    if (name in out) throw new Error(`gradients: variable "${name}" is given twice`);
    out[name] = g;
  }
  return out;
}

/** Adam / AdamW (see the file comment). Call `dispose()` to free the moments. */
export class AdamOptimizer {
  readonly kind: OptimizerKind;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly slots = new Map<string, Slot>();
  private calls = 0;

  constructor(variables: tf.Variable[], opts: AdamOptions = {}) {
    this.kind = opts.kind ?? 'adamw';
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? (this.kind === 'adamw' ? 0.001 : 0);
    if (this.kind !== 'adamw' && this.kind !== 'adam') throw new Error(`optimizer kind "${String(this.kind)}": expected adamw or adam`);
    for (const [k, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new Error(`optimizer ${k} is ${b}; expected 0 <= ${k} < 1`);
    }
    if (!(this.eps > 0)) throw new Error(`optimizer eps is ${this.eps}; expected > 0`);
    if (!(this.weightDecay >= 0)) throw new Error(`optimizer weight decay is ${this.weightDecay}; expected >= 0`);
    for (const v of variables) {
      if (this.vars.has(v.name)) throw new Error(`optimizer: two variables are named "${v.name}"`);
      this.vars.set(v.name, v);
    }
  }

  /** Calls of `applyGradients` so far. */
  get step(): number {
    return this.calls;
  }

  /** Names of the variables this optimizer updates, in constructor order. */
  variableNames(): string[] {
    return [...this.vars.keys()];
  }

  /**
   * One update with learning rate `lr`. Gradients are not disposed (the caller owns them); every
   * key must name one of the optimizer's variables and match its shape.
   */
  applyGradients(grads: GradInput, lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`applyGradients: learning rate is ${lr}; expected a finite number >= 0`);
    const named = namedGrads(grads);
    // Validate everything before touching any variable, so a bad call changes nothing.
    for (const [name, g] of Object.entries(named)) {
      const v = this.vars.get(name);
      if (!v) throw new Error(`applyGradients: gradient for unknown variable "${name}"`);
      if (!tf.util.arraysEqual(v.shape, g.shape)) {
        throw new Error(`applyGradients: gradient of "${name}" has shape [${g.shape}], variable has [${v.shape}]`);
      }
    }
    this.calls++;
    const { beta1, beta2, eps, weightDecay: wd } = this;
    for (const [name, g] of Object.entries(named)) {
      const p = this.vars.get(name)!;
      let slot = this.slots.get(name);
      if (!slot) {
        slot = { step: 0, m: tf.keep(tf.zerosLike(p)), v: tf.keep(tf.zerosLike(p)) };
        this.slots.set(name, slot);
      }
      const t = slot.step + 1;
      const bc1 = 1 - Math.pow(beta1, t);
      const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
      const stepSize = lr / bc1;
      const oldM = slot.m;
      const oldV = slot.v;
      const [m, v] = tf.tidy(() => {
        let grad: tf.Tensor = g;
        let param: tf.Tensor = p;
        if (this.kind === 'adam' && wd !== 0) grad = tf.add(grad, tf.mul(param, wd));
        if (this.kind === 'adamw' && wd !== 0) param = tf.mul(param, 1 - lr * wd);
        const m = tf.add(tf.mul(oldM, beta1), tf.mul(grad, 1 - beta1));
        const v = tf.add(tf.mul(oldV, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
        p.assign(tf.sub(param, tf.mul(tf.div(m, denom), stepSize)));
        // Kept so that a caller's enclosing tf.tidy does not free the moments.
        return [tf.keep(m), tf.keep(v)];
      });
      oldM.dispose();
      oldV.dispose();
      slot.m = m!;
      slot.v = v!;
      slot.step = t;
    }
  }

  /** Copies of the moments and step counts (for a checkpoint); async reads work on every backend. */
  async getState(): Promise<AdamState> {
    const params: Record<string, AdamParamState> = {};
    for (const [name, s] of this.slots) {
      params[name] = {
        step: s.step,
        shape: [...s.m.shape],
        m: Float32Array.from((await s.m.data()) as Float32Array),
        v: Float32Array.from((await s.v.data()) as Float32Array),
      };
    }
    return { kind: this.kind, step: this.calls, params };
  }

  /**
   * Restores a `getState()` snapshot; continuing afterwards gives bit-identical updates. A
   * snapshot that does not fit these variables is a RunFolderError (the checkpoint is bad).
   */
  setState(state: AdamState): void {
    const where = 'checkpoint optimizer state';
    if (state.kind !== this.kind) throw new RunFolderError(`${where}: kind is "${state.kind}", the config asks for "${this.kind}"`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new RunFolderError(`${where}: step is ${state.step}`);
    const fresh = new Map<string, Slot>();
    try {
      for (const [name, s] of Object.entries(state.params)) {
        const p = this.vars.get(name);
        if (!p) throw new RunFolderError(`${where}: variable "${name}" does not exist in the model`);
        if (!tf.util.arraysEqual(p.shape, s.shape)) {
          throw new RunFolderError(`${where}: variable "${name}" has shape [${s.shape}], the model has [${p.shape}]`);
        }
        const size = tf.util.sizeFromShape(p.shape);
        if (s.m.length !== size || s.v.length !== size) {
          throw new RunFolderError(`${where}: variable "${name}" has ${s.m.length}/${s.v.length} moment values, expected ${size}`);
        }
        if (!Number.isInteger(s.step) || s.step < 1) throw new RunFolderError(`${where}: variable "${name}" has step ${s.step}`);
        fresh.set(name, {
          step: s.step,
          m: tf.keep(tf.tensor(Float32Array.from(s.m), p.shape, 'float32')),
          v: tf.keep(tf.tensor(Float32Array.from(s.v), p.shape, 'float32')),
        });
      }
    } catch (e) {
      for (const s of fresh.values()) tf.dispose([s.m, s.v]);
      throw e;
    }
    this.disposeSlots();
    for (const [k, s] of fresh) this.slots.set(k, s);
    this.calls = state.step;
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) tf.dispose([s.m, s.v]);
    this.slots.clear();
  }

  /** Frees the moment tensors (the variables belong to the model and are not touched). */
  dispose(): void {
    this.disposeSlots();
  }
}

/** AdamW with the spec's defaults (β 0.9/0.999, ε 1e-8, weight decay 0.001). */
export function adamW(variables: tf.Variable[], opts: Omit<AdamOptions, 'kind'> = {}): AdamOptimizer {
  return new AdamOptimizer(variables, { ...opts, kind: 'adamw' });
}

/** Plain Adam (no weight decay unless given), as used for the baselines (lr 1e-3). */
export function adam(variables: tf.Variable[], opts: Omit<AdamOptions, 'kind'> = {}): AdamOptimizer {
  return new AdamOptimizer(variables, { ...opts, kind: 'adam' });
}

export interface ClipResult {
  /** New tensors owned by the caller (the input is not disposed). */
  grads: tf.NamedTensorMap;
  /** Global L2 norm of the gradients before clipping. */
  norm: number;
}

/**
 * Global-norm clipping as torch.nn.utils.clip_grad_norm_: norm = √Σ‖g‖², every gradient is scaled by
 * min(1, maxNorm / (norm + 1e-6)). A non-finite norm throws TrainingDivergedError naming the first
 * gradient with a non-finite value, unless `errorIfNonfinite` is false (then the result holds NaNs).
 */
export function clipByGlobalNorm(
  grads: GradInput,
  maxNorm: number,
  opts: { errorIfNonfinite?: boolean; squaredNorms?: readonly number[] } = {},
): ClipResult {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm is ${maxNorm}; expected > 0`);
  const named = namedGrads(grads);
  const names = Object.keys(named);
  // One readback of every tensor's squared norm, summed in float64 on the host in name order.
  // `squaredNorms` (one per gradient, in key order): read by the caller, e.g. asynchronously on
  // webgpu, which has no synchronous readback under Node.
  let parts: number[] = opts.squaredNorms ? [...opts.squaredNorms] : [];
  if (names.length > 0 && !opts.squaredNorms) {
    const sq = tf.tidy(() => tf.stack(names.map((n) => tf.sum(tf.square(named[n]!)))));
    parts = Array.from(sq.dataSync());
    sq.dispose();
  }
  const norm = Math.sqrt(parts.reduce((a, b) => a + b, 0));
  if (!Number.isFinite(norm) && (opts.errorIfNonfinite ?? true)) {
    const bad = names[parts.findIndex((x) => !Number.isFinite(x))] ?? names[0];
    throw new TrainingDivergedError(`gradient norm is ${norm}: gradient of "${bad}" holds NaN or Infinity`);
  }
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  const out: tf.NamedTensorMap = {};
  for (const n of names) out[n] = coef < 1 || Number.isNaN(coef) ? tf.mul(named[n]!, coef) : named[n]!.clone();
  return { grads: out, norm };
}

/**
 * Sums gradients over micro-batches and hands back their mean (torch's "loss / k" accumulation).
 * A variable missing from some micro-batches is summed where present and still divided by the
 * number of micro-batches added. Checkpoint only at boundaries (`count === 0`): the partial sum is
 * not part of any saved state.
 */
export class GradientAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private n = 0;

  /** `every`: micro-batches per optimizer step (spec reference: 4). */
  constructor(readonly every: number) {
    if (!Number.isInteger(every) || every < 1) throw new Error(`gradient accumulation steps is ${every}; expected an integer >= 1`);
  }

  /** Micro-batches added since the last `average()`. */
  get count(): number {
    return this.n;
  }

  /** Adds one micro-batch (inputs are copied, not kept). Returns true when `every` have been added. */
  add(grads: GradInput): boolean {
    const named = namedGrads(grads);
    for (const [name, g] of Object.entries(named)) {
      const old = this.sums.get(name);
      if (old && !tf.util.arraysEqual(old.shape, g.shape)) {
        throw new Error(`GradientAccumulator: gradient of "${name}" has shape [${g.shape}], earlier [${old.shape}]`);
      }
      this.sums.set(name, tf.keep(old ? tf.add(old, g) : g.clone()));
      old?.dispose();
    }
    this.n++;
    return this.n >= this.every;
  }

  /** Mean gradient over the micro-batches added (new tensors, caller owns them); resets. */
  average(): tf.NamedTensorMap {
    if (this.n === 0) throw new Error('GradientAccumulator.average: no micro-batch was added');
    const out: tf.NamedTensorMap = {};
    for (const [name, s] of this.sums) {
      out[name] = this.n === 1 ? s.clone() : tf.div(s, this.n);
    }
    this.reset();
    return out;
  }

  /** Drops the partial sum. */
  reset(): void {
    for (const s of this.sums.values()) s.dispose();
    this.sums.clear();
    this.n = 0;
  }

  dispose(): void {
    this.reset();
  }
}
