/**
 * Source format detection and per-format default column names (Amazon 2018/2014 key names).
 */
import path from 'node:path';
import { ConfigError } from '../../util/errors.js';
import type { MetaColumns, ReviewColumns, SourceFormat } from '../schema.js';
import { firstNonEmptyLine } from './text_lines.js';
import { parsePyLiteral } from './py_literal.js';

export type ConcreteFormat = Exclude<SourceFormat, 'auto'>;

export const AMAZON_REVIEW_COLUMNS: ReviewColumns = {
  user: 'reviewerID',
  item: 'asin',
  rating: 'overall',
  time: 'unixReviewTime',
};

/** Column names given to the four fields of a headerless `ratings_csv` file. */
export const RATINGS_CSV_FIELDS = ['item', 'user', 'rating', 'timestamp'] as const;
export const RATINGS_CSV_COLUMNS: ReviewColumns = { user: 'user', item: 'item', rating: 'rating', time: 'timestamp' };

/** Defaults of 2018 JSON metadata; tables have no default description column. */
export const AMAZON_META_COLUMNS: MetaColumns = { item: 'asin', title: 'title', brand: 'brand', price: 'price', description: 'description' };

/** A line like `B00005N7P0,AH2IFH762VY5U,5.0,1005177600`: four fields, numeric rating and time. */
function isRatingsLine(line: string): boolean {
  const f = line.split(',');
  return f.length === 4 && f[2]!.trim() !== '' && Number.isFinite(Number(f[2])) && /^\s*[0-9]+(\.0*)?\s*$/.test(f[3]!);
}

function stem(file: string): string {
  const lower = file.toLowerCase();
  return lower.endsWith('.gz') ? lower.slice(0, -3) : lower;
}

/** Resolve `auto` from the file name and, for JSON, from the first line (JSON vs Python literal). */
export async function detectFormat(file: string, declared: SourceFormat, key: string): Promise<ConcreteFormat> {
  if (declared !== 'auto') return declared;
  const ext = path.extname(stem(file));
  if (ext === '.csv') {
    // The official "ratings only" files have no header: their first line is already a rating.
    const first = await firstNonEmptyLine(file);
    return first !== null && isRatingsLine(first) ? 'ratings_csv' : 'csv';
  }
  if (ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc' || ext === '.arrows') return 'arrow';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') {
    const first = await firstNonEmptyLine(file);
    if (first === null) return 'json2018';
    try {
      JSON.parse(first);
      return 'json2018';
    } catch {
      try {
        parsePyLiteral(first);
        return 'json2014';
      } catch {
        return 'json2018'; // the JSON reader then reports the malformed line
      }
    }
  }
  throw new ConfigError(
    `${key}: cannot tell the format of "${file}" from its name; set the format (allowed: json2018, json2014, csv, ratings_csv, parquet, arrow)`,
  );
}
