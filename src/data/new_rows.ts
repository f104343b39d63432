/**
 * Rows a trained run has never seen (a new data file, or a YAML with a `data:` block), put
 * through the run's own preprocessing: its label rule, join, dedupe, template, prompt-length
 * limit and split from the run's manifest, its price fill value and bucket range, and its
 * vocabularies — a user, item, brand or title the run never saw gets id 0, the reserved
 * out-of-vocabulary id. History comes from the new rows' own positives (strictly earlier times).
 */
import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DataError } from '../util/errors.js';
import { loadYamlWithExtends } from '../util/config.js';
import { onInterrupt } from '../util/interrupt.js';
import { parseDataConfig, type LoadedDataConfig } from './config_load.js';
import { processSources, writeRows } from './prepare.js';
import { readSplitFile } from './arrow_io.js';
import { splitRows } from './split.js';
import { paperNameFor } from './domains.js';
import type { DataConfig, SourceConfig, SourceFormat } from './schema.js';
import type { IdRemap } from './preprocess.js';
import type { Manifest, SplitColumns, SplitName } from './types.js';

/** What `--data` and its flags name. */
export interface NewDataSpec {
  /** A data file, or a YAML file with a `data:` block (`.yaml` / `.yml`). */
  data: string;
  /** Domain of a plain data file (default: from the file name); with a YAML: only this domain. */
  domain?: string;
  meta?: string;
  format?: SourceFormat;
  metaFormat?: SourceFormat;
  /** Review column map, e.g. { user: 'reviewerID' }. */
  columns?: Record<string, string>;
  metaColumns?: Record<string, string | null>;
}

/** The run's vocabularies as written to vocab.json. */
export type RunVocab = Record<'user' | 'item' | 'brand' | 'title', Record<string, number>>;

export type NewPart = SplitName | 'all';

export interface NewDomainInfo {
  name: string;
  /** The run's domain id, or an id after the run's domains for a domain the run does not have. */
  id: number;
  /** Whether the run's dataset has a domain of this name. */
  inRun: boolean;
  rows: number;
  users: number;
  usersUnseen: number;
  items: number;
  itemsUnseen: number;
}

export interface NewRows {
  domains: NewDomainInfo[];
  /** Split tables; `all` holds every row in input order. Domain ids are those of `domains`. */
  parts: Partial<Record<NewPart, SplitColumns>>;
  /**
   * For `all`: each row's position in the whole input, 0-based — the sources' records one after
   * another in source order (a second source's first record follows the first source's last).
   */
  inputIndex?: Float64Array;
  config: LoadedDataConfig;
}

const isYaml = (f: string) => /\.ya?ml$/i.test(f);

/** "All_Beauty_5.json.gz" → "All Beauty" (paper names in their display spelling). */
export function domainFromFile(file: string): string {
  let stem = path.basename(file).replace(/(\.(gz|json|jsonl|csv|tsv|parquet|arrow))+$/i, '');
  stem = stem.replace(/^meta_/i, '').replace(/_(5|reviews)$/i, '');
  const name = stem.replace(/[_-]+/g, ' ').trim();
  return paperNameFor(name) ?? name;
}

function absolute(dir: string, p: string | undefined): string | undefined {
  return p === undefined ? undefined : path.resolve(dir, p);
}

/**
 * The run's `data:` rules with the sources replaced by the new data. `scoreEveryRow` (predict)
 * keeps 3-star rows (label 0, as rating > 3 is the label), rows without metadata and exact
 * duplicates, so that every input row gets a score.
 */
export function newDataConfig(manifest: Manifest, spec: NewDataSpec, scoreEveryRow = false): LoadedDataConfig {
  const run = manifest.config as DataConfig;
  let sources: SourceConfig[];
  let domains: string[] | undefined;
  if (isYaml(spec.data)) {
    const flags = [spec.meta && '--meta', spec.format && '--format', spec.metaFormat && '--meta-format', spec.columns && '--column', spec.metaColumns && '--meta-column'].filter(Boolean);
    if (flags.length) throw new ConfigError(`--data ${spec.data}: ${flags.join(', ')} apply to a data file; a YAML names formats and columns in its data: block`);
    const own = parseDataConfig(loadYamlWithExtends(spec.data), spec.data);
    sources = own.config.sources.map((s) => ({ ...s, reviews: absolute(own.dir, s.reviews)!, meta: absolute(own.dir, s.meta) }));
    domains = own.config.domains;
  } else {
    sources = [
      {
        domain: spec.domain ?? domainFromFile(spec.data),
        reviews: path.resolve(spec.data),
        meta: spec.meta === undefined ? undefined : path.resolve(spec.meta),
        format: spec.format ?? 'auto',
        meta_format: spec.metaFormat ?? 'auto',
        columns: spec.columns ?? {},
        meta_columns: spec.metaColumns ?? {},
      } as SourceConfig,
    ];
  }
  // A run that joined with `inner` drops rows without metadata; a file given without --meta
  // would lose every row, so it is joined `left` (title/brand `unknown`, the run's fill price).
  const noMeta = sources.every((s) => s.meta === undefined);
  const data: Record<string, unknown> = {
    ...run,
    sources,
    domains,
    ...(noMeta ? { join: 'left' } : {}),
    ...(scoreEveryRow ? { three_star: 'negative', join: 'left', dedupe: false } : {}),
  };
  if (data.domains === undefined) delete data.domains;
  return parseDataConfig({ data }, spec.data);
}

