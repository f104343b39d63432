/**
 * Learning-rate schedules: cyclic (PyTorch `CyclicLR` modes triangular, triangular2, exp_range),
 * constant, and the learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural
 * Networks", 2017: the rate grows geometrically while the loss is logged, to see where it falls
 * fastest and where it diverges). The learning rate is a pure function of a counter `t` (epochs
 * or optimizer steps completed), so the serialisable state is just that counter.
 *
 * Cyclic rule (t = 0 gives base_lr, as PyTorch's scheduler right after construction):
 *   total = up + down, cycle = floor(1 + t/total), x = 1 + t/total − cycle ∈ [0, 1)
 *   scale = x/(up/total) while rising, else (x − 1)/(up/total − 1)
 *   lr = base + (max − base) · scale · f, with f = 1 (triangular), 1/2^(cycle−1) (triangular2),
 *   gamma^t (exp_range).
 * Range test: lr = base · (max/base)^(t/step_size_up) up to t = step_size_up, then max.
 */
import { ConfigError, RunFolderError } from '../util/errors.js';

export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';
/** What advances the schedule: one tick per epoch (the reference) or per optimizer step. */
export type StepOn = 'epoch' | 'step';

export interface CyclicScheduleConfig {
  type: CyclicMode;
  base_lr: number;
  max_lr: number;
  /** Ticks from base_lr up to the peak. */
  step_size_up: number;
  /** Ticks from the peak back down; default step_size_up. */
  step_size_down?: number;
  /** exp_range only: per-tick decay of the amplitude (default 1). */
  gamma?: number;
  step_on?: StepOn;
}

export interface ConstantScheduleConfig {
  type: 'constant';
  lr: number;
  step_on?: StepOn;
}

export interface RangeTestScheduleConfig {
  type: 'range_test';
  base_lr: number;
  max_lr: number;
  /** Ticks from base_lr to max_lr. */
  step_size_up: number;
  step_on?: StepOn;
}

export type ScheduleConfig = CyclicScheduleConfig | ConstantScheduleConfig | RangeTestScheduleConfig;

/** Serialised schedule position, stored in checkpoints. */
export interface ScheduleState {
  type: ScheduleConfig['type'];
  /** Ticks taken so far. */
  t: number;
}

/** The cyclic learning rate after `t` ticks (see the file comment). */
export function cyclicLr(t: number, cfg: CyclicScheduleConfig): number {
  const up = cfg.step_size_up;
  const down = cfg.step_size_down ?? up;
  const total = up + down;
  const ratio = up / total;
  const cycle = Math.floor(1 + t / total);
  const x = 1 + t / total - cycle;
  const scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
  let amplitude: number;
  switch (cfg.type) {
    case 'triangular':
      amplitude = 1;
      break;
    case 'triangular2':
      amplitude = 1 / 2 ** (cycle - 1);
      break;
    case 'exp_range':
      amplitude = (cfg.gamma ?? 1) ** t;
      break;
  }
  return cfg.base_lr + (cfg.max_lr - cfg.base_lr) * scale * amplitude;
}

/** The range test's learning rate after `t` ticks (see the file comment). */
export function rangeTestLr(t: number, cfg: RangeTestScheduleConfig): number {
  return cfg.base_lr * (cfg.max_lr / cfg.base_lr) ** (Math.min(t, cfg.step_size_up) / cfg.step_size_up);
}

/**
 * Checks a schedule config; `where` prefixes key names in errors (e.g. "train.schedule").
 * Throws ConfigError naming the bad key and what was expected.
 */
export function validateSchedule(cfg: ScheduleConfig, where = 'schedule'): void {
  const bad = (key: string, value: unknown, expected: string): never => {
    throw new ConfigError(`${where}.${key} is ${JSON.stringify(value)}; expected ${expected}`);
  };
  const stepOn = cfg.step_on ?? 'epoch';
  if (stepOn !== 'epoch' && stepOn !== 'step') bad('step_on', stepOn, 'one of: epoch, step');
  if (cfg.type === 'constant') {
    if (!(cfg.lr > 0 && Number.isFinite(cfg.lr))) bad('lr', cfg.lr, 'a positive number');
    return;
  }
  if (!['triangular', 'triangular2', 'exp_range', 'range_test'].includes(cfg.type)) {
    bad('type', cfg.type, 'one of: triangular, triangular2, exp_range, constant, range_test');
  }
  if (!(cfg.base_lr > 0 && Number.isFinite(cfg.base_lr))) bad('base_lr', cfg.base_lr, 'a positive number');
  if (!(cfg.max_lr >= cfg.base_lr && Number.isFinite(cfg.max_lr))) bad('max_lr', cfg.max_lr, `a number >= base_lr (${cfg.base_lr})`);
  if (!(Number.isInteger(cfg.step_size_up) && cfg.step_size_up >= 1)) bad('step_size_up', cfg.step_size_up, 'an integer >= 1');
  if (cfg.type === 'range_test') return;
  if (cfg.step_size_down !== undefined && !(Number.isInteger(cfg.step_size_down) && cfg.step_size_down >= 1)) {
    bad('step_size_down', cfg.step_size_down, 'an integer >= 1');
  }
  if (cfg.gamma !== undefined && !(cfg.gamma > 0 && cfg.gamma <= 1)) bad('gamma', cfg.gamma, 'a number in (0, 1]');
}

/**
 * A schedule with a position. Read `lr` for the next optimizer step; call `onStepEnd()` after every
 * optimizer step and `onEpochEnd()` after every epoch: only the one matching `stepOn` advances.
 */
export class LrSchedule {
  readonly stepOn: StepOn;
  private ticks = 0;

  constructor(readonly config: ScheduleConfig, where = 'schedule') {
    validateSchedule(config, where);
    this.stepOn = config.step_on ?? 'epoch';
  }

  /** Learning rate at the current position. */
  get lr(): number {
    return this.lrAt(this.ticks);
  }

  /** Ticks taken so far. */
  get t(): number {
    return this.ticks;
  }

  /** Learning rate after `t` ticks, without moving. */
  lrAt(t: number): number {
    const c = this.config;
    return c.type === 'constant' ? c.lr : c.type === 'range_test' ? rangeTestLr(t, c) : cyclicLr(t, c);
  }

  /** One tick, whatever `stepOn` says. */
  advance(): void {
    this.ticks++;
  }

  onStepEnd(): void {
    if (this.stepOn === 'step') this.ticks++;
  }

  onEpochEnd(): void {
    if (this.stepOn === 'epoch') this.ticks++;
  }

  getState(): ScheduleState {
    return { type: this.config.type, t: this.ticks };
  }

  /** Restores a `getState()` snapshot; a mismatched one is a RunFolderError (bad checkpoint). */
  setState(state: ScheduleState): void {
    if (state.type !== this.config.type) {
      throw new RunFolderError(`checkpoint schedule state: type is "${state.type}", the config asks for "${this.config.type}"`);
    }
    if (!Number.isInteger(state.t) || state.t < 0) throw new RunFolderError(`checkpoint schedule state: t is ${state.t}`);
    this.ticks = state.t;
  }
}
