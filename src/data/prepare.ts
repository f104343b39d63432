/**
 * `prepare`: raw sources → processed dataset folder (train/valid/test.arrow, manifest.json,
 * vocab.json). The folder is built in a temp sibling and renamed into place, so a failure leaves
 * nothing behind.
 */
import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteDir } from '../util/fs.js';
import { onInterrupt } from '../util/interrupt.js';
import { ConfigError, DataError } from '../util/errors.js';
import { log } from '../util/log.js';
import { loadDataConfig, type LoadedDataConfig } from './config_load.js';
import { Duck } from './readers/duck.js';
import { CREATE_TABLES_SQL, DomainRegistry, loadMeta, loadReviews } from './readers/read_source.js';
import { buildRows, dedupeReviews, fetchRows, UNKNOWN, type Preprocessed, type PriceRule } from './preprocess.js';
import { cleanText, excerpt } from './prompt/text_clean.js';
import { buildHistory } from './history.js';
import { dataFingerprint } from './fingerprint.js';
import { splitRows } from './split.js';
import { verbalize, type PromptFields } from './prompt/verbalize.js';
import { SCHEMA_VERSION, writeSplitFile, type SplitBatch } from './arrow_io.js';
import { HISTORY_LEN, PRICE_BUCKETS, SPLITS, type Manifest, type SplitName } from './types.js';

const BATCH_ROWS = 65536;
const PROFILE = process.env.UNICTR_PROFILE === '1';
let stageStart = 0;
/** `UNICTR_PROFILE=1`: stage wall times on stderr. */
function stage(name: string): void {
  const now = performance.now();
  if (PROFILE && stageStart > 0) process.stderr.write(`[prepare ${((now - stageStart) / 1000).toFixed(2)}s] ${name}\n`);
  stageStart = now;
}

export interface PrepareOptions {
  config: string;
  out: string;
  sets?: readonly string[];
}

/** Builds prompts for row indices; one mutable field object avoids per-row allocation. */
export class PromptMaker {
  private readonly f: PromptFields;
  private readonly titles: string[] = [];
  private readonly ids: number[] = [];
  /** Cleaned description excerpt per description id (0 and empty = `unknown`). */
  private readonly excerpts: string[];
  constructor(
    private readonly loaded: LoadedDataConfig,
    private readonly p: Preprocessed,
    private readonly hist: Int32Array,
    private readonly domains: string[],
  ) {
    this.f = {
      domain: '',
      domain_id: 0,
      user_id: 0,
      item_id: 0,
      title: '',
      brand: '',
      description: '',
      title_or_description: '',
      price: '',
      price_bucket: 0,
      brand_id: 0,
      title_id: 0,
      historyTitles: this.titles,
      historyItemIds: this.ids,
      historyMode: loaded.config.history,
    };
    this.excerpts = p.vocab.description.map((d, k) => (k === 0 ? UNKNOWN : excerpt(cleanText(d)) || UNKNOWN));
  }

  prompt(i: number): string {
    const { rows, vocab, priceTexts, remap } = this.p;
    const f = this.f;
    f.domain = this.domains[rows.domainId[i]!]!;
    const titleId = rows.titleId[i]!;
    f.title = vocab.title[titleId]!;
    f.brand = vocab.brand[rows.brandId[i]!]!;
    // Text comes from this data's own strings; the {..._id} fields are the ids the model sees.
    f.domain_id = remap ? remap.domain[rows.domainId[i]!]! : rows.domainId[i]!;
    f.user_id = remap ? remap.user[rows.userId[i]!]! : rows.userId[i]!;
    f.item_id = remap ? remap.item[rows.itemId[i]!]! : rows.itemId[i]!;
    f.title_id = remap ? remap.title[titleId]! : titleId;
    f.brand_id = remap ? remap.brand[rows.brandId[i]!]! : rows.brandId[i]!;
    f.description = this.excerpts[rows.descriptionId[i]!]!;
    f.title_or_description = titleId > 0 ? f.title : f.description;
    f.price = priceTexts[rows.priceTextId[i]!]!;
    f.price_bucket = rows.priceBucket[i]!;
    this.titles.length = 0;
    this.ids.length = 0;
    for (let k = 0; k < HISTORY_LEN; k++) {
      const h = this.hist[i * HISTORY_LEN + k]!;
      if (h < 0) break;
      this.ids.push(remap ? remap.item[rows.itemId[h]!]! : rows.itemId[h]!);
      this.titles.push(vocab.title[rows.titleId[h]!]!);
    }
    return verbalize(this.loaded.template, f);
  }
}

