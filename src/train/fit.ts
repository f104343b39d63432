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
import { chunks, disposeBatch, groupByLength, labelsOf, makeBatch, meanPaddedLength } from './batches.js';
import { lossTerms } from './loss.js';
import { batchNormStats, curveStats, moduleGradNorms, positiveRates } from './diagnostics.js';
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
  /**
   * Rows whose states will be asked for next: a source that encodes states on the fly
   * (backbone.cache: none) starts on them while the current batch trains. Only a hint.
   */
  prefetch?: (rows: Int32Array) => void;
  /** Real token count of each given split row (a state cache knows it); for train.group_by_length. */
  lengths?: (rows: Int32Array) => Int32Array;
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  valid_auc: number;
  /** Validation AUC of each domain (NaN where a domain has one class only); absent in old runs. */
  valid_auc_by_domain?: Record<string, number>;
  lr: number;
  seconds: number;
  /** Epoch means of the model's training stats (e.g. AdaSparse's `pruned_fraction`); absent when it has none. */
  stats?: Record<string, number>;
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
  /** Sums of the model's training stats over the batches of this epoch, and how many batches had them. */
  stats_sum?: Record<string, number>;
  stats_count?: number;
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
  /** Display name of a manifest domain id, for logs (default: the id). */
  domainName?: (manifestDomainId: number) => string;
  /** Test hook: throw after this many optimizer steps (simulates a crash). */
  crashAfterSteps?: number;
  /** Computes each batch's loss and gradients on two threads (Uni-CTR); absent = this thread only. */
  parallel?: BranchParallel;
  /** Called after every batch with where training stands (epoch and batch, 1-based). */
  onPosition?: (p: TrainingPosition) => void;
}

export interface TrainingPosition {
  label?: string;
  epoch: number;
  batch: number;
}

export interface FitResult {
  history: EpochRecord[];
  bestAuc: number;
  bestEpoch: number;
}

