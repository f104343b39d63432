/**
 * Load one configured source (reviews + optional metadata) into the DuckDB tables `reviews_all`
 * and `meta_all` with canonical columns, validating on the way. Every problem is a DataError that
 * names the file, the line (JSON) or data row (tables), and what was expected.
 */
import { promises as fsp, createWriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { tableFromIPC } from 'apache-arrow';
import { DataError, ConfigError } from '../../util/errors.js';
import type { MetaColumns, ReviewColumns, SourceConfig } from '../schema.js';
import { Duck, ident, lit } from './duck.js';
import { decodeHTML } from 'entities';
import { log } from '../../util/log.js';
import { AMAZON_META_COLUMNS, AMAZON_REVIEW_COLUMNS, RATINGS_CSV_COLUMNS, RATINGS_CSV_FIELDS, detectFormat, type ConcreteFormat } from './formats.js';
import { checkReadable, findCsvProblem, findInvalidUtf8Line, findMalformedJsonLine, lineOfRecord, readLines } from './text_lines.js';
import { parsePyLiteral } from './py_literal.js';
import { paperNameFor } from '../domains.js';

export const CREATE_TABLES_SQL = `
CREATE TABLE reviews_all (src INTEGER, domain_id INTEGER, ord BIGINT, "user" VARCHAR, item VARCHAR, rating DOUBLE, t BIGINT);
CREATE TABLE meta_all (src INTEGER, mord BIGINT, item VARCHAR, title VARCHAR, brand VARCHAR, price_text VARCHAR, description VARCHAR, dom VARCHAR);
`;

/** Mutable domain registry: fixed by config `domains`, or grown in order of first appearance. */
export class DomainRegistry {
  readonly names: string[];
  constructor(fixed: string[] | undefined) {
    this.names = fixed ? [...fixed] : [];
    this.fixed = fixed !== undefined;
  }
  private readonly fixed: boolean;
  /** True when the config lists the domains (`data.domains`). */
  get isFixed(): boolean {
    return this.fixed;
  }

  /** Domain id of `name`; `where` locates the name for the error message. */
  idOf(name: string, where: string): number {
    const suggestion = paperNameFor(name);
    if (suggestion) {
      throw new DataError(`${where}: unknown domain "${name}": paper domains must use the display name "${suggestion}"`);
    }
    let id = this.names.indexOf(name);
    if (id < 0) {
      if (this.fixed) {
        throw new DataError(`${where}: unknown domain "${name}" (expected one of the configured domains: ${this.names.map((n) => `"${n}"`).join(', ')})`);
      }
      this.names.push(name);
      id = this.names.length - 1;
    }
    return id;
  }
}

interface LoadContext {
  duck: Duck;
  tmpDir: string;
  src: number;
  /** The config file and the key path of this source in it, e.g. `data.sources.2`. */
  configFile: string;
  key: string;
  domains: DomainRegistry;
  /** `data.rating_range` and `data.on_bad_row`. */
  rules: { ratingRange: readonly [number, number]; onBadRow: 'error' | 'skip' };
}

/**
 * Records of `table` where `cond` holds are bad rows: the first is a located error, or with
 * `data.on_bad_row: skip` all of them are removed (or `fix` is applied) with one counted warning.
 */
async function badRows(
  ctx: LoadContext,
  file: string,
  format: ConcreteFormat,
  table: string,
  cond: string,
  value: string,
  describe: (v: unknown) => string,
  skipped: string,
  fix?: string,
): Promise<void> {
  const first = await firstWhere(ctx.duck, table, cond, `${value} AS v`);
  if (!first) return;
  if (ctx.rules.onBadRow === 'error') {
    throw new DataError(`${await where(file, format, Number(first.rid))}: ${describe(first.v)} (or set data.on_bad_row: skip)`);
  }
  const n = Number((await duck1(ctx, `SELECT count(*) AS n FROM ${table} WHERE ${cond}`)).n);
  await ctx.duck.exec(fix ? `UPDATE ${table} SET ${fix} WHERE ${cond}` : `DELETE FROM ${table} WHERE ${cond}`);
  log.warn(`${file}: ${n} ${skipped} (data.on_bad_row: skip)`);
}

function isJson(f: ConcreteFormat): boolean {
  return f === 'json2018' || f === 'json2014';
}

/** Human location of a data record (0-based index in file order). */
async function where(file: string, format: ConcreteFormat, index: number): Promise<string> {
  if (isJson(format)) return `${file}:${await lineOfRecord(file, index)}`;
  if (format === 'ratings_csv') return `${file}:${index + 1}`; // no header: record k is line k + 1 (no quoted newlines in these files)
  return `${file}: data row ${index + 1}`;
}

/** Map DuckDB failures while scanning a file to DataErrors that name the file and line. */
async function scanErrors<T>(file: string, format: ConcreteFormat, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DataError || e instanceof ConfigError) throw e;
    const msg = (e as Error).message ?? String(e);
    // DuckDB counts this line differently (one past it); find it here.
    if (/UTF-?8|unicode/i.test(msg)) {
      const line = await findInvalidUtf8Line(file);
      if (line !== null) throw new DataError(`${file}:${line}: invalid UTF-8 in ${what} file (expected UTF-8 text)`);
    }
    if (isJson(format) && /JSON/i.test(msg)) {
      const bad = await findMalformedJsonLine(file);
      if (bad) throw new DataError(`${file}:${bad.line}: malformed JSON line in ${what} file (expected one JSON object per line): ${bad.reason}`);
    }
    if (format === 'csv' || format === 'ratings_csv') {
      const bad = await findCsvProblem(file, csvDelimiter(file));
      if (bad) throw new DataError(`${file}:${bad.line}: malformed CSV record in ${what} file: ${bad.reason}`);
    }
    throw new DataError(`${file}: cannot read ${what} file as ${format}: ${msg.split('\n')[0]}`);
  }
}

