/**
 * YAML config files with `extends:` inheritance, `--set key.path=value` overrides, and zod
 * validation whose errors name the file, the key path and the allowed values.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced. */
export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/**
 * String values that start with `./` or `../` are paths relative to the YAML file that wrote them;
 * they are made absolute here, so that a parent reached through `extends:` keeps its own base.
 * Other relative paths stay relative to the working directory (and hub ids stay untouched).
 */
export function resolveFileRelative(value: unknown, dir: string): unknown {
  if (typeof value === 'string') {
    return value.startsWith('./') || value.startsWith('../') ? path.resolve(dir, value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveFileRelative(v, dir));
  if (isPlain(value)) {
    const out: Plain = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'text' ? v : resolveFileRelative(v, dir);
    return out;
  }
  return value;
}

/** Read a YAML file and resolve `extends:` (a path or list of paths relative to the file). */
export function loadYamlWithExtends(file: string, seen: string[] = []): Plain {
  const abs = path.resolve(file);
  if (seen.includes(abs)) {
    throw new ConfigError(`${file}: circular extends: ${[...seen, abs].join(' -> ')}`);
  }
  if (!existsSync(abs)) throw new ConfigError(`config file not found: ${file}`);
  let doc: unknown;
  try {
    const text = readFileSync(abs, 'utf8');
    const parsed = YAML.parseDocument(text, { prettyErrors: true });
    if (parsed.errors.length > 0) {
      const e = parsed.errors[0]!;
      const line = e.linePos?.[0];
      throw new ConfigError(`${file}${line ? `:${line.line}:${line.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
    }
    doc = parsed.toJS();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${file}: cannot read config: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isPlain(doc)) throw new ConfigError(`${file}: expected a YAML mapping at the top level`);
  const { extends: ext, ...rest } = doc;
  let base: Plain = {};
  if (ext !== undefined) {
    const parents = Array.isArray(ext) ? ext : [ext];
    for (const p of parents) {
      if (typeof p !== 'string') throw new ConfigError(`${file}: key "extends": expected a path or list of paths`);
      base = deepMerge(base, loadYamlWithExtends(path.resolve(path.dirname(abs), p), [...seen, abs]));
    }
  }
  return deepMerge(base, resolveFileRelative(rest, path.dirname(abs)) as Plain);
}

/** Parse a `--set` value: YAML scalar/flow syntax, so `1e-3`, `true`, `[1,2]` and `abc` all work. */
function parseSetValue(raw: string): unknown {
  try {
    return YAML.parse(raw);
  } catch {
    return raw;
  }
}

/** Apply `key.path=value` overrides. Unknown keys are caught later by the strict schema. */
export function applySets(cfg: Plain, sets: readonly string[]): Plain {
  let out = cfg;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${s}: expected key.path=value`);
    const keys = s.slice(0, eq).split('.');
    const value = parseSetValue(s.slice(eq + 1));
    let patch: Plain = {};
    const root = patch;
    keys.forEach((k, i) => {
      if (i === keys.length - 1) patch[k] = value;
      else {
        const next: Plain = {};
        patch[k] = next;
        patch = next;
      }
    });
    out = deepMerge(out, root);
  }
  return out;
}

/** Render a zod error as one line per issue: `file: key a.b.c: message (allowed: …)`. */
export function formatZodError(err: z.ZodError, source: string, prefix: readonly (string | number)[] = []): string {
  const lines = err.issues.map((iss) => {
    const keyPath = [...prefix, ...iss.path].map(String).join('.');
    let msg = iss.message;
    const anyIss = iss as unknown as { code: string; keys?: string[]; values?: unknown[] };
    if (anyIss.code === 'unrecognized_keys' && anyIss.keys) {
      const where = keyPath ? `${keyPath}.` : '';
      return `${source}: unknown key "${where}${anyIss.keys.join(`", "${where}`)}"`;
    }
    if (anyIss.values && !msg.includes('expected one of')) msg += ` (allowed: ${anyIss.values.map((v) => JSON.stringify(v)).join(', ')})`;
    return `${source}: key "${keyPath || '(root)'}": ${msg}`;
  });
  return lines.join('\n');
}

/** Validate `value` against `schema`, throwing ConfigError with file and key paths. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: string,
  prefix: readonly (string | number)[] = [],
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(formatZodError(r.error, source, prefix));
  return r.data;
}

/** Stable JSON (sorted keys) for hashing configs. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isPlain(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