/** Scores (probabilities) of `rows` with one model, in eval batches. */
export async function predictRows(
  model: CtrModel,
  src: RowSource,
  towerOf: (d: number) => number,
  batchSize: number,
  head?: number | 'general',
): Promise<Float64Array> {
  const out = new Float64Array(src.rows.length);
  let o = 0;
  const parts = [...chunks(src.rows, batchSize)];
  for (const [k, rows] of parts.entries()) {
    const batch = makeBatch(src.split, rows, towerOf, src.states?.(rows), src.tokens?.(rows));
    if (k + 1 < parts.length) src.prefetch?.(parts[k + 1]!);
    try {
      const probs = tf.tidy(() => tf.sigmoid(model.forward(batch, { training: false, head }).logits));
      // Async: webgpu has no synchronous readback under Node.
      const vals = await probs.data();
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

/** Validation AUC of each domain of `src`, by domain name. */
export function domainAucs(src: RowSource, scores: ArrayLike<number>): Record<string, number> {
  const labels = labelsOf(src.split, src.rows);
  const byDomain = new Map<string, number[]>();
  src.rows.forEach((r, i) => {
    const d = src.split.domain[r]!;
    if (!byDomain.has(d)) byDomain.set(d, []);
    byDomain.get(d)!.push(i);
  });
  const out: Record<string, number> = {};
  for (const [d, idx] of [...byDomain].sort((a, b) => a[0].localeCompare(b[0]))) {
    out[d] = auc(idx.map((i) => labels[i]!), idx.map((i) => scores[i]!));
  }
  return out;
}

/**
 * One epoch's early-stopping decision. A better validation score is an improvement (and the new
 * best checkpoint). A NaN score (one class only in the validation rows) is neither better nor
 * worse: it becomes the best checkpoint only while there is none yet, and never counts as a bad
 * epoch, so such data still trains for every epoch. `patience` P ≥ 1 stops after P epochs in a
 * row without improvement; P = 0 never stops early (every epoch runs; the best one is kept).
 */
export function earlyStopping(
  state: Pick<TrainerState, 'best_auc' | 'best_epoch' | 'bad_epochs'>,
  validAuc: number,
  patience: number,
): { improved: boolean; badEpochs: number; stop: boolean } {
  if (Number.isNaN(validAuc)) return { improved: state.best_epoch < 0, badEpochs: state.bad_epochs, stop: false };
  if (validAuc > state.best_auc) return { improved: true, badEpochs: 0, stop: false };
  const badEpochs = state.bad_epochs + 1;
  return { improved: false, badEpochs, stop: patience > 0 && badEpochs >= patience };
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

/** Means of the model's training stats over the epoch's batches ({} when it logs none). */
function epochStats(state: TrainerState): { stats?: Record<string, number> } {
  const n = state.stats_count ?? 0;
  if (n === 0 || !state.stats_sum) return {};
  return { stats: Object.fromEntries(Object.entries(state.stats_sum).map(([k, v]) => [k, v / n])) };
}

function scheduleConfig(config: TrainConfig): ScheduleConfig {
  const s = config.schedule;
  if (s.type === 'constant') return { type: 'constant', lr: config.lr, step_on: s.step_on };
  return { type: s.type, base_lr: s.base_lr, max_lr: s.max_lr, step_size_up: s.step_size_up, step_on: s.step_on };
}

export async function fit(opts: FitOptions): Promise<FitResult> {
  const { model, config } = opts;
  const logw = new JsonlWriter(opts.logFile);
  // Only runs with several models (one per domain) name the model on each log line.
  const modelField = opts.label ? { model: opts.label } : {};
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
      optimizer_meta: (await optimizer.getState()).meta,
    };
  }

  const domainName = opts.domainName ?? ((d: number) => String(d));
  const who = opts.label ? `${opts.label}: ` : '';
  if (state.global_step === 0 && state.epoch === 0) {
    // Positive rates per split and domain: a drift between train and valid explains a lot.
    const rates = { train: positiveRates(opts.train, domainName), valid: positiveRates(opts.valid, domainName) };
    logw.write({ event: 'data', model: opts.label ?? null, positive_rate: rates });
    for (const [split, r] of Object.entries(rates)) {
      log.info(`${who}${split} positive rate: ${Object.entries(r).map(([d, x]) => `${d} ${(100 * x.positive_rate).toFixed(1)}% of ${x.rows}`).join(', ')}`);
    }
    if (config.output_bias_init === 'prior') {
      const p = rates.train.all!.positive_rate;
      const biases = model.outputBiases?.() ?? [];
      if (biases.length === 0) log.warn(`${who}train.output_bias_init=prior: model "${model.name}" exposes no output bias; left at 0`);
      const logit = Math.log(Math.min(Math.max(p, 1e-4), 1 - 1e-4) / (1 - Math.min(Math.max(p, 1e-4), 1 - 1e-4)));
      for (const b of biases) b.assign(tf.fill(b.shape, logit));
      if (biases.length) log.info(`${who}output biases start at the training prior: logit(${p.toFixed(4)}) = ${logit.toFixed(4)}`);
    }
  }
  // Learning-curve rows: every validation row and a fixed sample of training rows.
  const evalEvery = config.eval_every_steps;
  let curveTrain: RowSource | null = null;
  if (evalEvery > 0) {
    const pick = Int32Array.from(opts.train.rows);
    new Rng(opts.seed ^ 0x5eed).shuffle(pick);
    curveTrain = { ...opts.train, rows: sortByDomain(pick.subarray(0, Math.min(config.eval_train_rows, pick.length)), opts.train.split.domainId) };
  }
  const logCurvePoint = async (extra: Record<string, unknown>) => {
    const tr = curveStats(curveTrain!, await predictRows(model, curveTrain!, opts.towerOf, config.eval_batch_size), domainName);
    const va = curveStats(opts.valid, await predictRows(model, opts.valid, opts.towerOf, config.eval_batch_size), domainName);
    logw.write({ event: 'eval', model: opts.label ?? null, epoch: state.epoch + 1, step: state.global_step, train: tr, valid: va, ...extra, batch_norm: batchNormStats(named) });
    log.info(
      `${who}step ${state.global_step}: AUC train ${tr.pooled!.auc.toFixed(4)} / valid ${va.pooled!.auc.toFixed(4)}; ` +
        `valid per domain ${Object.entries(va).filter(([k]) => k !== 'pooled').map(([k, v]) => `${k} ${v.auc.toFixed(3)}`).join(', ')}`,
    );
  };

  const save = async (dir: string, withSlots: boolean) => {
    state.rng = rng.getState();
    state.schedule = schedule.getState();
    const o = await optimizer.getState();
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
  // Without a state cache (ID models, cache: none, live tuning) the prompt's characters stand in
  // for its tokens.
  let lengths: Int32Array | null = null;
  const lengthOf = (p: number) =>
    (lengths ??= opts.train.lengths?.(opts.train.rows) ?? Int32Array.from(opts.train.rows, (r) => opts.train.split.prompt[r]!.length))[p]!;

  while (state.epoch < config.epochs && !state.stopped) {
    const t0 = Date.now();
    if (state.order === null) {
      let order: Int32Array = Int32Array.from({ length: opts.train.rows.length }, (_, i) => i);
      rng.shuffle(order);
      if (config.group_by_length > 0) {
        const grouped = groupByLength(order, lengthOf, bs, config.group_by_length, rng);
        if (state.epoch === 0) {
          const shuffled = meanPaddedLength(order, lengthOf, bs);
          const padded = meanPaddedLength(grouped, lengthOf, bs);
          const real = Array.from(grouped, lengthOf).reduce((a, b) => a + b, 0) / Math.max(1, grouped.length);
          const unit = opts.train.lengths ? 'tokens' : 'prompt characters';
          logw.write({ event: 'padding', ...modelField, unit, padded_per_row: padded, real_per_row: real, shuffled_per_row: shuffled });
          log.info(
            `${opts.label ? opts.label + ': ' : ''}batches grouped by length: ${padded.toFixed(1)} ${unit} ` +
              `per row after padding (real ${real.toFixed(1)}; shuffled batches ${shuffled.toFixed(1)})`,
          );
        }
        order = grouped;
      }
      // train.max_train_rows was applied when the rows were chosen (model_setup.cappedTrainRows).
      state.order = Array.from(order);
      state.batch_in_epoch = 0;
      state.loss_sum = 0;
      state.loss_count = 0;
      state.stats_sum = {};
      state.stats_count = 0;
    }
    const order = Int32Array.from(state.order);
    const nBatches = Math.ceil(order.length / bs);
    const progress = new Progress(`${opts.label ? opts.label + ' ' : ''}epoch ${state.epoch + 1}/${config.epochs}`, nBatches, { unit: 'samples', loss: true });
    progress.update(state.batch_in_epoch);
    let samplesDone = 0;
    let accGrads: Map<string, tf.Tensor> | null = null;
    let accCount = 0;

    // Rows grouped by domain: each domain network then reads one contiguous slice (the same
    // batch, just ordered; gathers of scattered rows are much slower on wasm).
    const rowsOfBatch = (b: number) =>
      sortByDomain(Int32Array.from(order.subarray(b * bs, Math.min(order.length, (b + 1) * bs)), (p) => opts.train.rows[p]!), opts.train.split.domainId);
    while (state.batch_in_epoch < nBatches) {
      const b = state.batch_in_epoch;
      const rows = rowsOfBatch(b);
      const batch = makeBatch(opts.train.split, rows, opts.towerOf, opts.train.states?.(rows), opts.train.tokens?.(rows));
      if (opts.train.prefetch && b + 1 < nBatches) opts.train.prefetch(rowsOfBatch(b + 1));
      const labels = tf.tensor1d(labelsOf(opts.train.split, rows));
      const dropoutSeed = rng.seed();
      let lossValue: number;
      let termValues: number[] = [];
      let statValues: Record<string, number> | null = null;
      try {
        let grads: tf.NamedTensorMap;
        if (opts.parallel) ({ loss: lossValue, grads } = await opts.parallel.grads(batch, labels, dropoutSeed));
        else {
          let terms: tf.Scalar[] = [];
          let stats: [string, tf.Scalar][] = [];
          const res = tf.variableGrads(() => {
            const out = model.forward(batch, { training: true, rng: new Rng(dropoutSeed) });
            const t = lossTerms(out, labels, config.general_loss_weight);
            if (t.aux.length) terms = [t.own, ...t.aux].map((x) => tf.keep(x));
            stats = Object.entries(out.stats ?? {}).map(([k, v]) => [k, tf.keep(v)]);
            return t.total;
          }, trainable);
          lossValue = (await res.value.data())[0]!;
          res.value.dispose();
          grads = res.grads;
          if (terms.length) {
            const stacked = tf.stack(terms);
            termValues = Array.from(await stacked.data());
            tf.dispose([stacked, ...terms]);
          }
          if (stats.length) {
            statValues = {};
            for (const [k, v] of stats) statValues[k] = (await v.data())[0]!;
            tf.dispose(stats.map(([, v]) => v));
          }
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
      // Let timers and signal handlers run (Ctrl-C, progress redraws): the steps themselves only
      // yield to microtasks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      state.loss_sum += lossValue;
      state.loss_count++;
      if (statValues) {
        const sums = (state.stats_sum ??= {});
        for (const [k, v] of Object.entries(statValues)) sums[k] = (sums[k] ?? 0) + v;
        state.stats_count = (state.stats_count ?? 0) + 1;
      }
      state.batch_in_epoch++;
      samplesDone += rows.length;
      opts.onPosition?.({ label: opts.label, epoch: state.epoch + 1, batch: state.batch_in_epoch });
      const lastOfEpoch = state.batch_in_epoch === nBatches;
      if (accCount === accum || lastOfEpoch) {
        const grads = accGrads!;
        if (accCount > 1) for (const [k, g] of grads) grads.set(k, tf.tidy(() => tf.div(g, accCount)));
        const lr = schedule.lr;
        const evalNow = evalEvery > 0 && (state.global_step + 1) % evalEvery === 0;
        // Per-module norms before the step (clipping scales all of them alike).
        const moduleNorms = evalNow ? moduleGradNorms(grads) : null;
        let gradNorm: number;
        try {
          gradNorm = await optimizer.step(grads, lr);
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
          ...modelField,
          time: new Date().toISOString(),
          epoch: state.epoch + 1,
          batch: state.batch_in_epoch,
          step: state.global_step,
          loss: lossValue,
          lr,
          grad_norm: gradNorm,
          ...(termValues.length ? { loss_own: termValues[0], loss_general: termValues.slice(1) } : {}),
          ...(statValues ? { stats: statValues } : {}),
        });
        if (evalNow) await logCurvePoint({ grad_norms: moduleNorms, lr });
        progress.update(state.batch_in_epoch, { loss: state.loss_sum / state.loss_count, items: samplesDone });
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

    const scores = await predictRows(model, opts.valid, opts.towerOf, config.eval_batch_size);
    const validAuc = validationAuc(opts.valid, scores, config.monitor);
    const rec: EpochRecord = {
      epoch: state.epoch + 1,
      train_loss: state.loss_sum / Math.max(1, state.loss_count),
      valid_auc: validAuc,
      valid_auc_by_domain: domainAucs(opts.valid, scores),
      lr: schedule.lr,
      seconds: (Date.now() - t0) / 1000,
      ...epochStats(state),
    };
    state.history.push(rec);
    logw.write({ event: 'epoch', ...modelField, ...rec });
    log.info(
      `${opts.label ? opts.label + ' ' : ''}epoch ${rec.epoch}: train loss ${rec.train_loss.toFixed(4)}, ` +
        `valid AUC ${Number.isNaN(validAuc) ? 'n/a' : validAuc.toFixed(4)} (${rec.seconds.toFixed(1)} s)` +
        Object.entries(rec.stats ?? {}).map(([k, v]) => `, ${k.replace(/_/g, ' ')} ${v.toFixed(4)}`).join(''),
    );
    state.epoch++;
    state.order = null;
    state.batch_in_epoch = 0;
    schedule.onEpochEnd();
    const verdict = earlyStopping(state, validAuc, config.patience);
    state.bad_epochs = verdict.badEpochs;
    state.stopped = verdict.stop;
    if (verdict.improved) {
      state.best_auc = Number.isNaN(validAuc) ? state.best_auc : validAuc;
      state.best_epoch = state.epoch;
      await save(bestDir, false);
    }
    await save(lastDir, true);
  }

  // Finish on the best validation weights.
  if (checkpointExists(bestDir)) restoreVariables(named, loadCheckpoint(bestDir).variables, bestDir);
  return { history: state.history, bestAuc: state.best_auc, bestEpoch: state.best_epoch };
}
