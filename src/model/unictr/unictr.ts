/**
 * Uni-CTR (spec §3): backbone hidden states → one domain-specific network (DSN: ladder → gate →
 * tower) per training domain, plus a general network trained on every sample.
 *
 * Forward: `logits` = each sample's own-domain DSN logit, `auxLogits` = [general logit]. Each DSN
 * runs only on the rows of its domain, so a sample never reaches another domain's weights; the
 * rows are sliced when contiguous (batches grouped by domain are cheapest) or gathered, and the
 * logits are put back in batch order. Rows with domainIndex −1 (a domain without a
 * DSN) are scored by the general network. `head: k` scores every row with DSN k, `head:
 * 'general'` with the general network.
 *
 * States come from `batch.states` (frozen cache) or, when `batch.tokens` is set and a backbone
 * was given, from a live backbone forward. Either way `layers` follows `stateLayers`.
 *
 * Checkpoint names (`namedVariables()`):
 *   dsn.<k>.ladder.<i>.{down.0,down.1,attn.qkv,attn.output,up.0,up.1}.{kernel,bias}
 *   dsn.<k>.ladder.<i>.{attn_norm,out_norm}.{gamma,beta}
 *   dsn.<k>.gate.proj.{kernel,bias}, dsn.<k>.gate.query
 *   dsn.<k>.tower.<j>.linear.{kernel,bias}, dsn.<k>.tower.<j>.bn.{gamma,beta,moving_mean,moving_variance}
 *   dsn.<k>.tower.out.{kernel,bias}
 *   general.… the same layout (pooled variant: general.gate.*, general.tower.*)
 *   backbone.<HF name> for a backbone that is not frozen.
 * k is the DSN's index in `domains`; the domain names themselves belong in the checkpoint's
 * metadata.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import type { Backbone } from '../backbone/types.js';
import { forwardInSlices } from '../backbone/sliced_forward.js';
import { VariableStore } from '../layers/variable_store.js';
import { embeddingLookup } from '../ops/embedding_lookup.js';
import type { BatchTensors, CtrModel, ForwardOptions, ModelOutputs } from '../types.js';
import { Branch, type BranchInput, type BranchNet } from './branch.js';
import type { UniCtrConfig } from './config.js';
import { createGeneralNetwork, generalParamCount } from './general_network.js';
import { stateLayers } from './ladder.js';
import { additiveMask } from './masked_softmax.js';

export interface UniCtrOptions {
  config: UniCtrConfig;
  /** Training domains, in DSN order. */
  domains: readonly string[];
  /** Backbone width d and depth L (states H0..HL). */
  hiddenSize: number;
  numLayers: number;
  /** Seeds weight init (per branch, so adding a domain never shifts other branches) and dropout fallback. */
  seed: number;
  /** Live backbone for `batch.tokens`; the caller keeps ownership (dispose() leaves it alone). */
  backbone?: Backbone;
}

export type TrainableSetting = 'all' | { onlyDomain: string };

interface OwnedBranch {
  store: VariableStore;
  net: BranchNet;
}

const STAT_SUFFIXES = ['.moving_mean', '.moving_variance'];