/** Tab for `.tsv`, comma otherwise; quoting is RFC 4180 (`"`, doubled to escape). */
function csvDelimiter(file: string): string {
  return /\.tsv(\.gz)?$/i.test(file) ? '\t' : ',';
}

/** Columns present in a table-like source (CSV/Parquet) or the created raw table. */
async function columnsOf(duck: Duck, relation: string): Promise<string[]> {
  const rows = await duck.rows(`DESCRIBE SELECT * FROM ${relation}`);
  return rows.map((r) => String(r.column_name));
}

/** Create table `name` with the given VARCHAR columns from an Arrow IPC file. */
async function arrowToTable(duck: Duck, file: string, name: string, wanted: string[], what: string): Promise<void> {
  let table;
  try {
    table = tableFromIPC(await fsp.readFile(file));
  } catch (e) {
    throw new DataError(`${file}: cannot read ${what} file as Arrow IPC: ${(e as Error).message}`);
  }
  const have = table.schema.fields.map((f) => f.name);
  const missing = wanted.filter((w) => !have.includes(w));
  if (missing.length > 0) {
    throw new DataError(`${file}: missing column ${missing.map((m) => `"${m}"`).join(', ')} in ${what} file (found: ${have.join(', ')})`);
  }
  await duck.exec(`CREATE TABLE ${name} (${wanted.map((w) => `${ident(w)} VARCHAR`).join(', ')})`);
  const app = await duck.conn.createAppender(name);
  const cols = wanted.map((w) => table.getChild(w)!);
  for (let r = 0; r < table.numRows; r++) {
    for (const c of cols) {
      const v: unknown = c.get(r);
      if (v === null || v === undefined) app.appendNull();
      else app.appendVarchar(typeof v === 'bigint' ? v.toString() : String(v));
    }
    app.endRow();
  }
  app.closeSync();
}

/**
 * Materialise the raw columns `wanted` (source names) of a file as table `name`, in file order
 * (insertion order is preserved, so `rowid` is the record index). JSON keys listed in `jsonTyped`
 * keep their JSON type (to tell `"$1.00"` strings from numbers).
 */
