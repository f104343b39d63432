/**
 * zod schema of the `data:` block of an experiment YAML. Every object is strict, so a misspelt
 * key is an error that names the file and key path.
 */
import { z } from 'zod';
import { SPLIT_PRESETS, type SplitPreset } from './split.js';

/** `ratings_csv`: the official Amazon "ratings only" CSV, no header, columns item,user,rating,timestamp. */
export const SOURCE_FORMATS = ['auto', 'json2018', 'json2014', 'csv', 'ratings_csv', 'parquet', 'arrow'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export const TEMPLATE_NAMES = ['paper', 'id_name', 'id_only', 'custom'] as const;

/** Review columns; each value is the column (or JSON key) name in the source. */
export const ReviewColumnsSchema = z
  .object({
    user: z.string().min(1),
    item: z.string().min(1),
    rating: z.string().min(1),
    time: z.string().min(1),
  })
  .strict()
  .partial();

/** Metadata columns; `null` means the source has no such column (every value is `unknown`). */
export const MetaColumnsSchema = z
  .object({
    item: z.string().min(1),
    title: z.string().min(1).nullable(),
    brand: z.string().min(1).nullable(),
    price: z.string().min(1).nullable(),
    /** Free-text description (2018 JSON: a list of strings, joined); default `description` for JSON metadata, absent for tables. */
    description: z.string().min(1).nullable(),
  })
  .strict()
  .partial();

/** Domain of each row from a metadata field of its item, e.g. `{ field: category, index: 1 }`. */
export const DomainFromSchema = z
  .object({
    /** Metadata key (JSON) or column (tables). */
    field: z.string().min(1),
    /** 0-based position when the field is a list (2018 `category` paths); omit for a plain string. */
    index: z.number().int().nonnegative().optional(),
  })
  .strict();

export const SourceSchema = z
  .object({
    /** Display name of the domain all rows of this source belong to. */
    domain: z.string().min(1).optional(),
    /** Alternative to `domain`: a reviews column holding each row's domain name. */
    domain_column: z.string().min(1).optional(),
    /**
     * Alternative to `domain`: each row's domain is a metadata value of its item (HTML entities
     * decoded); rows whose item has no such value, or whose value is not in `data.domains`, are dropped.
     */
    domain_from: DomainFromSchema.optional(),
    /** Reviews file, relative to the YAML file's folder. */
    reviews: z.string().min(1),
    /** Metadata file (optional: without it every row has title/brand `unknown`, price = mean). */
    meta: z.string().min(1).optional(),
    format: z.enum(SOURCE_FORMATS).default('auto'),
    /** Format of the metadata file; defaults to `auto` (detected from name and content). */
    meta_format: z.enum(SOURCE_FORMATS).default('auto'),
    columns: ReviewColumnsSchema.default({}),
    meta_columns: MetaColumnsSchema.default({}),
  })
  .strict()
  .refine((s) => [s.domain, s.domain_column, s.domain_from].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of "domain", "domain_column" or "domain_from"',
  })
  .refine((s) => s.domain_from === undefined || s.meta !== undefined, { message: '"domain_from" needs a "meta" file', path: ['domain_from'] });

/** `template: paper` is shorthand for `template: { name: paper }`. */
export const TemplateSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z
    .object({
      name: z.enum(TEMPLATE_NAMES),
      /** Template text with {placeholders}; required for `custom`, not allowed otherwise. */
      text: z.string().min(1).optional(),
    })
    .strict()
    .refine((t) => t.name !== 'custom' || t.text !== undefined, { message: 'template "custom" needs "text"' })
    .refine((t) => t.name === 'custom' || t.text === undefined, { message: '"text" is only used with name: custom' }),
);

export const DataConfigSchema = z
  .object({
    sources: z.array(SourceSchema).min(1),
    /** `inner` drops reviews whose item has no metadata row (reference); `left` keeps them. */
    join: z.enum(['inner', 'left']).default('inner'),
    /** 3-star reviews: dropped (released code) or kept as negatives (paper text). */
    three_star: z.enum(['drop', 'negative']).default('drop'),
    /**
     * Drop exact duplicate ratings (same domain, user, item, rating and time; the first in input
     * order stays). The raw Amazon files repeat rows; a copy split across train and test is a
     * memorised answer.
     */
    dedupe: z.boolean().default(true),
    /** History rendered as item titles (Uni-CTR) or item ids (ID variant). */
    history: z.enum(['titles', 'ids']).default('titles'),
    template: TemplateSchema.default({ name: 'paper' }),
    /**
     * Per-domain time split: a preset name (released_81_9_10, the default and the released code;
     * paper_80_10_10, the paper text) or fractions `{ train, valid, test }` that sum to 1.
     */
    split: z
      .union([
        z.enum(Object.keys(SPLIT_PRESETS) as [SplitPreset, ...SplitPreset[]]),
        z
          .object({ train: z.number().gt(0).lt(1), valid: z.number().gte(0).lt(1), test: z.number().gt(0).lt(1) })
          .strict()
          .refine((f) => Math.abs(f.train + f.valid + f.test - 1) < 1e-9, { message: 'train + valid + test must be 1' }),
      ])
      .default('released_81_9_10'),
    /** Rows whose prompt has this many characters or more are dropped. */
    max_prompt_chars: z.number().int().positive().default(10000),
    /** Domain order (= domain_id); defaults to first appearance in `sources`. */
    domains: z.array(z.string().min(1)).min(1).optional(),
    /** Allowed star ratings [min, max]; a rating outside is a bad row. */
    rating_range: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi, { message: 'expected [min, max] with min <= max' })
      .default([1, 5]),
    /** A bad row (rating out of range, non-finite price): an error naming file:line, or skipped with a counted warning. */
    on_bad_row: z.enum(['error', 'skip']).default('error'),
  })
  .strict();

export type DataConfig = z.output<typeof DataConfigSchema>;
export type SourceConfig = z.output<typeof SourceSchema>;
export type ReviewColumns = Required<z.output<typeof ReviewColumnsSchema>>;
export type MetaColumns = { item: string; title: string | null; brand: string | null; price: string | null; description: string | null };
