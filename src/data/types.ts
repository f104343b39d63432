/**
 * The processed-dataset contract shared by `prepare` (writer) and training/eval (readers).
 * A processed folder holds `manifest.json`, `vocab.json` and one Arrow IPC file per split
 * (`train.arrow`, `valid.arrow`, `test.arrow`) with every domain's rows and a `domain` column.
 */

/** Paper domain ids and display names (spec §1). */
export const PAPER_DOMAINS = ['Amazon Fashion', 'Digital Music', 'Musical Instruments', 'Gift Cards', 'All Beauty'] as const;

export const SPLITS = ['train', 'valid', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** Number of history slots; id 0 pads unused slots. */
export const HISTORY_LEN = 5;
/** Price buckets for the ID baselines (uniform bins over the min..max price of all rows). */
export const PRICE_BUCKETS = 100;

export interface SplitCounts {
  rows: number;
  positives: number;
}

export interface ManifestDomain {
  /** Display name, e.g. "Gift Cards". */
  name: string;
  /** Index of this domain in `manifest.domains` (the `domain_id` column). */
  id: number;
  splits: Record<SplitName, SplitCounts>;
  /**
   * Exact duplicate review rows found in this domain's input (copies beyond the first of a
   * user, item, rating and time), before any other drop; removed when `data.dedupe` is true.
   */
  exact_duplicates: number;
}

export interface Manifest {
  schema_version: number;
  created_at: string;
  /** sha256 of what decides the content (src/data/fingerprint.ts); compared on every open. */
  config_hash: string;
  /** Resolved data config that produced the folder. */
  config: unknown;
  /** Source files: path as configured, absolute path, content sha256, size, modification time. */
  sources: { path: string; file: string; sha256: string; bytes: number; mtime_ms: number }[];
  domains: ManifestDomain[];
  /** Sizes of the id spaces, including the reserved id 0 (padding/unknown). */
  vocab_sizes: { user: number; item: number; brand: number; title: number; price_bucket: number };
  /** `rows_with_price`: rows whose metadata gave a price (0: every price is the fill value). */
  price: { global_mean: number; min: number; max: number; rows_with_price: number };
  template: { name: string; text: string };
  files: Record<SplitName, string>;
}

/**
 * Arrow columns of each split file, in this order:
 * row_id int32 (0-based within the split), domain utf8, domain_id int32, user_id int32,
 * item_id int32, brand_id int32, title_id int32, price float64, price_bucket int32,
 * history_item_ids list<int32> (up to 5, oldest first), label int8 (0/1), rating float64,
 * unix_time int64 (seconds), title utf8, brand utf8, prompt utf8.
 */
export interface SplitColumns {
  rows: number;
  rowId: Int32Array;
  domain: string[];
  domainId: Int32Array;
  userId: Int32Array;
  itemId: Int32Array;
  brandId: Int32Array;
  titleId: Int32Array;
  price: Float64Array;
  priceBucket: Int32Array;
  /** rows × HISTORY_LEN item ids, oldest first, right-padded with 0. */
  history: Int32Array;
  label: Uint8Array;
  rating: Float64Array;
  unixTime: Float64Array;
  title: string[];
  brand: string[];
  prompt: string[];
}