async function rawTable(
  ctx: LoadContext,
  file: string,
  format: ConcreteFormat,
  name: string,
  wanted: string[],
  what: string,
  jsonTyped: string[] = [],
): Promise<void> {
  const { duck } = ctx;
  await scanErrors(file, format, what, async () => {
    if (isJson(format)) {
      const cols = wanted.map((w) => `${lit(w)}: '${jsonTyped.includes(w) ? 'JSON' : 'VARCHAR'}'`).join(', ');
      await duck.exec(
        `CREATE TABLE ${name} AS SELECT * FROM read_json(${lit(file)}, format='newline_delimited', columns={${cols}}, maximum_object_size=67108864)`,
      );
      return;
    }
    if (format === 'arrow') return arrowToTable(duck, file, name, wanted, what);
    const fields = RATINGS_CSV_FIELDS.map((f) => `${lit(f)}: 'VARCHAR'`).join(', ');
    const rel =
      format === 'csv'
        ? `read_csv(${lit(file)}, header=true, all_varchar=true, delim=${lit(csvDelimiter(file))}, quote='"', escape='"', sample_size=-1)`
        : format === 'ratings_csv'
          ? `read_csv(${lit(file)}, header=false, columns={${fields}}, delim=',', quote='"', escape='"')`
          : `read_parquet(${lit(file)})`;
    const have = await columnsOf(duck, rel);
    const empty = Number((await duck.one(`SELECT count(*) AS n FROM ${rel}`))!.n);
    if (empty === 0) throw new DataError(`${file}: empty ${what} file (expected a header and data rows with columns ${wanted.map((w) => `"${w}"`).join(', ')})`);
    const missing = wanted.filter((w) => !have.includes(w));
    if (missing.length > 0) {
      throw new DataError(`${file}: missing column ${missing.map((m) => `"${m}"`).join(', ')} in ${what} file (found: ${have.join(', ')})`);
    }
    await duck.exec(`CREATE TABLE ${name} AS SELECT ${wanted.map((w) => `CAST(${ident(w)} AS VARCHAR) AS ${ident(w)}`).join(', ')} FROM ${rel}`);
  });
  const n = Number((await duck.one(`SELECT count(*) AS n FROM ${name}`))!.n);
  if (n === 0) throw new DataError(`${file}: empty ${what} file (expected at least one record)`);
}

/** First record (by file order) where `cond` holds, or null. */
async function firstWhere(duck: Duck, table: string, cond: string, cols: string): Promise<Record<string, unknown> | null> {
  const r = await duck.one(`SELECT rowid AS rid, ${cols} FROM ${table} WHERE ${cond} ORDER BY rowid LIMIT 1`);
  return r ?? null;
}

async function requireColumns(
  ctx: LoadContext,
  file: string,
  format: ConcreteFormat,
  table: string,
  required: [role: string, col: string][],
  what: string,
): Promise<void> {
  for (const [role, col] of required) {
    const c = await duck1(ctx, `SELECT count(${ident(col)}) AS n FROM ${table}`);
    if (Number(c.n) === 0) {
      throw new DataError(`${file}: missing column "${col}" (the ${role} column) in ${what} file: no record has it`);
    }
    const bad = await firstWhere(ctx.duck, table, `${ident(col)} IS NULL`, '1 AS x');
    if (bad) {
      throw new DataError(`${await where(file, format, Number(bad.rid))}: missing "${col}" (the ${role} column) in ${what} record`);
    }
  }
}

async function duck1(ctx: LoadContext, sql: string): Promise<Record<string, unknown>> {
  return (await ctx.duck.one(sql))!;
}

/** Convert a Python-literal (2014) metadata file to JSON lines that DuckDB can read. */
async function pyLiteralToJsonl(file: string, out: string): Promise<void> {
  const ws = createWriteStream(out);
  try {
    for await (const [n, line] of readLines(file)) {
      if (line.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        try {
          v = parsePyLiteral(line);
        } catch (e) {
          throw new DataError(`${file}:${n}: malformed metadata line (expected a JSON object or a Python-literal dict): ${(e as Error).message}`);
        }
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new DataError(`${file}:${n}: metadata line is not a dict`);
      }
      if (!ws.write(JSON.stringify(v) + '\n')) await once(ws, 'drain');
    }
  } finally {
    ws.end();
    await once(ws, 'close');
  }
}