/** FNV-1a of a branch key mixed with the seed: an init stream per branch. */
function branchSeed(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

export class UniCtr implements CtrModel {
  readonly name = 'unictr';
  readonly config: UniCtrConfig;
  readonly hiddenSize: number;
  readonly numLayers: number;
  /** Backbone layers `batch.states.layers` must hold, in this order (see ladder.ts stateLayers). */
  readonly stateLayers: readonly number[];
  private readonly domainList: string[] = [];
  private readonly dsns: OwnedBranch[] = [];
  private readonly general: OwnedBranch;
  /** `state_norm: standardize`: per state layer, the training tokens' feature means and variances. */
  private readonly stateNorm?: { store: VariableStore; mean: tf.Variable[]; variance: tf.Variable[] };
  private readonly seed: number;
  private readonly backbone?: Backbone;
  private readonly fallbackRng: Rng;
  private trainable: TrainableSetting = 'all';

  constructor(opts: UniCtrOptions) {
    this.config = opts.config;
    this.hiddenSize = opts.hiddenSize;
    this.numLayers = opts.numLayers;
    this.seed = opts.seed;
    this.backbone = opts.backbone;
    this.stateLayers = stateLayers(opts.numLayers, opts.config);
    this.fallbackRng = new Rng(branchSeed(opts.seed, 'dropout'));
    if (opts.backbone && (opts.backbone.hiddenSize !== opts.hiddenSize || opts.backbone.numLayers !== opts.numLayers)) {
      throw new Error(
        `UniCtr: backbone is d=${opts.backbone.hiddenSize}, L=${opts.backbone.numLayers} but the model was built for d=${opts.hiddenSize}, L=${opts.numLayers}`,
      );
    }
    const store = new VariableStore(new Rng(branchSeed(opts.seed, 'general')), 'general.');
    this.general = { store, net: createGeneralNetwork(store, opts.hiddenSize, opts.numLayers, opts.config) };
    if (opts.config.state_norm === 'standardize') {
      const ns = new VariableStore(new Rng(0), 'state_norm.');
      const d = opts.hiddenSize;
      this.stateNorm = {
        store: ns,
        mean: this.stateLayers.map((l) => ns.zeros(`H${l}.moving_mean`, [d], false)),
        variance: this.stateLayers.map((l) => ns.constant(`H${l}.moving_variance`, [d], 1, false)),
      };
    }
    for (const d of opts.domains) this.addDomain(d);
  }

  /**
   * Fit `state_norm: standardize` to a sample of training rows, given in chunks: each holds one
   * [rows, seq, d] array per state layer (in stateLayers order) and a [rows, seq] mask of real
   * tokens. Float64 sums, population variance. A no-op for other state_norm settings.
   */
  fitStateNorm(chunks: Iterable<{ states: readonly Float32Array[]; mask: Float32Array }>): void {
    if (!this.stateNorm) return;
    const d = this.hiddenSize;
    const L = this.stateLayers.length;
    const sum = Array.from({ length: L }, () => new Float64Array(d));
    const sq = Array.from({ length: L }, () => new Float64Array(d));
    let tokens = 0;
    for (const { states, mask } of chunks) {
      if (states.length !== L) throw new DataError(`state_norm: expected ${L} state layers (${this.stateLayers.join(', ')}), got ${states.length}`);
      for (let t = 0; t < mask.length; t++) {
        if (!(mask[t]! > 0)) continue;
        tokens++;
        states.forEach((h, i) => {
          const s1 = sum[i]!;
          const s2 = sq[i]!;
          for (let j = 0, o = t * d; j < d; j++) {
            const x = h[o + j]!;
            s1[j] += x;
            s2[j] += x * x;
          }
        });
      }
    }
    if (tokens === 0) throw new DataError('state_norm: standardize needs training rows with real tokens, got none');
    for (let i = 0; i < L; i++) {
      const mean = Float32Array.from(sum[i]!, (v) => v / tokens);
      const variance = Float32Array.from(sq[i]!, (v, j) => Math.max(v / tokens - mean[j]! * mean[j]!, 0));
      tf.tidy(() => {
        this.stateNorm!.mean[i]!.assign(tf.tensor1d(mean));
        this.stateNorm!.variance[i]!.assign(tf.tensor1d(variance));
      });
    }
  }

  get domains(): readonly string[] {
    return this.domainList;
  }

  /** Append a DSN with fresh weights for `name`; returns its index. */
  addDomain(name: string): number {
    if (this.domainList.includes(name)) throw new DataError(`domain "${name}" already has a domain-specific network`);
    const k = this.domainList.length;
    const store = new VariableStore(new Rng(branchSeed(this.seed, `dsn.${k}`)), `dsn.${k}.`);
    this.dsns.push({ store, net: new Branch(store, this.hiddenSize, this.numLayers, this.config) });
    this.domainList.push(name);
    this.applyTrainableFlags();
    return k;
  }

  /** 'all': every branch (and a tunable backbone) trains; {onlyDomain}: only that DSN does. */
  setTrainable(setting: TrainableSetting): void {
    if (setting !== 'all' && !this.domainList.includes(setting.onlyDomain)) {
      throw new DataError(`unknown domain "${setting.onlyDomain}": the model has DSNs for ${this.domainList.map((d) => `"${d}"`).join(', ')}`);
    }
    this.trainable = setting;
    this.applyTrainableFlags();
  }

  private isBranchTrainable(branch: OwnedBranch): boolean {
    if (this.trainable === 'all') return true;
    return this.dsns[this.domainList.indexOf(this.trainable.onlyDomain)] === branch;
  }

  // Flags matter for callers that use tf.variableGrads without a variable list.
  private applyTrainableFlags(): void {
    for (const b of [this.general, ...this.dsns]) {
      const on = this.isBranchTrainable(b);
      for (const [name, v] of b.store.named()) v.trainable = on && !STAT_SUFFIXES.some((s) => name.endsWith(s));
    }
  }

  trainableVariables(): tf.Variable[] {
    const branches = [this.general, ...this.dsns].filter((b) => this.isBranchTrainable(b));
    const vars = branches.flatMap((b) => b.store.trainable());
    if (this.trainable === 'all' && this.backbone) vars.push(...this.backbone.trainableVariables());
    return vars;
  }

  outputBiases(): tf.Variable[] {
    return [...this.namedVariables()].filter(([k]) => k.endsWith('tower.out.bias')).map(([, v]) => v);
  }

  namedVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const b of [this.general, ...this.dsns]) for (const [k, v] of b.store.named()) out.set(k, v);
    if (this.stateNorm) for (const [k, v] of this.stateNorm.store.named()) out.set(k, v);
    if (this.backbone && this.backbone.tuning !== 'frozen') {
      for (const [k, v] of this.backbone.namedVariables()) out.set(`backbone.${k}`, v);
    }
    return out;
  }

  /** Scalar parameters of the Uni-CTR head (backbone excluded): trainable and including BatchNorm statistics. */
  paramCount(): { trainable: number; total: number } {
    let trainable = 0;
    let total = 0;
    for (const b of [this.general, ...this.dsns]) {
      trainable += b.store.count(false);
      total += b.store.count(true);
    }
    total += this.stateNorm?.store.count(true) ?? 0;
    return { trainable, total };
  }

  forward(batch: BatchTensors, opts: ForwardOptions): ModelOutputs {
    return tf.tidy(() => {
      const { input, optsFor } = this.prepare(batch, opts);
      const general = this.general.net.apply(input, optsFor(this.general, 'general'));
      if (opts.head === 'general') return { logits: general, auxLogits: [general] };
      if (typeof opts.head === 'number') {
        const dsn = this.dsns[opts.head];
        if (!dsn) throw new Error(`UniCtr.forward: head ${opts.head} is not a DSN index (0..${this.dsns.length - 1})`);
        return { logits: dsn.net.apply(input, optsFor(dsn, `dsn.${opts.head}`)), auxLogits: [general] };
      }
      return { logits: this.ownLogits(batch, input, optsFor, general), auxLogits: [general] };
    });
  }

  /** Whether `forwardPart` can split a training step: states from the cache and every branch training. */
  canSplitBranches(): boolean {
    return !this.backbone && this.trainable === 'all';
  }

  /**
   * One side of a training forward, for running the general network and the DSNs on two threads
   * (src/train/branch_parallel.ts): `general` → the general network's logits, `domains` → each
   * row's own-DSN logits (every row must have a DSN). Each equals the corresponding output of
   * `forward` with the same options and rng seed, dropout included.
   */
  forwardPart(batch: BatchTensors, opts: ForwardOptions, part: 'general' | 'domains'): tf.Tensor1D {
    return tf.tidy(() => {
      const { input, optsFor } = this.prepare(batch, opts);
      if (part === 'general') return this.general.net.apply(input, optsFor(this.general, 'general'));
      return this.ownLogits(batch, input, optsFor, null);
    });
  }

  /**
   * Branch inputs and per-branch forward options. Each branch draws dropout from its own stream,
   * seeded from one draw of the forward rng and the branch's key, so a branch's dropout does not
   * depend on which other branches run in the same call.
   */
  private prepare(batch: BatchTensors, opts: ForwardOptions) {
    const fwd: ForwardOptions = { ...opts, rng: opts.rng ?? (opts.training ? this.fallbackRng : undefined) };
    const input = this.branchInput(batch, fwd);
    const base = fwd.training && fwd.rng ? fwd.rng.seed() : 0;
    const optsFor = (b: OwnedBranch, key: string): ForwardOptions => {
      if (!this.isBranchTrainable(b)) return { ...fwd, training: false };
      return fwd.training ? { ...fwd, rng: new Rng(branchSeed(base, key)) } : fwd;
    };
    return { input, optsFor };
  }

  /** Each row's own-DSN logit in batch order; rows without a DSN take `general` (required then). */
  private ownLogits(
    batch: BatchTensors,
    input: BranchInput,
    optsFor: (b: OwnedBranch, key: string) => ForwardOptions,
    general: tf.Tensor1D | null,
  ): tf.Tensor1D {
    const n = input.mask.shape[0];
    const groups = this.groupRows(batch.domainIndex, n);
    const pieces: tf.Tensor1D[] = [];
    const order: number[] = [];
    groups.forEach((rows, k) => {
      if (rows.length === 0) return;
      if (k === this.dsns.length) {
        if (!general) throw new DataError(`batch.domainIndex: ${rows.length} rows have no domain-specific network (−1)`);
        pieces.push(selectRows(general, rows, n));
      } else {
        const dsn = this.dsns[k]!;
        pieces.push(dsn.net.apply(selectInput(input, rows, n), optsFor(dsn, `dsn.${k}`)));
      }
      order.push(...rows);
    });
    if (pieces.length === 1) return pieces[0]!;
    const concatenated = tf.concat(pieces);
    if (order.every((row, i) => row === i)) return concatenated;
    // order[i] is the batch row of concatenated entry i; invert it to restore batch order.
    const inverse = new Int32Array(n);
    order.forEach((row, i) => (inverse[row] = i));
    return gatherRows(concatenated, inverse);
  }

  /** Row indices per DSN (ascending, so a single-domain batch keeps its order); last group = rows without a DSN. */
  private groupRows(domainIndex: tf.Tensor1D, n: number): number[][] {
    if (domainIndex.shape[0] !== n) {
      throw new DataError(`batch.domainIndex: expected [${n}] (one entry per row), got [${domainIndex.shape}]`);
    }
    const ids = domainIndex.dataSync();
    const m = this.dsns.length;
    const groups: number[][] = Array.from({ length: m + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      const k = ids[i]!;
      if (!Number.isInteger(k) || k < -1 || k >= m) {
        throw new DataError(`batch.domainIndex[${i}] = ${k}: expected -1 or a DSN index in 0..${m - 1}`);
      }
      groups[k === -1 ? m : k]!.push(i);
    }
    return groups;
  }

  private branchInput(batch: BatchTensors, opts: ForwardOptions): BranchInput {
    let states: tf.Tensor3D[];
    let mask: tf.Tensor2D;
    if (batch.tokens && this.backbone) {
      const { inputIds, attentionMask } = batch.tokens;
      // A backbone frozen by setTrainable({onlyDomain}) runs without dropout, like the frozen branches.
      const training = opts.training && this.trainable === 'all';
      states = forwardInSlices(this.backbone, inputIds, attentionMask, this.stateLayers, { training, rng: opts.rng });
      mask = attentionMask.dtype === 'float32' ? attentionMask : (tf.cast(attentionMask, 'float32') as tf.Tensor2D);
    } else if (batch.states) {
      states = batch.states.layers;
      mask = batch.states.mask;
    } else {
      throw new DataError(
        batch.tokens
          ? 'batch.tokens given but the Uni-CTR model has no live backbone: pass batch.states from the encoder cache'
          : 'batch.states: Uni-CTR needs backbone states (or batch.tokens with a live backbone)',
      );
    }
    this.checkStates(states, mask);
    if (this.config.state_norm === 'layer_norm') {
      // Per-token standardisation of frozen (or live) states; padding rows stay finite (ε).
      states = states.map((h) => {
        const { mean, variance } = tf.moments(h, 2, true);
        return tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, this.config.layer_norm_epsilon))) as tf.Tensor3D;
      });
    } else if (this.stateNorm) {
      const { mean, variance } = this.stateNorm;
      states = states.map((h, i) => tf.mul(tf.sub(h, mean[i]!), tf.rsqrt(tf.add(variance[i]!, this.config.layer_norm_epsilon))) as tf.Tensor3D);
    }
    const [n, t] = mask.shape;
    return { states, mask, keyBias: tf.reshape(additiveMask(mask), [n, 1, 1, t]) as tf.Tensor4D };
  }

  private checkStates(states: readonly tf.Tensor3D[], mask: tf.Tensor2D): void {
    if (states.length !== this.stateLayers.length) {
      throw new DataError(
        `batch.states.layers: expected ${this.stateLayers.length} tensors (layers ${this.stateLayers.join(', ')}), got ${states.length}`,
      );
    }
    if (mask.rank !== 2) throw new DataError(`batch.states.mask: expected [batch, seq], got [${mask.shape}]`);
    const [n, t] = mask.shape;
    states.forEach((s, i) => {
      if (s.rank !== 3 || s.shape[0] !== n || s.shape[1] !== t || s.shape[2] !== this.hiddenSize) {
        throw new DataError(`batch.states.layers[${i}] (H${this.stateLayers[i]}): expected [${n}, ${t}, ${this.hiddenSize}], got [${s.shape}]`);
      }
    });
  }

  dispose(): void {
    for (const b of [this.general, ...this.dsns]) b.store.dispose();
    this.stateNorm?.store.dispose();
  }

  /** Parameters of a model with these sizes (head only), without building it. */
  static paramCount(cfg: UniCtrConfig, d: number, numLayers: number, numDomains: number): number {
    return (numDomains * Branch.paramCount(d, numLayers, cfg)) + generalParamCount(d, numLayers, cfg);
  }
}