function* batchesOf(idx: Int32Array, p: Preprocessed, hist: Int32Array, maker: PromptMaker, domains: string[]): Generator<SplitBatch> {
  const { rows, vocab } = p;
  const id = (map: Int32Array | undefined, local: number) => (map ? map[local]! : local);
  const m = p.remap;
  for (let start = 0; start < idx.length || start === 0; start += BATCH_ROWS) {
    const end = Math.min(idx.length, start + BATCH_ROWS);
    const n = end - start;
    const b: SplitBatch = {
      rows: n,
      rowId: new Int32Array(n),
      domain: new Array<string>(n),
      domainId: new Int32Array(n),
      userId: new Int32Array(n),
      itemId: new Int32Array(n),
      brandId: new Int32Array(n),
      titleId: new Int32Array(n),
      price: new Float64Array(n),
      priceBucket: new Int32Array(n),
      historyOffsets: new Int32Array(n + 1),
      historyValues: new Int32Array(n * HISTORY_LEN),
      label: new Int8Array(n),
      rating: new Float64Array(n),
      unixTime: new BigInt64Array(n),
      title: new Array<string>(n),
      brand: new Array<string>(n),
      prompt: new Array<string>(n),
    };
    let hv = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[start + k]!;
      b.rowId[k] = start + k;
      b.domainId[k] = id(m?.domain, rows.domainId[i]!);
      b.domain[k] = domains[rows.domainId[i]!]!;
      b.userId[k] = id(m?.user, rows.userId[i]!);
      b.itemId[k] = id(m?.item, rows.itemId[i]!);
      b.brandId[k] = id(m?.brand, rows.brandId[i]!);
      b.titleId[k] = id(m?.title, rows.titleId[i]!);
      b.price[k] = rows.price[i]!;
      b.priceBucket[k] = rows.priceBucket[i]!;
      for (let j = 0; j < HISTORY_LEN; j++) {
        const h = hist[i * HISTORY_LEN + j]!;
        if (h < 0) break;
        b.historyValues[hv++] = id(m?.item, rows.itemId[h]!);
      }
      b.historyOffsets[k + 1] = hv;
      b.label[k] = rows.label[i]!;
      b.rating[k] = rows.rating[i]!;
      b.unixTime[k] = BigInt(rows.unixTime[i]!);
      b.title[k] = vocab.title[rows.titleId[i]!]!;
      b.brand[k] = vocab.brand[rows.brandId[i]!]!;
      b.prompt[k] = maker.prompt(i);
    }
    b.historyValues = b.historyValues.slice(0, hv);
    yield b;
    if (idx.length === 0) break;
  }
}

function vocabObject(list: string[], withZero: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = withZero ? 0 : 1; i < list.length; i++) out[list[i]!] = i;
  return out;
}

/**
 * A domain left without rows (every review 3-star, none joined, every prompt too long) cannot be
 * trained or scored: stop, naming it and where its rows went.
 */
function refuseEmptyDomains(loaded: LoadedDataConfig, names: string[], read: Map<number, number>, domainId: Int32Array, keep: number[]): void {
  const joined = new Array<number>(names.length).fill(0);
  const kept = new Array<number>(names.length).fill(0);
  for (const d of domainId) joined[d]!++;
  for (const i of keep) kept[domainId[i]!]!++;
  const id = kept.findIndex((k) => k === 0);
  if (id < 0) return;
  const c = loaded.config;
  throw new DataError(
    `${loaded.file}: domain "${names[id]}" has no rows left: ${read.get(id) ?? 0} reviews read${c.dedupe ? ' (exact duplicates removed)' : ''}, ` +
      `${joined[id]} after the ${c.join} join and the 3-star rule (three_star: ${c.three_star}), ${kept[id]} after the prompt-length limit (max_prompt_chars: ${c.max_prompt_chars})`,
  );
}

