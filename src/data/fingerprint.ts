/**
 * What made a processed dataset: a hash of everything that decides its content, stored as
 * `manifest.json` `config_hash` and recomputed by every command that opens the dataset for an
 * experiment. Hashed: the pipeline's rules version, the resolved `data:` block (template text
 * included) with each source file path replaced by the sha256 of its content. Not hashed: the
 * paths themselves (moving the files or the YAML does not change the data) and the experiment's
 * other blocks (name, seed, model, train).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { stableStringify } from '../util/config.js';
import type { LoadedDataConfig } from './config_load.js';
import type { Manifest } from './types.js';

/**
 * Bump when a preprocessing rule changes what a given config produces, so that datasets built
 * by older code are rebuilt. 2: strictly-earlier history, exact-duplicate removal.
 */
export const DATA_RULES_VERSION = 2;

export type SourceEntry = Manifest['sources'][number];

export interface Fingerprint {
  /** sha256 hex of the hashed content (64 characters). */
  hash: string;
  /** Every source file (reviews, then metadata, per source) with its sha256. */
  sources: SourceEntry[];
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * @param known source entries of an existing manifest: a file whose absolute path, size and
 *   modification time all match is not read again (its recorded sha256 is reused).
 */
export async function dataFingerprint(loaded: LoadedDataConfig, known: readonly SourceEntry[] = []): Promise<Fingerprint> {
  const sources: SourceEntry[] = [];
  const hashed = loaded.config.sources.map((s) => ({ ...s, reviews: '', meta: s.meta === undefined ? undefined : '' }));
  for (const [i, s] of loaded.config.sources.entries()) {
    for (const role of ['reviews', 'meta'] as const) {
      const given = s[role];
      if (given === undefined) continue;
      const file = path.resolve(loaded.dir, given);
      let st;
      try {
        st = await fsp.stat(file);
      } catch {
        // The reader reports a missing source with its own message; hash the name instead.
        hashed[i]![role] = `missing:${file}`;
        continue;
      }
      const cached = known.find((k) => k.file === file && k.bytes === st.size && k.mtime_ms === st.mtimeMs);
      const sha256 = cached?.sha256 ?? (await sha256File(file));
      sources.push({ path: given, file, sha256, bytes: st.size, mtime_ms: st.mtimeMs });
      hashed[i]![role] = sha256;
    }
  }
  const content = { rules: DATA_RULES_VERSION, data: { ...loaded.config, sources: hashed }, template: loaded.template.text };
  return { hash: createHash('sha256').update(stableStringify(content)).digest('hex'), sources };
}

/** Why a dataset's manifest does not match a fingerprint, in a few words (for messages). */
export function describeMismatch(m: Manifest, loaded: LoadedDataConfig, fp: Fingerprint): string {
  const old = (m.config ?? {}) as Record<string, unknown>;
  const now = loaded.config as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])]
    .filter((k) => k !== 'sources' && stableStringify(old[k]) !== stableStringify(now[k]))
    .map((k) => `data.${k}`);
  const oldSha = (m.sources ?? []).map((s) => s.sha256).join(',');
  if (oldSha !== fp.sources.map((s) => s.sha256).join(',')) keys.push('source files');
  else if (stableStringify(old.sources) !== stableStringify(now.sources)) keys.push('data.sources');
  return keys.length > 0 ? `differs in ${keys.join(', ')}` : 'built by an older version of the data rules';
}
