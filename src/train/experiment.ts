/**
 * Experiment config: one YAML file (with `extends:`) holding the data, domains, model, backbone
 * and train blocks. The model block is validated by the chosen model's own schema.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { applySets, KeySources, loadYamlWithExtends, parseConfig, sourceOf, stableStringify, type ConfigSource, type Plain } from '../util/config.js';
import { TrainConfigSchema } from './train_config.js';
import { DataConfigSchema } from '../data/schema.js';

export const BackboneConfigSchema = z
  .strictObject({
    /** `use-lite`: the embedded Universal Sentence Encoder lite; `hf`: a Hugging Face model folder. */
    kind: z.enum(['use-lite', 'hf']).default('use-lite'),
    path: z.string().optional(),
    tuning: z.enum(['frozen', 'lora', 'full']).default('frozen'),
    lora: z
      .strictObject({
        r: z.number().int().positive().default(4),
        alpha: z.number().positive().default(8),
        dropout: z.number().min(0).max(1).default(0.1),
      })
      .prefault({}),
    max_length: z.number().int().positive().default(128),
    /** Where prompts longer than max_length are cut: keep the start (`right`) or start + end (`middle`). */
    truncation: z.enum(['right', 'middle']).default('right'),
    /**
     * Frozen states: `disk` encodes every split once into a cache under cache_dir and reads it back;
     * `none` writes nothing and encodes each batch's rows when it is needed (every epoch again),
     * for data whose cache would not fit.
     */
    cache: z.enum(['disk', 'none']).default('disk'),
    /** Folder of the frozen-state cache (relative to the working directory). */
    cache_dir: z.string().default('.cache/states'),
    /**
     * Cached state precision: int8 with one scale per token (default, about a quarter of fp32),
     * fp16 (half of fp32) or fp32.
     */
    cache_dtype: z.enum(['int8', 'fp16', 'fp32']).default('int8'),
    /** Refuse (before encoding) to build a state cache larger than this many GB (10^9 bytes). */
    cache_budget_gb: z.number().positive().default(8),
    /** Allow downloading from the Hugging Face hub when `path` is a hub id (off by default). */
    allow_download: z.boolean().default(false),
  })
  .prefault({});

export const DomainsConfigSchema = z
  .strictObject({
    /** Domains the model trains on (one DSN / tower each). */
    train: z.array(z.string()).min(1),
    /** Domains scored zero-shot after training (never trained on). */
    zero_shot: z.array(z.string()).default([]),
  })
  .superRefine((d, ctx) => {
    for (const key of ['train', 'zero_shot'] as const) {
      const dup = d[key].find((x, i) => d[key].indexOf(x) !== i);
      if (dup !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `domain "${dup}" is listed twice` });
    }
    const both = d.train.find((t) => d.zero_shot.includes(t));
    if (both !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['zero_shot'], message: `domain "${both}" cannot be both a training and a zero-shot domain` });
    }
  });

export const ExperimentSchema = z.strictObject({
  /** Free-text name shown in reports. */
  name: z.string().default('experiment'),
  seed: z.number().int().default(2012),
  /** Where the processed dataset lives; `unictr train` prepares it there when missing. */
  dataset_dir: z.string(),
  data: DataConfigSchema.optional(),
  domains: DomainsConfigSchema,
  model: z.looseObject({ name: z.string() }),
  backbone: BackboneConfigSchema,
  train: TrainConfigSchema,
});

export type Experiment = z.output<typeof ExperimentSchema>;
export type BackboneConfig = z.output<typeof BackboneConfigSchema>;

export interface LoadedExperiment {
  /** Validated config; relative paths resolved against the YAML file's folder. */
  config: Experiment;
  /** The merged YAML before validation (what `--set` acted on), for the run folder. */
  raw: Plain;
  file: string;
  hash: string;
  /** The `--set` overrides applied (prepare re-reads the data block with them). */
  sets: readonly string[];
  /** Which file or `--set` wrote each key, for error messages. */
  sources: ConfigSource;
}

/** Load, merge (`extends:`), override (`--set`) and validate an experiment file. */
export function loadExperiment(file: string, sets: readonly string[] = []): LoadedExperiment {
  const sources = new KeySources(file);
  const merged = applySets(loadYamlWithExtends(file, [], sources), sets, sources);
  return validateExperiment(merged, file, sets, sources);
}

export function validateExperiment(
  raw: Plain,
  file: string,
  sets: readonly string[] = [],
  sources: ConfigSource = file,
): LoadedExperiment {
  const config = parseConfig(ExperimentSchema, raw, sources);
  // `./` and `../` paths were made absolute by the loader (relative to their YAML file); what is
  // left relative is relative to the working directory.
  config.dataset_dir = path.resolve(config.dataset_dir);
  if (config.backbone.path && !config.backbone.allow_download) config.backbone.path = path.resolve(config.backbone.path);
  config.backbone.cache_dir = path.resolve(config.backbone.cache_dir);
  if (config.backbone.kind === 'hf' && !config.backbone.path) {
    throw new ConfigError(`${sourceOf(sources, 'backbone.path')}: key "backbone.path": required when backbone.kind is "hf"`);
  }
  // The run folder's config.yaml must work from any directory: pin the resolved paths.
  const pinned: Plain = { ...raw, dataset_dir: config.dataset_dir };
  pinned.backbone = { ...((raw.backbone as Plain | undefined) ?? {}), cache_dir: config.backbone.cache_dir };
  if (config.backbone.path) (pinned.backbone as Plain).path = config.backbone.path;
  return { config, raw: pinned, file, hash: hashConfig(raw), sets, sources };
}

export function hashConfig(raw: unknown): string {
  return createHash('sha256').update(stableStringify(raw)).digest('hex').slice(0, 16);
}