/** Run the whole pipeline; returns the manifest written to `out/manifest.json`. */
export async function prepareDataset(opts: PrepareOptions): Promise<Manifest> {
  return prepareFromConfig(loadDataConfig(opts.config, opts.sets ?? []), opts.out);
}

/** Rows after the whole preprocessing, before the split: what prepare writes and new data scores. */
export interface ProcessedSources {
  p: Preprocessed;
  /** n × HISTORY_LEN history row indices (-1: empty). */
  hist: Int32Array;
  maker: PromptMaker;
  /** Domain names by local domain id. */
  names: string[];
  /** Rows kept by the prompt-length limit, in the global order. */
  keep: Int32Array;
  /** Exact duplicate review rows per domain id. */
  duplicates: Map<number, number>;
  /** Reviews read per domain id (after dedupe). */
  read: Map<number, number>;
  /** Records in each source's reviews file, by source index (rows skipped as bad included). */
  records: number[];
}

export interface ProcessOptions {
  /** A trained run's price rule (fill value, bucket range); default: this data's own. */
  price?: PriceRule;
  /** Keep every row, also those over max_prompt_chars (scoring a file row by row). */
  keepLongPrompts?: boolean;
}

/**
 * Read the sources of `loaded` and apply the paper preprocessing: dedupe, join, label rule,
 * ids, prices, history, prompts and the prompt-length limit. `work` is a scratch folder.
 */
export async function processSources(loaded: LoadedDataConfig, work: string, opts: ProcessOptions = {}): Promise<ProcessedSources> {
  const { config } = loaded;
  const duck = await Duck.open(work);
  try {
    stage('start');
    await duck.exec(CREATE_TABLES_SQL);
    const domains = new DomainRegistry(config.domains);
    const records: number[] = [];
    for (const [i, s] of config.sources.entries()) {
      const rules = { ratingRange: config.rating_range, onBadRow: config.on_bad_row };
      const ctx = { duck, tmpDir: work, src: i, configFile: loaded.file, key: `data.sources.${i}`, domains, rules };
      // domain_from takes each review's domain from the metadata, so that is read first.
      if (s.meta && s.domain_from) await loadMeta(ctx, s, path.resolve(loaded.dir, s.meta));
      records.push(await loadReviews(ctx, s, path.resolve(loaded.dir, s.reviews)));
      if (s.meta && !s.domain_from) await loadMeta(ctx, s, path.resolve(loaded.dir, s.meta));
    }
    const names = domains.names;
    if (config.domains) {
      // Sources with a domain column may leave a configured domain without rows.
      const counts = await duck.rows(`SELECT domain_id, count(*) AS n FROM reviews_all GROUP BY domain_id`);
      const seen = new Set(counts.map((c) => Number(c.domain_id)));
      const missing = names.find((_, id) => !seen.has(id));
      if (missing) throw new ConfigError(`${loaded.file}: key "data.domains": domain "${missing}" has no review rows in any source`);
    }
    stage('read sources');
    const duplicates = await dedupeReviews(duck, config);
    const nDup = [...duplicates.values()].reduce((a, b) => a + b, 0);
    if (nDup > 0) {
      log.info(
        config.dedupe
          ? `removed ${nDup} exact duplicate review rows (same user, item, rating and time; set data.dedupe: false to keep them)`
          : `kept ${nDup} exact duplicate review rows (data.dedupe: false)`,
      );
    }
    const read = new Map((await duck.rows(`SELECT domain_id, count(*) AS n FROM reviews_all GROUP BY domain_id`)).map((c) => [Number(c.domain_id), Number(c.n)]));
    await buildRows(duck, config, opts.price);
    stage('join, ids, prices (SQL)');
    const p = await fetchRows(duck);
    stage('fetch rows');
    const { rows } = p;
    if (!opts.price && p.price.rows_with_price === 0 && loaded.template.fields.some((f) => f === 'price' || f === 'price_bucket')) {
      log.warn(
        `no row has a price in its metadata; the template's {price} shows the fill value ${p.price.global_mean.toFixed(2)} for every row (use a template without {price})`,
      );
    }
    const hist = buildHistory(rows.userId, rows.label, rows.unixTime, p.vocab.user.length);
    const maker = new PromptMaker(loaded, p, hist, names);
    const keep: number[] = [];
    for (let i = 0; i < rows.n; i++) {
      if (opts.keepLongPrompts || maker.prompt(i).length < config.max_prompt_chars) keep.push(i);
    }
    stage('history + prompt lengths');
    const dropped = rows.n - keep.length;
    if (dropped > 0) log.info(`dropped ${dropped} rows whose prompt has ${config.max_prompt_chars} characters or more`);
    return { p, hist, maker, names, keep: Int32Array.from(keep), duplicates, read, records };
  } finally {
    duck.close();
  }
}

