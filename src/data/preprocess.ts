/**
 * Paper preprocessing in DuckDB (spec §1): join with metadata, blanks → `unknown`, label,
 * 3-star rule, joint integer ids, price parse + global-mean fill, price buckets. The result is
 * fetched into typed arrays in the global processing order (unixReviewTime, domain order,
 * source order, input order), which the history pass and the split rely on.
 */
import type { DataConfig } from './schema.js';
import { PRICE_BUCKETS } from './types.js';
import type { Duck } from './readers/duck.js';

export const UNKNOWN = 'unknown';

/** All retained rows in global order, before history and the prompt-length filter. */
export interface Rows {
  n: number;
  domainId: Int32Array;
  userId: Int32Array;
  itemId: Int32Array;
  brandId: Int32Array;
  titleId: Int32Array;
  /** Index into `priceTexts`. */
  priceTextId: Int32Array;
  /** Index into `vocab.description` (0 = none). */
  descriptionId: Int32Array;
  price: Float64Array;
  priceBucket: Int32Array;
  label: Uint8Array;
  rating: Float64Array;
  unixTime: Float64Array;
  /** Position in the input: source index · 2^32 + record index (new rows are scored in this order). */
  inputOrder: Float64Array;
}

/**
 * Output ids for rows scored against a trained run: local id → the run's id (0, the
 * out-of-vocabulary id, when the run never saw the string). Absent when a dataset is prepared.
 */
export interface IdRemap {
  domain: Int32Array;
  user: Int32Array;
  item: Int32Array;
  brand: Int32Array;
  title: Int32Array;
}

/** A trained run's price rule: fill value for rows without a price and the bucket range. */
export interface PriceRule {
  global_mean: number;
  min: number;
  max: number;
}

/** id → string tables; index 0 is the reserved padding/unknown entry. */
export interface Vocab {
  user: string[];
  item: string[];
  brand: string[];
  title: string[];
  /** Raw metadata descriptions (not written to vocab.json; cleaned when prompts are built). */
  description: string[];
}

export interface Preprocessed {
  rows: Rows;
  vocab: Vocab;
  priceTexts: string[];
  price: { global_mean: number; min: number; max: number; rows_with_price: number };
  /** Set for new rows scored against a trained run (see IdRemap). */
  remap?: IdRemap;
}

/**
 * Count exact duplicate review rows per domain (copies beyond the first of each (domain, user,
 * item, rating, time)) and, with `data.dedupe`, remove them from `reviews_all`.
 * @returns copies per domain id (domains without copies are absent)
 */
export async function dedupeReviews(duck: Duck, cfg: DataConfig): Promise<Map<number, number>> {
  await duck.exec(`CREATE TABLE dup_rank AS
    SELECT src, ord, domain_id, row_number() OVER (PARTITION BY domain_id, "user", item, rating, t ORDER BY src, ord) AS k FROM reviews_all`);
  const counts = await duck.rows(`SELECT domain_id, count(*) AS n FROM dup_rank WHERE k > 1 GROUP BY domain_id`);
  if (cfg.dedupe) {
    await duck.exec(`DELETE FROM reviews_all r USING dup_rank d WHERE d.k > 1 AND d.src = r.src AND d.ord = r.ord`);
  }
  await duck.exec(`DROP TABLE dup_rank`);
  return new Map(counts.map((c) => [Number(c.domain_id), Number(c.n)]));
}

/**
 * Build table `rows_final` from `reviews_all` and `meta_all`. Metadata rows are deduplicated per
 * (source, item), first row wins. With `price` (a trained run's rule) missing prices take the
 * run's fill value and buckets the run's range instead of this data's own.
 */
