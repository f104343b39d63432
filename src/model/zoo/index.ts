/**
 * Registry of the ID-feature baselines (spec §5): name → kind, option schema, constructor.
 *
 * kind "single": one model per training domain, built with `domains: [thatDomain]`, trained and
 * scored on that domain's rows only (the trainer's `rowsOfDomains`); it ignores `domainIndex`.
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

function entry<S extends z.ZodType, M extends CtrModel>(
  name: string,
  kind: ZooKind,
  schema: S,
  ctor: new (args: ZooArgs, o: z.output<S>) => M,
): ZooEntry {
  return {
    kind,
    options: schema,
    create(args) {
      const source = args.source ?? 'model options';
      const keyPath = args.keyPath ?? ['model'];
      let raw = args.options ?? {};
      // A config's model block may carry the registry name next to the options.
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'name' in raw) {
        const { name: given, ...rest } = raw as Record<string, unknown>;
        if (given !== name) throw new ConfigError(`${source}: key "${[...keyPath, 'name'].join('.')}": expected "${name}", got ${JSON.stringify(given)}`);
        raw = rest;
      }
      const o = parseConfig(schema, raw, source, keyPath);
      return new ctor({ vocab: args.vocab, domains: args.domains, seed: args.seed }, o);
    },
  };
}

export const MODEL_ZOO: Readonly<Record<string, ZooEntry>> = {
  pnn: entry('pnn', 'single', PNNOptions, PNN),
  dcn: entry('dcn', 'single', DCNOptions, DCN),
  deepfm: entry('deepfm', 'single', DeepFMOptions, DeepFM),
  xdeepfm: entry('xdeepfm', 'single', XDeepFMOptions, XDeepFM),
  autoint: entry('autoint', 'single', AutoIntOptions, AutoInt),
  fibinet: entry('fibinet', 'single', FiBiNETOptions, FiBiNET),
  dien: entry('dien', 'single', DIENOptions, DIEN),
  shared_bottom: entry('shared_bottom', 'multi', SharedBottomOptions, SharedBottom),
  mmoe: entry('mmoe', 'multi', MMoEOptions, MMoE),
  ple: entry('ple', 'multi', PLEOptions, PLE),
  star: entry('star', 'multi', STAROptions, STAR),
  dnn: entry('dnn', 'multi', DNNOptions, DNN),
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

export type { ZooArgs } from './base.js';
export { ZooModel, SingleDomainModel, MultiDomainModel } from './base.js';
