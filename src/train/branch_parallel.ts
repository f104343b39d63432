/**
 * Uni-CTR training steps on two cores: the general network's gradients on this thread, the
 * domain-specific networks' (DSNs') on a worker thread with its own tfjs backend, at the same time.
 *
 * The branches share no weights and the loss is a sum of one term per side (mean BCE of the
 * general logits + mean BCE of the own-DSN logits), so each side's gradients are exactly what
 * the single-threaded step computes for its variables; BatchNorm sees the same rows and dropout
 * draws the same masks (UniCtr.forwardPart). Nothing is averaged or approximated. With the default
 * general network (its own ladder over every row) the two sides do about the same work.
 *
 * Per step the worker receives the batch's states and the DSN weights and BatchNorm statistics as
 * transferred buffers, and returns the DSN gradients and updated statistics. This thread keeps the
 * only copy of the optimizer state, so checkpoints and resume are unchanged. Why this and not
 * data parallelism or wasm threads: docs/runtime.md.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogits } from '../model/loss.js';
import type { UniCtrConfig } from '../model/unictr/config.js';
import { UniCtr } from '../model/unictr/unictr.js';
import type { BatchTensors, CtrModel } from '../model/types.js';
import { backendInfo, type BackendChoice } from '../runtime/backend.js';
import { log } from '../util/log.js';
import { Rng } from '../util/rng.js';

/** How many threads a training step may use: `auto` = 2 where the machine has 2 cores or more. */
export type WorkersSetting = 'auto' | 1 | 2;

export interface WorkerInit {
  entry: string;
  backend: BackendChoice;
  config: UniCtrConfig;
  domains: string[];
  hiddenSize: number;
  numLayers: number;
}

export interface StepRequest {
  weights: Float32Array;
  layers: Float32Array[];
  shape: [number, number, number];
  mask: Float32Array;
  domainIndex: Int32Array;
  labels: Float32Array;
  seed: number;
}

export interface StepReply {
  loss?: number;
  grads?: Float32Array;
  /** 1 where the DSN variable got a gradient (its domain had rows in the batch). */
  present?: Uint8Array;
  stats?: Float32Array;
  error?: string;
}

const STAT = /\.(moving_mean|moving_variance)$/;

/** The DSN variables in a fixed order (the same on both threads): trainable ones, then BatchNorm statistics. */
export function dsnVariables(model: UniCtr): { trainable: [string, tf.Variable][]; stats: [string, tf.Variable][] } {
  // The fitted state normalisation travels with the BatchNorm statistics (the worker's branches read it).
  const dsn = [...model.namedVariables()].filter(([name]) => name.startsWith('dsn.') || name.startsWith('state_norm.'));
  return { trainable: dsn.filter(([n]) => !STAT.test(n)), stats: dsn.filter(([n]) => STAT.test(n)) };
}

/** Concatenated values of `vars` (one copy). */
export function packValues(vars: readonly [string, tf.Variable][], extra: readonly [string, tf.Variable][] = []): Float32Array {
  const all = [...vars, ...extra];
  const out = new Float32Array(all.reduce((a, [, v]) => a + v.size, 0));
  let o = 0;
  for (const [, v] of all) {
    out.set(v.dataSync() as Float32Array, o);
    o += v.size;
  }
  return out;
}

/** Assign consecutive slices of `values` to `vars`; returns the offset after the last one. */
export function assignValues(vars: readonly [string, tf.Variable][], values: Float32Array, offset = 0): number {
  let o = offset;
  for (const [, v] of vars) {
    tf.tidy(() => v.assign(tf.tensor(values.subarray(o, o + v.size), v.shape, 'float32')));
    o += v.size;
  }
  return o;
}