export async function buildRows(duck: Duck, cfg: DataConfig, price?: PriceRule): Promise<void> {
  const num = (x: number) => `CAST('${x}' AS DOUBLE)`;
  // Blank = empty or only ASCII whitespace (space, tab, newline, CR, form feed).
  const isBlank = (c: string) => `m.${c} IS NULL OR regexp_matches(m.${c}, '^[ \\t\\n\\r\\f]*$')`;
  const blank = (c: string) => `CASE WHEN ${isBlank(c)} THEN '${UNKNOWN}' ELSE m.${c} END`;
  // A title that starts with an HTML tag is page markup scraped into the field (2018 Magazine
  // Subscriptions: '<span class="a-size-medium a-color-secondary"'), not a title: missing.
  const title = `CASE WHEN ${isBlank('title')} OR regexp_matches(m.title, '^[ \\t\\n\\r\\f]*<[A-Za-z!/]') THEN '${UNKNOWN}' ELSE m.title END`;
  const sql = `
    CREATE TABLE meta_first AS
      SELECT * FROM meta_all QUALIFY row_number() OVER (PARTITION BY src, item ORDER BY mord) = 1;
    CREATE TABLE joined AS
      SELECT r.domain_id, r.src, r.ord, r."user", r.item, r.rating, r.t,
             ${title} AS title, ${blank('brand')} AS brand, m.price_text,
             CASE WHEN ${isBlank('description')} THEN NULL ELSE m.description END AS description,
             CAST(r.rating > 3 AS TINYINT) AS label
      FROM reviews_all r LEFT JOIN meta_first m ON m.src = r.src AND m.item = r.item
      WHERE ${cfg.join === 'inner' ? 'm.item IS NOT NULL' : 'TRUE'}
        AND ${cfg.three_star === 'drop' ? 'r.rating <> 3' : 'TRUE'};
    DROP TABLE reviews_all; DROP TABLE meta_all; DROP TABLE meta_first;
    CREATE TABLE v_user AS SELECT k, CAST(row_number() OVER (ORDER BY k) AS INTEGER) AS id FROM (SELECT DISTINCT "user" AS k FROM joined);
    CREATE TABLE v_item AS SELECT k, CAST(row_number() OVER (ORDER BY k) AS INTEGER) AS id FROM (SELECT DISTINCT item AS k FROM joined);
    CREATE TABLE v_brand AS SELECT k, CAST(row_number() OVER (ORDER BY k) AS INTEGER) AS id FROM (SELECT DISTINCT brand AS k FROM joined WHERE brand <> '${UNKNOWN}');
    CREATE TABLE v_title AS SELECT k, CAST(row_number() OVER (ORDER BY k) AS INTEGER) AS id FROM (SELECT DISTINCT title AS k FROM joined WHERE title <> '${UNKNOWN}');
    CREATE TABLE v_desc AS SELECT k, CAST(row_number() OVER (ORDER BY k) AS INTEGER) AS id FROM (SELECT DISTINCT description AS k FROM joined WHERE description IS NOT NULL);
    CREATE TABLE price_stats AS
      SELECT ${price ? num(price.global_mean) : 'coalesce(avg(TRY_CAST(price_text AS DOUBLE)), 0)'} AS mean, count(TRY_CAST(price_text AS DOUBLE)) AS priced FROM joined;
    CREATE TABLE v_price AS
      SELECT k, CAST(row_number() OVER (ORDER BY k) - 1 AS INTEGER) AS id FROM (
        SELECT DISTINCT coalesce(j.price_text, printf('%.2f', (SELECT mean FROM price_stats))) AS k FROM joined j);
    CREATE TABLE priced AS
      SELECT j.*, coalesce(TRY_CAST(j.price_text AS DOUBLE), (SELECT mean FROM price_stats)) AS price,
             coalesce(j.price_text, printf('%.2f', (SELECT mean FROM price_stats))) AS price_display
      FROM joined j;
    DROP TABLE joined;
    CREATE TABLE price_range AS SELECT ${price ? `${num(price.min)} AS lo, ${num(price.max)} AS hi` : 'coalesce(min(price), 0) AS lo, coalesce(max(price), 0) AS hi FROM priced'};
    CREATE TABLE rows_final AS
      SELECT p.domain_id, p.src, p.ord, p.t, p.rating, p.label, p.price,
             u.id AS user_id, i.id AS item_id, coalesce(b.id, 0) AS brand_id, coalesce(ti.id, 0) AS title_id,
             vp.id AS price_text_id, coalesce(vd.id, 0) AS desc_id,
             CAST(CASE WHEN r.hi <= r.lo THEN 1
                  ELSE greatest(1, least(${PRICE_BUCKETS}, 1 + floor((p.price - r.lo) / (r.hi - r.lo) * ${PRICE_BUCKETS}))) END AS INTEGER) AS price_bucket
      FROM priced p CROSS JOIN price_range r
      JOIN v_user u ON u.k = p."user" JOIN v_item i ON i.k = p.item
      LEFT JOIN v_brand b ON b.k = p.brand LEFT JOIN v_title ti ON ti.k = p.title LEFT JOIN v_desc vd ON vd.k = p.description
      JOIN v_price vp ON vp.k = p.price_display;
    DROP TABLE priced;
  `;
  for (const stmt of sql.split(/;\s*\n/)) if (stmt.trim()) await duck.exec(stmt);
}

