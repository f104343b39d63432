/**
 * Options that name new data for a trained run (zero-shot, add-domain, predict): a data file with
 * its format and column flags, or a YAML with a `data:` block.
 */
import type { Argv } from 'yargs';
import { SOURCE_FORMATS, type SourceFormat } from '../data/schema.js';
import type { NewDataSpec } from '../data/new_rows.js';
import { CliArgsError } from '../util/errors.js';

export interface NewDataArgs {
  meta?: string;
  format?: SourceFormat;
  'meta-format'?: SourceFormat;
  /** predict: --input-format (its --format is the output's). */
  'input-format'?: SourceFormat;
  column?: string[];
  'meta-column'?: string[];
}

export function newDataOptions<T>(y: Argv<T>, formatFlag: 'format' | 'input-format' = 'format'): Argv<T & NewDataArgs> {
  return y
    .option('meta', { type: 'string', describe: 'metadata file of a --data/--input data file (titles, brands, prices)' })
    .option(formatFlag, { choices: SOURCE_FORMATS, describe: 'format of the new data file (default: detected)' })
    .option('meta-format', { choices: SOURCE_FORMATS, describe: 'format of the --meta file (default: detected)' })
    .option('column', { type: 'string', array: true, describe: 'review column map, e.g. --column user=reviewerID (user, item, rating, time)' })
    .option('meta-column', { type: 'string', array: true, describe: 'metadata column map, e.g. --meta-column title=Description (item, title, brand, price, description; =null: absent)' }) as Argv<
    T & NewDataArgs
  >;
}

function columnMap(flag: string, pairs: string[] | undefined, allowed: readonly string[], nullable: boolean): Record<string, string | null> | undefined {
  if (!pairs) return undefined;
  const out: Record<string, string | null> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    const key = p.slice(0, eq);
    if (eq <= 0 || eq === p.length - 1 || !allowed.includes(key)) {
      throw new CliArgsError(`--${flag} ${p}: expected KEY=COLUMN with KEY one of ${allowed.join(', ')}`);
    }
    const v = p.slice(eq + 1);
    out[key] = nullable && v === 'null' ? null : v;
  }
  return out;
}

export function newDataSpec(data: string, domain: string | undefined, a: NewDataArgs): NewDataSpec {
  return {
    data,
    domain,
    meta: a.meta,
    format: a.format,
    metaFormat: a['meta-format'],
    columns: columnMap('column', a.column, ['user', 'item', 'rating', 'time'], false) as Record<string, string> | undefined,
    metaColumns: columnMap('meta-column', a['meta-column'], ['item', 'title', 'brand', 'price', 'description'], true),
  };
}
