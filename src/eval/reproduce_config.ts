/**
 * A reproduce config: an ordinary experiment (data, domains, dataset_dir, shared train/backbone
 * blocks, usually through `extends:`) plus a `reproduce:` block naming the seeds, the budget every
 * run shares, the models (each one row of a table) and the tables to write.
 *
 *   reproduce:
 *     seeds: [2012, 2013, 2014]
 *     budget: { epochs: 5, patience: 1, max_train_rows: 10000 }
 *     models:
 *       - { id: dnn, label: DNN, model: { name: dnn }, train: { optimizer: adam, batch_size: 2048 } }
 *       - { id: unictr, label: Uni-CTR, model: { name: unictr } }
 *     tables:
 *       table3: { models: [dnn, unictr], reference: dnn, focus: unictr }
 *       zero_shot: { models: [dnn, unictr] }
 *       ablation: { models: [unictr, dnn], reference: unictr }
 *       scaling: { models: [dnn, unictr], max_train_rows: [2000, 5000] }
 */
import { z } from 'zod';
import { ConfigError } from '../util/errors.js';
import { loadYamlWithExtends, parseConfig, type Plain } from '../util/config.js';

const block = z.record(z.string(), z.unknown());

export const ModelEntrySchema = z.strictObject({
  /** Run-folder prefix and the name tables use to refer to this row. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, "_", "-" and "." only'),
  /** Row label in the tables (default: the id). */
  label: z.string().optional(),
  /** The experiment's `model:` block for this row (replaces any inherited one). */
  model: z.looseObject({ name: z.string() }),
  /** Merged over the shared `train:` / `backbone:` blocks (the budget keys are then forced). */
  train: block.optional(),
  backbone: block.optional(),
  /** A different data block (e.g. another prompt template) needs its own dataset_dir. */
  data: block.optional(),
  dataset_dir: z.string().optional(),
});

const ids = z.array(z.string()).min(1);

export const ReproduceSchema = z.strictObject({
  /** A sentence added to every caption (e.g. how few test negatives there are). */
  note: z.string().optional(),
  seeds: z.array(z.number().int()).min(1),
  /** Forced on every run, so that every row of a table has the same rows, epoch cap and patience. */
  budget: z.strictObject({
    epochs: z.number().int().positive(),
    patience: z.number().int().min(0),
    max_train_rows: z.number().int().min(0).default(0),
  }),
  models: z.array(ModelEntrySchema).min(1),
  tables: z.strictObject({
    table3: z.strictObject({ models: ids, reference: z.string(), focus: z.string() }).optional(),
    zero_shot: z.strictObject({ models: ids }).optional(),
    ablation: z.strictObject({ models: ids, reference: z.string() }).optional(),
    scaling: z.strictObject({ models: ids, max_train_rows: z.array(z.number().int().positive()).min(1) }).optional(),
  }),
});

export type ModelEntry = z.output<typeof ModelEntrySchema>;
export type ReproduceBlock = z.output<typeof ReproduceSchema>;
export const TABLE_NAMES = ['table3', 'zero_shot', 'ablation', 'scaling'] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface ReproduceConfig {
  file: string;
  /** The experiment every run starts from (the file without its `reproduce:` block). */
  base: Plain;
  reproduce: ReproduceBlock;
  /** Experiment name (the tables' title). */
  name: string;
}

export function loadReproduceConfig(file: string): ReproduceConfig {
  const { reproduce, ...base } = loadYamlWithExtends(file);
  if (reproduce === undefined) throw new ConfigError(`${file}: no "reproduce:" block (see experiments/reproduce/smoke.yaml)`);
  const r = parseConfig(ReproduceSchema, reproduce, file, ['reproduce']);
  const known = new Set(r.models.map((m) => m.id));
  if (known.size !== r.models.length) throw new ConfigError(`${file}: key "reproduce.models": two models share an id`);
  const check = (key: string, id: string) => {
    if (!known.has(id)) throw new ConfigError(`${file}: key "reproduce.tables.${key}": unknown model id "${id}" (models: ${[...known].join(', ')})`);
  };
  for (const [name, t] of Object.entries(r.tables)) {
    if (!t) continue;
    t.models.forEach((id) => check(`${name}.models`, id));
    if ('reference' in t) check(`${name}.reference`, t.reference);
    if ('focus' in t) check(`${name}.focus`, t.focus);
  }
  if (Object.values(r.tables).every((t) => t === undefined)) throw new ConfigError(`${file}: key "reproduce.tables": name at least one table`);
  return { file, base, reproduce: r, name: typeof base.name === 'string' ? base.name : 'reproduce' };
}