/** Fetch a vocabulary table as an id-indexed array (index 0 = `fill`). */
async function fetchVocab(duck: Duck, table: string, fill: string | null): Promise<string[]> {
  const res = await duck.conn.stream(`SELECT k, id FROM ${table} ORDER BY id`);
  const out: string[] = fill === null ? [] : [fill];
  for (;;) {
    const chunk = await res.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const ks = chunk.getColumnValues(0) as string[];
    for (const k of ks) out.push(k);
  }
  return out;
}

export async function fetchRows(duck: Duck): Promise<Preprocessed> {
  const n = Number((await duck.one(`SELECT count(*) AS n FROM rows_final`))!.n);
  const rows: Rows = {
    n,
    domainId: new Int32Array(n),
    userId: new Int32Array(n),
    itemId: new Int32Array(n),
    brandId: new Int32Array(n),
    titleId: new Int32Array(n),
    priceTextId: new Int32Array(n),
    descriptionId: new Int32Array(n),
    price: new Float64Array(n),
    priceBucket: new Int32Array(n),
    label: new Uint8Array(n),
    rating: new Float64Array(n),
    unixTime: new Float64Array(n),
    inputOrder: new Float64Array(n),
  };
  const res = await duck.conn.stream(
    `SELECT domain_id, user_id, item_id, brand_id, title_id, price_text_id, desc_id, price, price_bucket, label, rating, CAST(t AS DOUBLE),
            CAST(src AS DOUBLE) * 4294967296 + CAST(ord AS DOUBLE)
     FROM rows_final ORDER BY t, domain_id, src, ord`,
  );
  const targets = [rows.domainId, rows.userId, rows.itemId, rows.brandId, rows.titleId, rows.priceTextId, rows.descriptionId, rows.price, rows.priceBucket, rows.label, rows.rating, rows.unixTime, rows.inputOrder];
  let off = 0;
  for (;;) {
    const chunk = await res.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (let c = 0; c < targets.length; c++) {
      const vals = chunk.getColumnValues(c) as number[];
      targets[c]!.set(vals, off);
    }
    off += chunk.rowCount;
  }
  const stats = (await duck.one(`SELECT (SELECT mean FROM price_stats) AS mean, (SELECT priced FROM price_stats) AS priced, lo, hi FROM price_range`))!;
  return {
    rows,
    vocab: {
      user: await fetchVocab(duck, 'v_user', ''),
      item: await fetchVocab(duck, 'v_item', ''),
      brand: await fetchVocab(duck, 'v_brand', UNKNOWN),
      title: await fetchVocab(duck, 'v_title', UNKNOWN),
      description: await fetchVocab(duck, 'v_desc', ''),
    },
    priceTexts: await fetchVocab(duck, 'v_price', null),
    price: { global_mean: Number(stats.mean), min: Number(stats.lo), max: Number(stats.hi), rows_with_price: Number(stats.priced) },
  };
}