/** local id → the run's id for a vocabulary (0 where the run never saw the string). */
function remapVocab(local: string[], run: Record<string, number>, from: number): Int32Array {
  const out = new Int32Array(local.length);
  for (let k = from; k < local.length; k++) out[k] = run[local[k]!] ?? 0;
  return out;
}

/**
 * Preprocess new rows with a run's rules and vocabularies.
 * @param parts which tables to build: train/valid/test by the run's time split, or `all`
 */
export async function prepareNewRows(manifest: Manifest, vocab: RunVocab, loaded: LoadedDataConfig, parts: readonly NewPart[], opts: { keepLongPrompts?: boolean } = {}): Promise<NewRows> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'unictr-newdata-'));
  // Ctrl-C or SIGTERM while the rows are processed must not leave the work folder behind.
  const cancel = onInterrupt(() => rmSync(work, { recursive: true, force: true }));
  try {
    const s = await processSources(loaded, work, { price: manifest.price, keepLongPrompts: opts.keepLongPrompts });
    const { p, names, keep } = s;
    if (keep.length === 0) throw new DataError(`${loaded.file}: no rows left to score after the run's preprocessing rules`);
    let extra = manifest.domains.length;
    const domainIds = names.map((n) => manifest.domains.find((d) => d.name === n)?.id ?? extra++);
    const remap: IdRemap = {
      domain: Int32Array.from(domainIds),
      user: remapVocab(p.vocab.user, vocab.user, 1),
      item: remapVocab(p.vocab.item, vocab.item, 1),
      brand: remapVocab(p.vocab.brand, vocab.brand, 1),
      title: remapVocab(p.vocab.title, vocab.title, 1),
    };
    p.remap = remap;
    const domains: NewDomainInfo[] = names.map((name, k) => {
      const users = new Set<number>();
      const items = new Set<number>();
      let rows = 0;
      for (const i of keep) {
        if (p.rows.domainId[i] !== k) continue;
        rows++;
        users.add(p.rows.userId[i]!);
        items.add(p.rows.itemId[i]!);
      }
      const unseen = (set: Set<number>, m: Int32Array) => [...set].filter((u) => m[u] === 0).length;
      return {
        name,
        id: domainIds[k]!,
        inRun: domainIds[k]! < manifest.domains.length,
        rows,
        users: users.size,
        usersUnseen: unseen(users, remap.user),
        items: items.size,
        itemsUnseen: unseen(items, remap.item),
      };
    });
    const out: NewRows = { domains, parts: {}, config: loaded };
    const split = parts.some((x) => x !== 'all') ? splitRows(keep, p.rows.domainId, names.length, loaded.config.split) : null;
    for (const part of parts) {
      let idx: Int32Array;
      if (part === 'all') {
        idx = Int32Array.from(keep).sort((a, b) => p.rows.inputOrder[a]! - p.rows.inputOrder[b]!);
        // inputOrder is source index · 2^32 + record index within the source.
        const offset = [0];
        for (const n of s.records) offset.push(offset[offset.length - 1]! + n);
        out.inputIndex = Float64Array.from(idx, (i) => {
          const order = p.rows.inputOrder[i]!;
          return offset[Math.floor(order / 4294967296)]! + (order % 4294967296);
        });
      } else {
        idx = split![part];
      }
      const file = path.join(work, `${part}.arrow`);
      await writeRows(file, s, idx);
      out.parts[part] = await readSplitFile(file);
    }
    return out;
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
    cancel();
  }
}

/** "All Beauty: 85 of 85 items unseen, 991 of 991 users unseen (1,234 rows)" */
export function describeUnseen(d: NewDomainInfo): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `${d.name}: ${n(d.itemsUnseen)} of ${n(d.items)} items unseen, ${n(d.usersUnseen)} of ${n(d.users)} users unseen (${n(d.rows)} rows)`;
}