/** Load a reviews file; returns how many records it holds (bad rows skipped included). */
export async function loadReviews(ctx: LoadContext, s: SourceConfig, file: string): Promise<number> {
  const { duck, src } = ctx;
  await checkReadable(file, 'reviews');
  const format = await detectFormat(file, s.format, `${ctx.configFile}: key "${ctx.key}.format"`);
  const cols: ReviewColumns = { ...(format === 'ratings_csv' ? RATINGS_CSV_COLUMNS : AMAZON_REVIEW_COLUMNS), ...s.columns };
  const wanted = [cols.user, cols.item, cols.rating, cols.time];
  if (s.domain_column) wanted.push(s.domain_column);
  const uniq = [...new Set(wanted)];
  const raw = `raw_r${src}`;
  await rawTable(ctx, file, format, raw, uniq, 'reviews');
  const records = Number((await duck1(ctx, `SELECT count(*) AS n FROM ${raw}`)).n);
  await requireColumns(
    ctx,
    file,
    format,
    raw,
    [
      ['user', cols.user],
      ['item', cols.item],
      ['rating', cols.rating],
      ['time', cols.time],
      ...(s.domain_column ? ([['domain', s.domain_column]] as [string, string][]) : []),
    ],
    'reviews',
  );
  const r = ident(cols.rating);
  const badRating = await firstWhere(duck, raw, `TRY_CAST(${r} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${r} AS DOUBLE))`, `${r} AS v`);
  if (badRating) {
    throw new DataError(
      `${await where(file, format, Number(badRating.rid))}: rating ${JSON.stringify(badRating.v)} in column "${cols.rating}" is not a number (expected a numeric star rating such as 4.0)`,
    );
  }
  const [lo, hi] = ctx.rules.ratingRange;
  await badRows(
    ctx,
    file,
    format,
    raw,
    `NOT (CAST(${r} AS DOUBLE) BETWEEN ${lo} AND ${hi})`,
    `CAST(${r} AS DOUBLE)`,
    (v) => `rating ${String(v)} in column "${cols.rating}" is outside data.rating_range [${lo}, ${hi}]`,
    `reviews whose rating is outside data.rating_range [${lo}, ${hi}] were dropped`,
  );
  const t = ident(cols.time);
  const badTime = await firstWhere(duck, raw, `TRY_CAST(${t} AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(${t} AS DOUBLE))`, `${t} AS v`);
  if (badTime) {
    throw new DataError(
      `${await where(file, format, Number(badTime.rid))}: time ${JSON.stringify(badTime.v)} in column "${cols.time}" is not a number (expected Unix seconds)`,
    );
  }
  let domainExpr: string;
  if (s.domain_column) {
    const dc = ident(s.domain_column);
    const names = await duck.rows(`SELECT ${dc} AS d, min(rowid) AS rid FROM ${raw} GROUP BY ${dc} ORDER BY rid`);
    const ids: [string, number][] = [];
    for (const row of names) {
      const d = String(row.d);
      ids.push([d, ctx.domains.idOf(d, `${await where(file, format, Number(row.rid))} (column "${s.domain_column}")`)]);
    }
    domainExpr = `CASE ${dc} ${ids.map(([d, id]) => `WHEN ${lit(d)} THEN ${id}`).join(' ')} END`;
  } else if (s.domain_from) {
    await insertWithMetaDomain(ctx, s, file, raw, cols);
    return records;
  } else {
    domainExpr = String(ctx.domains.idOf(s.domain!, `${ctx.configFile}: key "${ctx.key}.domain"`));
  }
  await duck.exec(
    `INSERT INTO reviews_all SELECT ${src}, ${domainExpr}, rowid, ${ident(cols.user)}, ${ident(cols.item)}, CAST(${r} AS DOUBLE), CAST(round(CAST(${t} AS DOUBLE)) AS BIGINT) FROM ${raw};
     DROP TABLE ${raw};`,
  );
  return records;
}

/** `domain_from` label of a source: `category[1]`. */
function fieldLabel(s: SourceConfig): string {
  const f = s.domain_from!;
  return f.index === undefined ? f.field : `${f.field}[${f.index}]`;
}

