/**
 * Synthetic Amazon-2018-format data (reviews `<Name>_5.json.gz` + `meta_<Name>.json.gz` per domain)
 * with a planted signal that the text reveals: every user prefers one topic word and one brand;
 * a review is positive with high probability when the item's title carries the user's topic word
 * (and more so when the brand matches too). Seeded, so the same options give the same files.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { createGzip, constants as zc } from 'node:zlib';
import { once } from 'node:events';
import path from 'node:path';
import { Rng } from '../../util/rng.js';

export const TOPICS = ['guitar', 'violin', 'lipstick', 'sneaker', 'coffee', 'puzzle', 'candle', 'headphone', 'backpack', 'teapot'];
const FILLERS = ['classic', 'deluxe', 'mini', 'pro', 'travel', 'vintage', 'premium', 'eco', 'smart', 'soft', 'bold', 'pocket'];
const BRANDS = ['Acme', 'Bolt', 'Crest', 'Dune', 'Echo', 'Flux', 'Glow', 'Halo'];

export interface SyntheticOptions {
  outDir: string;
  /** Domain display names; one folder and file pair per domain. */
  domains: string[];
  users: number;
  itemsPerDomain: number;
  /** Reviews per domain. */
  rowsPerDomain: number;
  seed: number;
  /** Probability of a positive rating when the title has the user's topic word (else 1 - this). */
  signal?: number;
  /** gzip level (1 is fast, for the benchmark). */
  gzipLevel?: number;
}

export interface SyntheticResult {
  /** Per domain: name, reviews and meta file paths. */
  files: { domain: string; reviews: string; meta: string }[];
  /** Experiment YAML with a `data:` block for these files. */
  config: string;
}

function fileStem(domain: string): string {
  return domain.replace(/[^A-Za-z0-9]+/g, '_');
}

class GzLines {
  private readonly gz;
  private readonly done: Promise<unknown>;
  private buf: string[] = [];
  constructor(file: string, level: number) {
    this.gz = createGzip({ level, chunkSize: 1 << 16 });
    const ws = createWriteStream(file);
    this.gz.pipe(ws);
    this.done = once(ws, 'finish');
  }
  async line(s: string): Promise<void> {
    this.buf.push(s);
    if (this.buf.length >= 4096) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const ok = this.gz.write(this.buf.join('\n') + '\n');
    this.buf = [];
    if (!ok) await once(this.gz, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    this.gz.end();
    await this.done;
  }
}

export async function generateSynthetic(o: SyntheticOptions): Promise<SyntheticResult> {
  const rng = new Rng(o.seed);
  const signal = o.signal ?? 0.85;
  const level = o.gzipLevel ?? zc.Z_DEFAULT_COMPRESSION;
  await fsp.mkdir(o.outDir, { recursive: true });
  const userTopic = Int32Array.from({ length: o.users }, () => rng.int(TOPICS.length));
  const userBrand = Int32Array.from({ length: o.users }, () => rng.int(BRANDS.length));
  const t0 = 1_400_000_000;
  const span = 4 * 365 * 86400;
  const files: SyntheticResult['files'] = [];
  for (const [d, domain] of o.domains.entries()) {
    const stem = fileStem(domain);
    const dir = path.join(o.outDir, stem);
    await fsp.mkdir(dir, { recursive: true });
    const reviews = path.join(dir, `${stem}_5.json.gz`);
    const meta = path.join(dir, `meta_${stem}.json.gz`);
    const itemTopic = new Int32Array(o.itemsPerDomain);
    const itemBrand = new Int32Array(o.itemsPerDomain);
    const mw = new GzLines(meta, level);
    for (let i = 0; i < o.itemsPerDomain; i++) {
      itemTopic[i] = rng.int(TOPICS.length);
      itemBrand[i] = rng.int(BRANDS.length);
      const words = [FILLERS[rng.int(FILLERS.length)]!, TOPICS[itemTopic[i]!]!, FILLERS[rng.int(FILLERS.length)]!];
      const r = rng.next();
      // Mostly `$` prices, some ranges and blanks (these take the global mean).
      const price = r < 0.8 ? `$${(2 + rng.next() * 198).toFixed(2)}` : r < 0.9 ? '$5.00 - $9.00' : '';
      const rec = {
        category: [domain],
        title: `${BRANDS[itemBrand[i]!]} ${words.join(' ')} ${d}-${i}`,
        brand: rng.next() < 0.95 ? BRANDS[itemBrand[i]!] : '',
        price,
        asin: `S${d}I${String(i).padStart(7, '0')}`,
      };
      await mw.line(JSON.stringify(rec));
    }
    await mw.close();
    const rw = new GzLines(reviews, level);
    for (let k = 0; k < o.rowsPerDomain; k++) {
      const u = rng.int(o.users);
      const i = rng.int(o.itemsPerDomain);
      let p = itemTopic[i] === userTopic[u] ? signal : 1 - signal;
      if (itemBrand[i] === userBrand[u]) p = Math.min(0.98, p + 0.1);
      const pos = rng.next() < p;
      const overall = pos ? (rng.next() < 0.6 ? 5 : 4) : rng.next() < 0.15 ? 3 : rng.next() < 0.5 ? 2 : 1;
      const t = t0 + rng.int(span);
      const rec = {
        overall: overall + 0.0,
        verified: true,
        reviewTime: '',
        reviewerID: `U${String(u).padStart(8, '0')}`,
        asin: `S${d}I${String(i).padStart(7, '0')}`,
        reviewerName: `user ${u}`,
        reviewText: pos ? 'Great.' : 'Not for me.',
        summary: '',
        unixReviewTime: t,
      };
      await rw.line(JSON.stringify(rec));
    }
    await rw.close();
    files.push({ domain, reviews, meta });
  }
  const yaml = [
    '# Synthetic data written by src/data/synthetic/generate.ts',
    'data:',
    '  join: inner',
    '  sources:',
    ...files.flatMap((f) => [
      `    - domain: ${JSON.stringify(f.domain)}`,
      `      reviews: ${JSON.stringify(path.relative(o.outDir, f.reviews))}`,
      `      meta: ${JSON.stringify(path.relative(o.outDir, f.meta))}`,
      '      format: json2018',
      '      meta_format: json2018',
    ]),
  ].join('\n');
  const config = path.join(o.outDir, 'synthetic.yaml');
  await fsp.writeFile(config, yaml + '\n');
  return { files, config };
}