export class BranchParallel {
  private pending: { resolve: (r: StepReply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly dsn: ReturnType<typeof dsnVariables>;
  private readonly generalVars: tf.Variable[];
  private readonly tfNames: Map<string, string>;

  private constructor(
    private readonly worker: Worker,
    private readonly model: UniCtr,
  ) {
    this.dsn = dsnVariables(model);
    const named = model.namedVariables();
    this.generalVars = [...named].filter(([n, v]) => n.startsWith('general.') && v.trainable).map(([, v]) => v);
    this.tfNames = new Map([...named].map(([n, v]) => [n, v.name]));
    worker.on('message', (m: StepReply) => {
      const p = this.pending;
      this.pending = null;
      if (m.error) p?.reject(new Error(`training worker: ${m.error}`));
      else p?.resolve(m);
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`training worker exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending?.reject(e);
    this.pending = null;
  }

  /**
   * A helper for `model` when `setting` and the model allow two threads, else null (then the
   * trainer runs single-threaded): Uni-CTR on frozen states with every branch training, on the
   * wasm or cpu backend (the native backends already use every core).
   */
  static async maybeStart(model: CtrModel, setting: WorkersSetting): Promise<BranchParallel | null> {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    const want = setting === 'auto' ? Math.min(2, cores) : setting;
    const backend = backendInfo()?.choice;
    if (want < 2 || !(model instanceof UniCtr) || !model.canSplitBranches() || (backend !== 'wasm' && backend !== 'cpu')) return null;
    if (model.domains.length === 0) return null;
    const init: WorkerInit = {
      // Same extension as this module (.ts under tsx, .js if compiled).
      entry: new URL(`./branch_worker${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url).href,
      backend,
      config: model.config,
      domains: [...model.domains],
      hiddenSize: model.hiddenSize,
      numLayers: model.numLayers,
    };
    const worker = new Worker(new URL('./worker_boot.mjs', import.meta.url), { workerData: init });
    const bp = new BranchParallel(worker, model);
    // The worker's first message says it is ready (or why not); without it, train on one thread.
    try {
      await new Promise<StepReply>((resolve, reject) => (bp.pending = { resolve, reject }));
    } catch (e) {
      await bp.close();
      log.warn(`two-thread training unavailable (${(e as Error).message.split('\n')[0]}); training on one thread`);
      return null;
    }
    log.info('training on 2 threads: general network on this one, domain networks in a worker (train.workers: 1 turns this off)');
    return bp;
  }

  /**
   * Loss and gradients of one batch by tfjs variable name, as tf.variableGrads over every
   * trainable variable of the model would give them. `seed` seeds dropout (UniCtr.forward's rng).
   */
  async grads(batch: BatchTensors, labels: tf.Tensor1D, seed: number): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
    if (this.failure) throw this.failure;
    const states = batch.states;
    if (!states) throw new Error('BranchParallel: the batch has no cached states');
    const domainIndex = Int32Array.from(batch.domainIndex.dataSync());
    if (domainIndex.some((k) => k < 0)) {
      // Rows without a DSN are scored by the general network: not separable, so run the plain step.
      const { value, grads } = tf.variableGrads(() => {
        const out = this.model.forward(batch, { training: true, rng: new Rng(seed) });
        return tf.add(bceWithLogits(out.logits, labels), bceWithLogits(out.auxLogits![0]!, labels)) as tf.Scalar;
      }, this.model.trainableVariables());
      const loss = value.dataSync()[0]!;
      value.dispose();
      return { loss, grads };
    }
    const request: StepRequest = {
      weights: packValues(this.dsn.trainable, this.dsn.stats),
      layers: states.layers.map((l) => (l.dataSync() as Float32Array).slice()),
      shape: states.layers[0]!.shape,
      mask: (states.mask.dataSync() as Float32Array).slice(),
      domainIndex,
      labels: (labels.dataSync() as Float32Array).slice(),
      seed,
    };
    const reply = new Promise<StepReply>((resolve, reject) => (this.pending = { resolve, reject }));
    this.worker.postMessage(request, [request.weights.buffer, ...request.layers.map((l) => l.buffer), request.mask.buffer, request.domainIndex.buffer, request.labels.buffer] as ArrayBuffer[]);
    // The general network on this thread while the worker runs the DSNs.
    const { value, grads } = tf.variableGrads(
      () => bceWithLogits(this.model.forwardPart(batch, { training: true, rng: new Rng(seed) }, 'general'), labels),
      this.generalVars,
    );
    const generalLoss = value.dataSync()[0]!;
    value.dispose();
    let r: StepReply;
    try {
      r = await reply;
    } catch (e) {
      tf.dispose(Object.values(grads));
      throw e;
    }
    let o = 0;
    this.dsn.trainable.forEach(([name, v], i) => {
      if (r.present![i]) grads[this.tfNames.get(name)!] = tf.tensor(r.grads!.subarray(o, o + v.size), v.shape, 'float32');
      o += v.size;
    });
    assignValues(this.dsn.stats, r.stats!);
    return { loss: generalLoss + r.loss!, grads };
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
