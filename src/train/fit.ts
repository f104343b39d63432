/**
 * The epoch loop for one model: shuffled batches, masked loss, AdamW with a cyclic schedule,
 * clipping and accumulation, validation AUC with early stopping, checkpoints with exact resume,
 * a progress bar and a JSONL log. Test data never enters here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SplitColumns } from '../data/types.js';
import type { BatchTensors, CtrModel, TokenStates } from '../model/types.js';
import { Rng, type RngState } from '../util/rng.js';
import { JsonlWriter, log } from '../util/log.js';
import { TrainingDivergedError } from '../util/errors.js';
import type { TrainConfig } from './train_config.js';
import { chunks, disposeBatch, labelsOf, makeBatch } from './batches.js';
import { totalLoss } from './loss.js';
import { auc } from './metrics.js';
import { Optimizer, type OptimizerState } from './optimizer.js';
import { LrSchedule, type ScheduleConfig, type ScheduleState } from './schedule.js';
import {
  checkpointExists,
  loadCheckpoint,
  readCheckpointTrainer,
  restoreVariables,
  saveCheckpoint,
  variablesToArrays,
} from './checkpoint.js';
import { Progress } from './progress.js';
import type { BranchParallel } from './branch_parallel.js';

/** Where a model's rows come from: a split, the rows it may use, and optional cached states. */
export interface RowSource {
  split: SplitColumns;
  rows: Int32Array;
  states?: (rows: Int32Array) => TokenStates;
  /** Token ids for a live (LoRA / fully tuned) backbone. */
  tokens?: (rows: Int32Array) => BatchTensors['tokens'];
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  valid_auc: number;
  lr: number;
  seconds: number;
}

export interface TrainerState {
  /** Epochs fully completed. */
  epoch: number;
  /** Batches done inside the current epoch (for mid-epoch checkpoints). */
  batch_in_epoch: number;
  global_step: number;
  rng: RngState;
  /** Data order of the current epoch (row positions into `train.rows`); null between epochs. */
  order: number[] | null;
  loss_sum: number;
  loss_count: number;
  best_auc: number;
  best_epoch: number;
  bad_epochs: number;
  stopped: boolean;
  history: EpochRecord[];
  schedule: ScheduleState;
  optimizer_meta: OptimizerState['meta'];
  /** Size of log.jsonl when this state was saved (--resume cuts the log back to it). */
  log_bytes?: number;
}

export interface FitOptions {
  model: CtrModel;
  train: RowSource;
  valid: RowSource;
  towerOf: (manifestDomainId: number) => number;
  config: TrainConfig;
  seed: number;
  /** Folder that holds `last/` and `best/` checkpoints for this model. */
  checkpointDir: string;
  logFile: string;
  /** Label for logs (e.g. the domain of a single-domain model). */
  label?: string;
  /** Continue from `checkpointDir/last` when it exists. */
  resume?: boolean;
  /** Test hook: throw after this many optimizer steps (simulates a crash). */
  crashAfterSteps?: number;
  /** Computes each batch's loss and gradients on two threads (Uni-CTR); absent = this thread only. */
  parallel?: BranchParallel;
}

export interface FitResult {
  history: EpochRecord[];
  bestAuc: number;
  bestEpoch: number;
}

/** Scores (probabilities) of `rows` with one model, in eval batches. */
export function predictRows(
  model: CtrModel,
  src: RowSource,
  towerOf: (d: number) => number,
  batchSize: number,
  head?: number | 'general',
): Float64Array {
  const out = new Float64Array(src.rows.length);
  let o = 0;
  for (const rows of chunks(src.rows, batchSize)) {
    const batch = makeBatch(src.split, rows, towerOf, src.states?.(rows), src.tokens?.(rows));
    try {
      const probs = tf.tidy(() => tf.sigmoid(model.forward(batch, { training: false, head }).logits));
      const vals = probs.dataSync();
      probs.dispose();
      for (let i = 0; i < vals.length; i++) out[o++] = vals[i]!;
    } finally {
      disposeBatch(batch);
    }
  }
  return out;
}