/**
 * `domain_from`: each review takes the domain of its item's first metadata row (loadMeta put the
 * raw value in meta_all.dom). Values are HTML-entity decoded (`Arts &amp; Crafts` is
 * `Arts & Crafts`). Reviews whose item has no value, or a value outside `data.domains`, are
 * dropped and counted.
 */
async function insertWithMetaDomain(ctx: LoadContext, s: SourceConfig, file: string, raw: string, cols: ReviewColumns): Promise<void> {
  const { duck, src } = ctx;
  const md = `meta_dom_${src}`;
  await duck.exec(`CREATE TABLE ${md} AS SELECT item, dom FROM meta_all WHERE src = ${src} QUALIFY row_number() OVER (PARTITION BY item ORDER BY mord) = 1`);
  const values = await duck.rows(`SELECT dom AS d, min(rowid) AS o FROM ${md} WHERE dom IS NOT NULL GROUP BY dom ORDER BY o`);
  const ids: [string, number][] = [];
  for (const v of values) {
    const name = decodeHTML(String(v.d)).trim();
    if (name === '') continue;
    if (ctx.domains.isFixed && !ctx.domains.names.includes(name)) continue;
    ids.push([String(v.d), ctx.domains.idOf(name, `${s.meta} (metadata ${fieldLabel(s)} "${name}")`)]);
  }
  const domainExpr = ids.length === 0 ? 'NULL' : `CASE m.dom ${ids.map(([d, id]) => `WHEN ${lit(d)} THEN ${id}`).join(' ')} END`;
  const total = Number((await duck.one(`SELECT count(*) AS n FROM ${raw}`))!.n);
  const r = ident(cols.rating);
  const t = ident(cols.time);
  await duck.exec(
    `INSERT INTO reviews_all
       SELECT ${src}, ${domainExpr}, r.rowid, r.${ident(cols.user)}, r.${ident(cols.item)}, CAST(r.${r} AS DOUBLE), CAST(round(CAST(r.${t} AS DOUBLE)) AS BIGINT)
       FROM ${raw} r JOIN ${md} m ON m.item = r.${ident(cols.item)}
       WHERE ${domainExpr} IS NOT NULL;
     DROP TABLE ${raw}; DROP TABLE ${md};`,
  );
  const kept = Number((await duck.one(`SELECT count(*) AS n FROM reviews_all WHERE src = ${src}`))!.n);
  if (kept < total) {
    log.info(
      `${file}: ${total - kept} of ${total} reviews dropped: their item has no metadata ${fieldLabel(s)}${ctx.domains.isFixed ? ' or its value is not in data.domains' : ''}`,
    );
  }
}

/** Price text as written, for values that count as numbers: JSON numbers, plain numbers in tables, `$12.99` strings. */
function priceExpr(col: string, jsonTyped: boolean): string {
  const dollar = `'^\\$([0-9]+(\\.[0-9]+)?|[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]+)?)$'`;
  const strip = (e: string) => `replace(replace(${e}, '$', ''), ',', '')`;
  if (jsonTyped) {
    const s = `trim(${col} ->> '$')`;
    return `CASE WHEN json_type(${col}) IN ('DOUBLE', 'BIGINT', 'UBIGINT') THEN CAST(${col} AS VARCHAR)
                 WHEN json_type(${col}) = 'VARCHAR' AND regexp_matches(${s}, ${dollar}) THEN ${strip(s)} END`;
  }
  const s = `trim(${col})`;
  return `CASE WHEN regexp_matches(${s}, '^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$') THEN ${s}
               WHEN regexp_matches(${s}, ${dollar}) THEN ${strip(s)} END`;
}

