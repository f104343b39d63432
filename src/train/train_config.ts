/**
 * The `train:` block of an experiment: optimizer, schedule, batches, early stopping, checkpoints.
 * Keys are snake_case and strict: a misspelt key is an error, never silently ignored.
 */
import { z } from 'zod';

export const ScheduleSchema = z
  .strictObject({
    /** range_test: base_lr → max_lr geometrically over step_size_up ticks (docs/training.md). */
    type: z.enum(['triangular2', 'constant', 'range_test']).default('triangular2'),
    base_lr: z.number().positive().default(8e-5),
    max_lr: z.number().positive().default(5e-4),
    step_size_up: z.number().int().positive().default(5),
    /** Advance the cyclic schedule once per epoch (reference) or once per optimizer step. */
    step_on: z.enum(['epoch', 'step']).default('epoch'),
  })
  .prefault({});

export const TrainConfigSchema = z
  .strictObject({
    epochs: z.number().int().positive().default(10),
    batch_size: z.number().int().positive().default(32),
    eval_batch_size: z.number().int().positive().default(256),
    optimizer: z.enum(['adamw', 'adam']).default('adamw'),
    /** Learning rate for the constant schedule (ignored by triangular2, which uses base_lr..max_lr). */
    lr: z.number().positive().default(1e-3),
    weight_decay: z.number().min(0).default(0.001),
    schedule: ScheduleSchema,
    /** Clip the global gradient norm to this value; null disables clipping. */
    grad_clip: z.number().positive().nullable().default(1.0),
    /** Number of micro-batches whose gradients are averaged per optimizer step. */
    grad_accum: z.number().int().positive().default(1),
    /**
     * Batches of rows with similar prompt lengths, so a batch pads to less: the epoch's shuffled
     * order is cut into groups of this many batches, each group sorted by length into batches, and
     * the batches shuffled (0 = off, plain shuffled batches). Speeds up token-level heads.
     */
    group_by_length: z.number().int().min(0).default(0),
    /**
     * Early-stopping score on the validation rows of the training domains: mean of per-domain AUCs
     * or the AUC of all rows pooled. Also picks a baseline's zero-shot tower.
     */
    monitor: z.enum(['auc_mean', 'auc_pooled']).default('auc_mean'),
    /**
     * Early stopping: stop after this many epochs in a row without a better validation score;
     * 0 = never stop early. Either way the weights of the best epoch are kept.
     */
    patience: z.number().int().min(0).default(1),
    /** Also checkpoint every N optimizer steps inside an epoch (0 = only at epoch ends). */
    checkpoint_every_steps: z.number().int().min(0).default(0),
    /**
     * Train on at most this many rows (0 = all): a fixed subset, shared among the training domains
     * in proportion to their sizes and drawn from the seed, the same rows for every model.
     */
    max_train_rows: z.number().int().min(0).default(0),
    /** Weight of the auxiliary (Uni-CTR general network) loss term; 1 = the spec's equal weights. */
    general_loss_weight: z.number().min(0).default(1),
    /**
     * Initial output bias of every head: 0 (`zero`, reference) or the log-odds of the training
     * rows' positive rate (`prior`), so training starts at the base rate instead of 0.5.
     */
    output_bias_init: z.enum(['zero', 'prior']).default('zero'),
    /**
     * Learning curves: every N optimizer steps, score the validation rows and a fixed sample of
     * `eval_train_rows` training rows and log per-domain AUC/logloss, gradient norms per module,
     * BatchNorm statistics and the loss terms (event "eval" in log.jsonl, plot learning_curves.svg).
     * 0 = off (nothing extra is computed).
     */
    eval_every_steps: z.number().int().min(0).default(0),
    eval_train_rows: z.number().int().min(1).default(2000),
    /**
     * Threads per training step: `auto` (2 where the machine has 2 cores or more) or 1. Uni-CTR on
     * cached states runs the general network and the domain networks on two threads; other models
     * and backends use one (docs/runtime.md).
     */
    workers: z.union([z.literal('auto'), z.literal(1), z.literal(2)]).default('auto'),
    /** Bootstrap iterations for the AUC confidence interval (at least 1: it is checked at load, not after training). */
    bootstrap: z.number().int().min(1, 'expected at least 1 bootstrap iteration').default(1000),
  })
  .prefault({});

export type TrainConfig = z.output<typeof TrainConfigSchema>;