/**
 * The early-stopping score: the mean of the per-domain validation AUCs (`auc_mean`, default: each
 * domain counts once, whatever its size or base rate) or the AUC of all validation rows pooled
 * (`auc_pooled`, which also rewards separating domains with different click rates). Domains with
 * one class only are left out of the mean.
 */
export function validationAuc(src: RowSource, scores: ArrayLike<number>, monitor: TrainConfig['monitor']): number {
  const labels = labelsOf(src.split, src.rows);
  if (monitor === 'auc_pooled') return auc(labels, scores);
  const byDomain = new Map<number, number[]>();
  src.rows.forEach((r, i) => {
    const d = src.split.domainId[r]!;
    if (!byDomain.has(d)) byDomain.set(d, []);
    byDomain.get(d)!.push(i);
  });
  const aucs = [...byDomain.values()]
    .map((idx) => auc(idx.map((i) => labels[i]!), idx.map((i) => scores[i]!)))
    .filter((a) => !Number.isNaN(a));
  return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN;
}

/** Stable sort of split rows by their domain id. */
export function sortByDomain(rows: Int32Array, domainId: Int32Array): Int32Array {
  const idx = Array.from(rows.keys()).sort((a, b) => domainId[rows[a]!]! - domainId[rows[b]!]! || a - b);
  return Int32Array.from(idx, (i) => rows[i]!);
}

function nameOfVariables(model: CtrModel): Map<string, string> {
  const byTfName = new Map<string, string>();
  for (const [name, v] of model.namedVariables()) byTfName.set(v.name, name);
  return byTfName;
}

function scheduleConfig(config: TrainConfig): ScheduleConfig {
  const s = config.schedule;
  if (s.type === 'constant') return { type: 'constant', lr: config.lr, step_on: s.step_on };
  return { type: s.type, base_lr: s.base_lr, max_lr: s.max_lr, step_size_up: s.step_size_up, step_on: s.step_on };
}

