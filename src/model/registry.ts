/**
 * Model name → constructor, for Uni-CTR and every baseline. The only module that imports them all.
 */
import { ConfigError } from '../util/errors.js';
import { closestKey, parseConfig, sourceOf, type ConfigSource } from '../util/config.js';
import type { CtrModel } from './types.js';
import type { Backbone } from './backbone/types.js';
import type { VocabSizes } from './layers/feature_embedding.js';
import { MODEL_ZOO, zooEntry, type ModelAbout } from './zoo/index.js';
import { UniCtrConfigSchema } from './unictr/config.js';
import { UniCtr } from './unictr/unictr.js';
import { PooledLr, PooledLrOptions } from './zoo/pooled_lr.js';

/**
 * unictr: reads backbone states (cache or live); states: a baseline on the frozen states' cache
 * (pooled_lr); single / multi: the ID-feature baselines of the zoo registry.
 */
export type ModelKind = 'unictr' | 'states' | 'single' | 'multi';

export const MODEL_NAMES = ['unictr', 'pooled_lr', ...Object.keys(MODEL_ZOO)];

const UNICTR_ABOUT: ModelAbout = {
  description: 'multi-domain; prompts through a pretrained encoder, ladder DSN per domain plus a general network (zero-shot)',
  paper: 'Fu et al., A Unified Framework for Multi-Domain CTR Prediction via Large Language Models, ACM TOIS 2024',
};

const POOLED_LR_ABOUT: ModelAbout = {
  description: 'floor baseline; logistic regression (or one hidden layer) on the frozen backbone\'s pooled states plus a domain embedding',
  paper: 'Alain and Bengio, Understanding intermediate layers using linear classifier probes, ICLR workshop 2017 (a linear probe of the frozen backbone)',
};

export interface RegisteredModel extends ModelAbout {
  name: string;
  kind: ModelKind;
}

/** Every registered model with what it is and where it was published (`unictr models`). */
export function registeredModels(): RegisteredModel[] {
  return MODEL_NAMES.map((name) => {
    const about = name === 'unictr' ? UNICTR_ABOUT : name === 'pooled_lr' ? POOLED_LR_ABOUT : MODEL_ZOO[name]!.about;
    return { name, kind: modelKind(name), description: about?.description ?? '(no description registered)', paper: about?.paper ?? '(no paper registered)' };
  });
}

/**
 * Validates a config's `model:` block with the chosen model's schema and returns it with every
 * default filled in (what `unictr config` prints and `train --dry-run` checks).
 */
export function validateModelBlock(block: { name: string } & Record<string, unknown>, source: ConfigSource): Record<string, unknown> {
  const { name, ...options } = block;
  const kind = modelKind(name, source);
  if (kind === 'unictr') return { name, ...(parseConfig(UniCtrConfigSchema, options, source, ['model']) as Record<string, unknown>) };
  if (kind === 'states') return { name, ...(parseConfig(PooledLrOptions, options, source, ['model']) as Record<string, unknown>) };
  return { name, ...(parseConfig(MODEL_ZOO[name]!.options, options, source, ['model']) as Record<string, unknown>) };
}

export function modelKind(name: string, source: ConfigSource = 'config'): ModelKind {
  if (name === 'unictr') return 'unictr';
  if (name === 'pooled_lr') return 'states';
  const e = Object.prototype.hasOwnProperty.call(MODEL_ZOO, name) ? MODEL_ZOO[name] : undefined;
  if (!e) {
    const hint = closestKey(name, MODEL_NAMES);
    throw new ConfigError(
      `${sourceOf(source, 'model.name')}: key "model.name": unknown model "${name}"${hint ? ` (did you mean "${hint}"?)` : ''} (allowed: ${MODEL_NAMES.join(', ')})`,
    );
  }
  return e.kind;
}

export interface CreateModelArgs {
  domains: readonly string[];
  vocab: VocabSizes;
  seed: number;
  /** Uni-CTR only: the backbone whose states it reads (shape d, L). */
  backbone?: Backbone;
  /** Uni-CTR only: run the backbone inside the model (LoRA / full tuning) instead of reading cached states. */
  live?: boolean;
  /** Config file (or per-key origins), for error messages. */
  source?: ConfigSource;
}

/** Build a model from an experiment's `model:` block (`name` + that model's options). */
export function createModel(block: { name: string } & Record<string, unknown>, args: CreateModelArgs): CtrModel {
  const { name, ...options } = block;
  const source = args.source ?? 'config';
  if (name === 'unictr') {
    if (!args.backbone) throw new ConfigError(`${sourceOf(source, 'model.name')}: model "unictr" needs a backbone`);
    const config = parseConfig(UniCtrConfigSchema, options, source, ['model']);
    return new UniCtr({
      config,
      domains: args.domains,
      hiddenSize: args.backbone.hiddenSize,
      numLayers: args.backbone.numLayers,
      seed: args.seed,
      backbone: args.live ? args.backbone : undefined,
    });
  }
  if (name === 'pooled_lr') {
    if (!args.backbone) throw new ConfigError(`${source}: model "pooled_lr" needs a backbone`);
    if (args.live) throw new ConfigError(`${source}: key "backbone.tuning": model "pooled_lr" reads the frozen state cache; use tuning "frozen"`);
    const o = parseConfig(PooledLrOptions, options, source, ['model']);
    return new PooledLr({ domains: args.domains, seed: args.seed, hiddenSize: args.backbone.hiddenSize, numLayers: args.backbone.numLayers }, o);
  }
  return zooEntry(name, source).create({ vocab: args.vocab, domains: args.domains, seed: args.seed, options, source, keyPath: ['model'] });
}