/** Write the rows `idx` (in that order) as one split file. */
export async function writeRows(file: string, s: ProcessedSources, idx: Int32Array): Promise<void> {
  await writeSplitFile(file, batchesOf(idx, s.p, s.hist, s.maker, s.names));
}

/** Same as prepareDataset, for a `data:` block already loaded (e.g. from a whole experiment). */
export async function prepareFromConfig(loaded: LoadedDataConfig, out: string): Promise<Manifest> {
  const { config } = loaded;
  const fp = await dataFingerprint(loaded);
  return atomicWriteDir(out, async (outTmp) => {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'unictr-prepare-'));
    const cancel = onInterrupt(() => rmSync(work, { recursive: true, force: true }));
    try {
      const processed = await processSources(loaded, work);
      const { p, names, keep, duplicates, read } = processed;
      const { rows } = p;
      refuseEmptyDomains(loaded, names, read, rows.domainId, Array.from(keep));
      const split = splitRows(keep, rows.domainId, names.length, config.split);
      const files = { train: 'train.arrow', valid: 'valid.arrow', test: 'test.arrow' } as Record<SplitName, string>;
      const domainStats: Manifest['domains'] = names.map((name, id) => ({
        name,
        id,
        splits: { train: { rows: 0, positives: 0 }, valid: { rows: 0, positives: 0 }, test: { rows: 0, positives: 0 } },
        exact_duplicates: duplicates.get(id) ?? 0,
      }));
      for (const s of SPLITS) {
        for (const i of split[s]) {
          const d = domainStats[rows.domainId[i]!]!.splits[s];
          d.rows++;
          d.positives += rows.label[i]!;
        }
        await writeRows(path.join(outTmp, files[s]), processed, split[s]);
        stage(`write ${s}`);
      }
      const manifest: Manifest = {
        schema_version: SCHEMA_VERSION,
        created_at: new Date().toISOString(),
        config_hash: fp.hash,
        config,
        sources: fp.sources,
        domains: domainStats,
        vocab_sizes: {
          user: p.vocab.user.length,
          item: p.vocab.item.length,
          brand: p.vocab.brand.length,
          title: p.vocab.title.length,
          price_bucket: PRICE_BUCKETS + 1,
        },
        price: p.price,
        template: { name: loaded.template.name, text: loaded.template.text },
        files,
      };
      const vocab = {
        user: vocabObject(p.vocab.user, false),
        item: vocabObject(p.vocab.item, false),
        brand: vocabObject(p.vocab.brand, true),
        title: vocabObject(p.vocab.title, true),
      };
      await fsp.writeFile(path.join(outTmp, 'vocab.json'), JSON.stringify(vocab) + '\n');
      await fsp.writeFile(path.join(outTmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      stage('vocab + manifest');
      return manifest;
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
      cancel();
    }
  }, { marker: 'manifest.json' });
}
