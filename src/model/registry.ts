/**
 * Model name → constructor, for Uni-CTR and every baseline. The only module that imports them all.
 */
import { ConfigError } from '../util/errors.js';
import { parseConfig } from '../util/config.js';
import type { CtrModel } from './types.js';
import type { Backbone } from './backbone/types.js';
import type { VocabSizes } from './layers/feature_embedding.js';
import { MODEL_ZOO, zooEntry } from './zoo/index.js';
import { UniCtrConfigSchema } from './unictr/config.js';
import { UniCtr } from './unictr/unictr.js';
import { PooledLr, PooledLrOptions } from './zoo/pooled_lr.js';

/**
 * unictr: reads backbone states (cache or live); states: a baseline on the frozen states' cache
 * (pooled_lr); single / multi: the ID-feature baselines of the zoo registry.
 */
export type ModelKind = 'unictr' | 'states' | 'single' | 'multi';

export const MODEL_NAMES = ['unictr', 'pooled_lr', ...Object.keys(MODEL_ZOO)];

export function modelKind(name: string): ModelKind {
  if (name === 'unictr') return 'unictr';
  if (name === 'pooled_lr') return 'states';
  const e = MODEL_ZOO[name];
  if (!e) throw new ConfigError(`key "model.name": unknown model "${name}" (allowed: ${MODEL_NAMES.join(', ')})`);
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
  /** Config file, for error messages. */
  source?: string;
}

/** Build a model from an experiment's `model:` block (`name` + that model's options). */
export function createModel(block: { name: string } & Record<string, unknown>, args: CreateModelArgs): CtrModel {
  const { name, ...options } = block;
  const source = args.source ?? 'config';
  if (name === 'unictr') {
    if (!args.backbone) throw new ConfigError(`${source}: model "unictr" needs a backbone`);
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
