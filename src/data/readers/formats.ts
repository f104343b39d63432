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

export const AMAZON_META_COLUMNS: MetaColumns = { item: 'asin', title: 'title', brand: 'brand', price: 'price' };

function stem(file: string): string {
  const lower = file.toLowerCase();
  return lower.endsWith('.gz') ? lower.slice(0, -3) : lower;
}

/** Resolve `auto` from the file name and, for JSON, from the first line (JSON vs Python literal). */
export async function detectFormat(file: string, declared: SourceFormat, key: string): Promise<ConcreteFormat> {
  if (declared !== 'auto') return declared;
  const ext = path.extname(stem(file));
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
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
    `${key}: cannot tell the format of "${file}" from its name; set the format (allowed: json2018, json2014, csv, parquet, arrow)`,
  );
}
