/**
 * YAML config files with `extends:` inheritance, `--set key.path=value` overrides, and zod
 * validation whose errors name the file, the key path and the allowed values.
 */
import { closest } from './suggest.js';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';

export type Plain = Record<string, unknown>;

/**
 * Where each key of a merged config came from: the YAML file that wrote it (a parent reached
 * through `extends:` or the file named on the command line) or the `--set KEY=VALUE` that
 * overrode it. Errors name that origin, not merely the top file.
 */
export class KeySources {
  private readonly origins = new Map<string, string>();
  constructor(readonly file: string) {}

  /** Record `label` as the origin of `keyPath` and of everything under `value`. */
  record(keyPath: string, value: unknown, label: string): void {
    this.origins.set(keyPath, label);
    if (isPlain(value)) for (const [k, v] of Object.entries(value)) this.record(keyPath ? `${keyPath}.${k}` : k, v, label);
  }

  /** The origin of `keyPath` (its longest recorded prefix), else the command-line file. */
  at(keyPath: string): string {
    const parts = keyPath.split('.');
    for (let n = parts.length; n > 0; n--) {
      const o = this.origins.get(parts.slice(0, n).join('.'));
      if (o !== undefined) return o;
    }
    return this.file;
  }
}

/** A plain file name, or the per-key origins of a merged config. */
export type ConfigSource = string | KeySources;

/** The name to print for an error about `keyPath`. */
export function sourceOf(src: ConfigSource, keyPath: string): string {
  return typeof src === 'string' ? src : src.at(keyPath);
}

/** Keys that would reach Object.prototype through a merge; never valid config keys. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A path relative to the working directory when that is shorter (for messages). */
function shown(abs: string, given?: string): string {
  if (given !== undefined) return given;
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && rel.length < abs.length ? rel : abs;
}

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

/**
 * Read a YAML file and resolve `extends:` (a path or list of paths relative to the file). With
 * `sources`, records which file wrote each key.
 */
export function loadYamlWithExtends(file: string, seen: string[] = [], sources?: KeySources): Plain {
  const abs = path.resolve(file);
  if (seen.includes(abs)) {
    throw new ConfigError(`${file}: circular extends: ${[...seen, abs].join(' -> ')}`);
  }
  if (!existsSync(abs)) throw new ConfigError(`config file not found: ${file}`);
  const label = seen.length === 0 ? file : shown(abs);
  let doc: unknown;
  try {
    const text = readFileSync(abs, 'utf8');
    // `merge: true`: YAML merge keys (`<<: *anchor`), as in docker-compose files.
    const parsed = YAML.parseDocument(text, { prettyErrors: true, merge: true });
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
      if (typeof p !== 'string') throw new ConfigError(`${label}: key "extends": expected a path or list of paths`);
      const parent = path.resolve(path.dirname(abs), p);
      if (!existsSync(parent)) throw new ConfigError(`${label}: key "extends": parent config not found: ${p} (looked for ${parent})`);
      base = deepMerge(base, loadYamlWithExtends(parent, [...seen, abs], sources));
    }
  }
  rejectForbiddenKeys(rest, '', label);
  if (sources) for (const [k, v] of Object.entries(rest)) sources.record(k, v, label);
  return deepMerge(base, resolveFileRelative(rest, path.dirname(abs)) as Plain);
}

function rejectForbiddenKeys(v: unknown, at: string, label: string): void {
  if (!isPlain(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const keyPath = at ? `${at}.${k}` : k;
    if (FORBIDDEN_KEYS.has(k)) throw new ConfigError(`${label}: unknown key "${keyPath}"`);
    rejectForbiddenKeys(x, keyPath, label);
  }
}

/** Parse a `--set` value: YAML scalar/flow syntax, so `1e-3`, `true`, `[1,2]` and `abc` all work. */
function parseSetValue(raw: string): unknown {
  try {
    return YAML.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Apply `key.path=value` overrides. Unknown keys are caught later by the strict schema, except
 * `__proto__`, `constructor` and `prototype`, which no config has and which are refused here.
 * With `sources`, each overridden key is recorded as coming from its `--set`.
 */
export function applySets(cfg: Plain, sets: readonly string[], sources?: KeySources): Plain {
  let out = cfg;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${s}: expected KEY=VALUE (e.g. --set train.epochs=3)`);
    const keyPath = s.slice(0, eq);
    const keys = keyPath.split('.');
    if (keys.some((k) => k === '')) throw new ConfigError(`--set ${s}: "${keyPath}" is not a key path (expected e.g. train.epochs)`);
    const label = `--set ${s}`;
    if (keys.some((k) => FORBIDDEN_KEYS.has(k))) throw new ConfigError(`${label}: unknown key "${keyPath}"`);
    const value = parseSetValue(s.slice(eq + 1));
    rejectForbiddenKeys(value, keyPath, label);
    sources?.record(keyPath, value, label);
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

/** The closest of `candidates` to `given`, if it is close enough to be a likely typo. */
export const closestKey = closest;

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  options?: z.ZodType[];
}
const defOf = (s: z.ZodType): ZodDefLike => (s as unknown as { _zod: { def: ZodDefLike } })._zod.def;

/** The object keys a schema allows at `keyPath` (through defaults, optionals, pipes and arrays). */
export function schemaKeysAt(schema: z.ZodType, keyPath: readonly (string | number)[]): string[] {
  let s: z.ZodType | undefined = schema;
  let i = 0;
  for (let guard = 0; s && guard < 100; guard++) {
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe') s = d.in && defOf(d.in).type === 'transform' ? d.out : d.in;
    else if (d.type === 'union' && d.options) s = d.options.find((o) => defOf(o).type === 'object');
    else if (i === keyPath.length) return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
    else if (d.type === 'object' && d.shape) s = d.shape[String(keyPath[i++])];
    else if (d.type === 'array') {
      s = d.element;
      i++;
    } else return [];
  }
  return [];
}

/**
 * Render a zod error as one line per issue: `origin: key a.b.c: message (allowed: …)`, where the
 * origin is the file (or `--set`) that wrote the key; unknown keys get a "did you mean" hint.
 */
export function formatZodError(
  err: z.ZodError,
  source: ConfigSource,
  prefix: readonly (string | number)[] = [],
  schema?: z.ZodType,
): string {
  const lines = err.issues.map((iss) => {
    const keyPath = [...prefix, ...iss.path].map(String).join('.');
    let msg = iss.message;
    const anyIss = iss as unknown as { code: string; keys?: string[]; values?: unknown[] };
    if (anyIss.code === 'unrecognized_keys' && anyIss.keys) {
      const where = keyPath ? `${keyPath}.` : '';
      const known = schema ? schemaKeysAt(schema, iss.path as (string | number)[]) : [];
      return anyIss.keys
        .map((k) => {
          const hint = closestKey(k, known);
          return `${sourceOf(source, where + k)}: unknown key "${where}${k}"${hint ? ` (did you mean "${where}${hint}"?)` : ''}`;
        })
        .join('\n');
    }
    if (anyIss.values && !msg.includes('expected one of')) msg += ` (allowed: ${anyIss.values.map((v) => JSON.stringify(v)).join(', ')})`;
    return `${sourceOf(source, keyPath)}: key "${keyPath || '(root)'}": ${msg}`;
  });
  return lines.join('\n');
}

/** Validate `value` against `schema`, throwing ConfigError with file and key paths. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  source: ConfigSource,
  prefix: readonly (string | number)[] = [],
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(formatZodError(r.error, source, prefix, schema));
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