/** Rows of a [n, …] tensor via the scatter-gradient lookup (tfjs's gather gradient is slow or missing on cpu/wasm). */
function gatherRows<T extends tf.Tensor>(x: T, rows: readonly number[] | Int32Array): T {
  const [n, ...rest] = x.shape;
  const width = rest.reduce((a, b) => a * b, 1);
  const idx = tf.tensor1d(rows instanceof Int32Array ? rows : Int32Array.from(rows), 'int32');
  const out = embeddingLookup(tf.reshape(x, [n!, width]) as tf.Tensor2D, idx);
  return tf.reshape(out, [idx.shape[0], ...rest]) as T;
}

/**
 * Rows `rows` (ascending) of a [n, …] tensor: the tensor itself when they are all rows, a slice
 * when they are one contiguous run (a batch grouped by domain; gather is ~5× slower than a copy
 * on wasm), a gather otherwise.
 */
function selectRows<T extends tf.Tensor>(x: T, rows: readonly number[], n: number): T {
  if (rows.length === n) return x;
  const first = rows[0]!;
  if (rows[rows.length - 1]! - first === rows.length - 1) {
    return tf.slice(x, [first, ...x.shape.slice(1).map(() => 0)], [rows.length, ...x.shape.slice(1)]) as T;
  }
  return gatherRows(x, rows);
}

function selectInput(input: BranchInput, rows: readonly number[], n: number): BranchInput {
  if (rows.length === n) return input;
  const mask = selectRows(input.mask, rows, n);
  const t = mask.shape[1];
  return {
    states: input.states.map((s) => selectRows(s, rows, n)),
    mask,
    keyBias: tf.reshape(additiveMask(mask), [rows.length, 1, 1, t]) as tf.Tensor4D,
  };
}
