/**
 * Registry of the ID-feature baselines (spec §5): name → kind, option schema, constructor.
 *
 * kind "single": one model per training domain, built with `domains: [thatDomain]`, trained and
 * scored on that domain's rows only (`selectDomainRows`); it ignores `domainIndex`.
 * kind "multi": one model over all training domains, one tower per domain; each sample is scored
 * by its own domain's tower, `head: k` scores every sample with tower k.
 * Options are snake_case keys validated by a strict zod schema (unknown keys are errors).
 */
import type { z } from 'zod';
import { parseConfig } from '../../util/config.js';
import { ConfigError } from '../../util/errors.js';
import type { CtrModel } from '../types.js';
import { AutoInt, AutoIntOptions } from './autoint.js';
import type { ZooArgs } from './base.js';
import { DCN, DCNOptions } from './dcn.js';
import { DeepFM, DeepFMOptions } from './deepfm.js';
import { DIEN, DIENOptions } from './dien.js';
import { DNN, DNNOptions } from './dnn.js';
import { FiBiNET, FiBiNETOptions } from './fibinet.js';
import { MMoE, MMoEOptions } from './mmoe.js';
import { PLE, PLEOptions } from './ple.js';
import { PNN, PNNOptions } from './pnn.js';
import { SharedBottom, SharedBottomOptions } from './shared_bottom.js';
import { STAR, STAROptions } from './star.js';
import { XDeepFM, XDeepFMOptions } from './xdeepfm.js';

export type ZooKind = 'single' | 'multi';

export interface ZooEntry {
  kind: ZooKind;
  /** Strict schema of the model's options (defaults filled in by parsing). */
  options: z.ZodType;
  /** Validates `options` (raw, e.g. a config's `model` block without `name`) and builds the model. */
  create(args: ZooCreateArgs): CtrModel;
}

export interface ZooCreateArgs extends ZooArgs {
  /** Raw option object; undefined → all defaults. */
  options?: unknown;
  /** Where the options came from, for error messages (e.g. the config file). */
  source?: string;
  /** Key path of the options inside that source (default ["model"]). */
  keyPath?: readonly (string | number)[];
}

function entry<S extends z.ZodType, M extends CtrModel>(kind: ZooKind, schema: S, ctor: new (args: ZooArgs, o: z.output<S>) => M): ZooEntry {
  return {
    kind,
    options: schema,
    create(args) {
      const o = parseConfig(schema, args.options ?? {}, args.source ?? 'model options', args.keyPath ?? ['model']);
      return new ctor({ vocab: args.vocab, domains: args.domains, seed: args.seed }, o);
    },
  };
}

export const MODEL_ZOO: Readonly<Record<string, ZooEntry>> = {
  pnn: entry('single', PNNOptions, PNN),
  dcn: entry('single', DCNOptions, DCN),
  deepfm: entry('single', DeepFMOptions, DeepFM),
  xdeepfm: entry('single', XDeepFMOptions, XDeepFM),
  autoint: entry('single', AutoIntOptions, AutoInt),
  fibinet: entry('single', FiBiNETOptions, FiBiNET),
  dien: entry('single', DIENOptions, DIEN),
  shared_bottom: entry('multi', SharedBottomOptions, SharedBottom),
  mmoe: entry('multi', MMoEOptions, MMoE),
  ple: entry('multi', PLEOptions, PLE),
  star: entry('multi', STAROptions, STAR),
  dnn: entry('multi', DNNOptions, DNN),
};

export const ZOO_MODEL_NAMES = Object.keys(MODEL_ZOO);

/** The registry entry for `name`, or a ConfigError listing the known names. */
export function zooEntry(name: string, source = 'model options'): ZooEntry {
  const e = Object.prototype.hasOwnProperty.call(MODEL_ZOO, name) ? MODEL_ZOO[name] : undefined;
  if (!e) throw new ConfigError(`${source}: key "model.name": unknown baseline "${name}" (allowed: ${ZOO_MODEL_NAMES.join(', ')})`);
  return e;
}

export function createZooModel(name: string, args: ZooCreateArgs): CtrModel {
  return zooEntry(name, args.source).create(args);
}

export { selectDomainRows } from './single_domain.js';
export type { ZooArgs } from './base.js';
export { ZooModel, SingleDomainModel, MultiDomainModel } from './base.js';