export async function loadMeta(ctx: LoadContext, s: SourceConfig, file: string): Promise<void> {
  const { duck, src } = ctx;
  await checkReadable(file, 'metadata');
  let format = await detectFormat(file, s.meta_format, `${ctx.configFile}: key "${ctx.key}.meta_format"`);
  const defaults = isJson(format) ? AMAZON_META_COLUMNS : { ...AMAZON_META_COLUMNS, description: null };
  const cols: MetaColumns = { ...defaults, ...(s.meta_columns as Partial<MetaColumns>) };
  let readFrom = file;
  if (format === 'json2014') {
    readFrom = path.join(ctx.tmpDir, `meta_${src}.jsonl`);
    await pyLiteralToJsonl(file, readFrom);
    format = 'json2018';
  }
  const domField = s.domain_from?.field ?? null;
  const optional = [cols.title, cols.brand, cols.price, cols.description, domField].filter((c): c is string => c !== null);
  const wanted = [...new Set([cols.item, ...optional])];
  const raw = `raw_m${src}`;
  const json = isJson(format);
  // JSON values that may be lists or numbers are read as JSON and converted below.
  const jsonTyped = json ? [cols.price, cols.description, domField].filter((c): c is string => c !== null) : [];
  await rawTable(ctx, readFrom, format, raw, wanted, 'metadata', jsonTyped);
  // Errors must name the user's file, not the converted copy; line numbers are the same.
  const required: [string, string][] = [['item', cols.item]];
  if (cols.title) required.push(['title', cols.title]);
  for (const [role, col] of required) {
    const c = await duck1(ctx, `SELECT count(${ident(col)}) AS n FROM ${raw}`);
    if (Number(c.n) === 0) {
      throw new DataError(
        `${file}: missing column "${col}" (the ${role} column) in metadata file: no record has it${role === 'title' ? ` (set meta_columns.title: null if the source has no titles)` : ''}`,
      );
    }
  }
  const badItem = await firstWhere(duck, raw, `${ident(cols.item)} IS NULL`, '1 AS x');
  if (badItem) throw new DataError(`${await where(file, format, Number(badItem.rid))}: missing "${cols.item}" (the item column) in metadata record`);
  const title = cols.title ? ident(cols.title) : 'NULL';
  const brand = cols.brand ? ident(cols.brand) : 'NULL';
  const price = cols.price ? priceExpr(ident(cols.price), json) : 'NULL';
  if (cols.price) {
    // A number too large for a double (1e999) reads as Infinity and would poison the mean price.
    const pc = ident(cols.price);
    await badRows(
      ctx,
      file,
      format,
      raw,
      `NOT isfinite(TRY_CAST(${price} AS DOUBLE))`,
      `CAST(${pc} AS VARCHAR)`,
      (v) => `price ${String(v)} in column "${cols.price}" is not a finite number`,
      `metadata records with a non-finite price were kept with the price unknown`,
      `${pc} = NULL`,
    );
  }
  const description = cols.description ? textExpr(ident(cols.description), json, null) : 'NULL';
  const dom = domField ? textExpr(ident(domField), json, s.domain_from!.index ?? null) : 'NULL';
  if (domField && !json && s.domain_from!.index !== undefined) {
    throw new ConfigError(`${ctx.configFile}: key "${ctx.key}.domain_from.index": only JSON metadata has list fields; omit "index" for a table column`);
  }
  await duck.exec(
    `INSERT INTO meta_all SELECT ${src}, rowid, ${ident(cols.item)}, ${title}, ${brand}, ${price}, ${description}, ${dom} FROM ${raw};
     DROP TABLE ${raw};`,
  );
}

/**
 * A text field as one string: JSON strings as they are, JSON lists of strings joined by a space
 * (2018 `description`), or with `index` the list element at that 0-based position (2018
 * `category`); anything else is NULL. Table columns are used as they are.
 */
function textExpr(col: string, jsonTyped: boolean, index: number | null): string {
  if (!jsonTyped) return `CAST(${col} AS VARCHAR)`;
  if (index !== null) return `CASE WHEN json_type(${col}) = 'ARRAY' THEN json_extract_string(${col}, '$[${index}]') END`;
  return `CASE json_type(${col})
            WHEN 'VARCHAR' THEN ${col} ->> '$'
            WHEN 'ARRAY' THEN array_to_string(list_filter(from_json(${col}, '["VARCHAR"]'), x -> x IS NOT NULL AND trim(x) <> ''), ' ')
          END`;
}