export async function fit(opts: FitOptions): Promise<FitResult> {
  const { model, config } = opts;
  const logw = new JsonlWriter(opts.logFile);
  const lastDir = path.join(opts.checkpointDir, 'last');
  const bestDir = path.join(opts.checkpointDir, 'best');
  const named = model.namedVariables();
  const tfNameToName = nameOfVariables(model);
  const trainable = model.trainableVariables();
  const optimizer = new Optimizer(config, trainable.map((v) => ({ name: tfNameToName.get(v.name)!, variable: v })));
  const schedule = new LrSchedule(scheduleConfig(config), 'train.schedule');
  let state: TrainerState;
  const rng = new Rng(opts.seed);

  if (opts.resume && checkpointExists(lastDir)) {
    const ck = loadCheckpoint<TrainerState>(lastDir);
    restoreVariables(named, ck.variables, lastDir);
    optimizer.setState({ meta: ck.trainer.optimizer_meta, slots: ck.slots });
    schedule.setState(ck.trainer.schedule);
    state = ck.trainer;
    rng.setState(state.rng);
    log.info(`resumed ${opts.label ?? 'model'} at epoch ${state.epoch + 1}, batch ${state.batch_in_epoch}`);
  } else {
    state = {
      epoch: 0,
      batch_in_epoch: 0,
      global_step: 0,
      rng: rng.getState(),
      order: null,
      loss_sum: 0,
      loss_count: 0,
      best_auc: -Infinity,
      best_epoch: -1,
      bad_epochs: 0,
      stopped: false,
      history: [],
      schedule: schedule.getState(),
      optimizer_meta: optimizer.getState().meta,
    };
  }

  const save = async (dir: string, withSlots: boolean) => {
    state.rng = rng.getState();
    state.schedule = schedule.getState();
    const o = optimizer.getState();
    state.optimizer_meta = o.meta;
    state.log_bytes = existsSync(opts.logFile) ? statSync(opts.logFile).size : 0;
    await saveCheckpoint(dir, state, await variablesToArrays(named), withSlots ? o.slots : {});
  };

  /** Divergence at epoch/batch: what went wrong, where, what to change, and what is kept. */
  const diverged = (what: string, batch: number): TrainingDivergedError => {
    let kept = 'no checkpoint was written before it diverged';
    if (checkpointExists(lastDir)) {
      const t = readCheckpointTrainer<TrainerState>(lastDir);
      const at = t.batch_in_epoch > 0 ? `epoch ${t.epoch + 1}, batch ${t.batch_in_epoch}` : `the end of epoch ${t.epoch}`;
      kept = `the last good checkpoint (${at}) is kept in ${lastDir}`;
    }
    const lrKey = config.schedule.type === 'constant' ? `train.lr (now ${config.lr})` : `train.schedule.max_lr (now ${config.schedule.max_lr})`;
    return new TrainingDivergedError(
      `training diverged at epoch ${state.epoch + 1}, batch ${batch}${opts.label ? ` (${opts.label})` : ''}: ${what}; ` +
        `lower ${lrKey}${config.grad_clip === null ? ' or set train.grad_clip (e.g. 1.0)' : ''}. ${kept[0]!.toUpperCase()}${kept.slice(1)}.`,
    );
  };

  const bs = config.batch_size;
  const accum = config.grad_accum;
  let stepsThisProcess = 0;

  while (state.epoch < config.epochs && !state.stopped) {
    const t0 = Date.now();
    if (state.order === null) {
      const order = Int32Array.from({ length: opts.train.rows.length }, (_, i) => i);
      rng.shuffle(order);
      // train.max_train_rows was applied when the rows were chosen (model_setup.cappedTrainRows).
      state.order = Array.from(order);
      state.batch_in_epoch = 0;
      state.loss_sum = 0;
      state.loss_count = 0;
    }
    const order = Int32Array.from(state.order);
    const nBatches = Math.ceil(order.length / bs);
    const progress = new Progress(`${opts.label ? opts.label + ' ' : ''}epoch ${state.epoch + 1}/${config.epochs}`, nBatches);
    progress.update(state.batch_in_epoch, {});
    let accGrads: Map<string, tf.Tensor> | null = null;
    let accCount = 0;
    const tStart = Date.now();
    let samplesDone = 0;

    while (state.batch_in_epoch < nBatches) {
      const b = state.batch_in_epoch;
      const positions = order.subarray(b * bs, Math.min(order.length, (b + 1) * bs));
      // Rows grouped by domain: each domain network then reads one contiguous slice (the same
      // batch, just ordered; gathers of scattered rows are much slower on wasm).
      const rows = sortByDomain(Int32Array.from(positions, (p) => opts.train.rows[p]!), opts.train.split.domainId);
      const batch = makeBatch(opts.train.split, rows, opts.towerOf, opts.train.states?.(rows), opts.train.tokens?.(rows));
      const labels = tf.tensor1d(labelsOf(opts.train.split, rows));
      const dropoutSeed = rng.seed();
      let lossValue: number;
      try {
        let grads: tf.NamedTensorMap;
        if (opts.parallel) ({ loss: lossValue, grads } = await opts.parallel.grads(batch, labels, dropoutSeed));
        else {
          const res = tf.variableGrads(() => totalLoss(model.forward(batch, { training: true, rng: new Rng(dropoutSeed) }), labels), trainable);
          lossValue = (await res.value.data())[0]!;
          res.value.dispose();
          grads = res.grads;
        }
        if (!Number.isFinite(lossValue)) {
          tf.dispose(Object.values(grads));
          throw diverged(`the loss became ${lossValue}`, b + 1);
        }
        const namedGrads = new Map<string, tf.Tensor>();
        for (const [tfName, g] of Object.entries(grads)) namedGrads.set(tfNameToName.get(tfName)!, g);
        if (accGrads === null) accGrads = namedGrads;
        else {
          for (const [k, g] of namedGrads) {
            // A variable may first get a gradient in a later micro-batch (its domain was absent).
            const prev = accGrads.get(k);
            if (!prev) {
              accGrads.set(k, g);
              continue;
            }
            accGrads.set(k, tf.add(prev, g));
            prev.dispose();
            g.dispose();
          }
        }
        accCount++;
      } finally {
        disposeBatch(batch);
        labels.dispose();
      }
      state.loss_sum += lossValue;
      state.loss_count++;
      state.batch_in_epoch++;
      samplesDone += rows.length;
      const lastOfEpoch = state.batch_in_epoch === nBatches;
      if (accCount === accum || lastOfEpoch) {
        const grads = accGrads!;
        if (accCount > 1) for (const [k, g] of grads) grads.set(k, tf.tidy(() => tf.div(g, accCount)));
        const lr = schedule.lr;
        let gradNorm: number;
        try {
          gradNorm = optimizer.step(grads, lr);
        } catch (e) {
          if (e instanceof TrainingDivergedError) throw diverged(e.message, state.batch_in_epoch);
          throw e;
        } finally {
          tf.dispose([...grads.values()]);
        }
        accGrads = null;
        accCount = 0;
        state.global_step++;
        stepsThisProcess++;
        schedule.onStepEnd();
        logw.write({
          event: 'step',
          model: opts.label ?? null,
          epoch: state.epoch + 1,
          batch: state.batch_in_epoch,
          step: state.global_step,
          loss: lossValue,
          lr,
          grad_norm: gradNorm,
        });
        const secs = (Date.now() - tStart) / 1000;
        progress.update(state.batch_in_epoch, {
          loss: state.loss_sum / state.loss_count,
          rate: samplesDone / Math.max(secs, 1e-9),
        });
        if (config.checkpoint_every_steps > 0 && state.global_step % config.checkpoint_every_steps === 0 && !lastOfEpoch) {
          await save(lastDir, true);
        }
        if (opts.crashAfterSteps !== undefined && stepsThisProcess >= opts.crashAfterSteps) {
          progress.stop();
          throw new Error(`simulated crash after ${stepsThisProcess} steps`);
        }
      }
    }
    progress.stop();

    const scores = predictRows(model, opts.valid, opts.towerOf, config.eval_batch_size);
    const validAuc = validationAuc(opts.valid, scores, config.monitor);
    const rec: EpochRecord = {
      epoch: state.epoch + 1,
      train_loss: state.loss_sum / Math.max(1, state.loss_count),
      valid_auc: validAuc,
      lr: schedule.lr,
      seconds: (Date.now() - t0) / 1000,
    };
    state.history.push(rec);
    logw.write({ event: 'epoch', model: opts.label ?? null, ...rec });
    log.info(
      `${opts.label ? opts.label + ' ' : ''}epoch ${rec.epoch}: train loss ${rec.train_loss.toFixed(4)}, ` +
        `valid AUC ${Number.isNaN(validAuc) ? 'n/a' : validAuc.toFixed(4)} (${rec.seconds.toFixed(1)} s)`,
    );
    state.epoch++;
    state.order = null;
    state.batch_in_epoch = 0;
    schedule.onEpochEnd();
    // NaN validation AUC (one class only) counts as "no worse" so such domains still train.
    const improved = Number.isNaN(validAuc) ? state.best_epoch < 0 : validAuc > state.best_auc;
    if (improved) {
      state.best_auc = Number.isNaN(validAuc) ? state.best_auc : validAuc;
      state.best_epoch = state.epoch;
      state.bad_epochs = 0;
      await save(bestDir, false);
    } else {
      state.bad_epochs++;
      if (state.bad_epochs >= Math.max(1, config.patience)) state.stopped = true;
    }
    await save(lastDir, true);
  }

  // Finish on the best validation weights.
  if (checkpointExists(bestDir)) restoreVariables(named, loadCheckpoint(bestDir).variables, bestDir);
  return { history: state.history, bestAuc: state.best_auc, bestEpoch: state.best_epoch };
}
