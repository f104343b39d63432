/**
 * The run-folder contract:
 *   config.yaml          resolved experiment (after extends and --set)
 *   run.json             seed, git commit, package versions, backend, command line, timestamps
 *   log.jsonl            one event per optimizer step and per epoch
 *   checkpoints/last/    full state for --resume;  checkpoints/best/  best validation weights
 *   metrics.json         {"test": {domain: {auc, logloss, rows, ...}}, "zero_shot": {...}, ...}
 *   predictions/test.csv domain,label,score,row_id (one row per test row; row_id in the test split)
 *   report.md, curve.svg human-readable summary and training curve
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { atomicWriteFile, atomicWriteJson, readJson, rethrowAsOutputError } from '../util/fs.js';
import { OutputError, RunFolderError } from '../util/errors.js';
import { acquireLock, type Lock } from '../util/lock.js';
import type { StepLoss } from './plot.js';

export const runPaths = (dir: string) => ({
  config: path.join(dir, 'config.yaml'),
  run: path.join(dir, 'run.json'),
  log: path.join(dir, 'log.jsonl'),
  checkpoints: path.join(dir, 'checkpoints'),
  metrics: path.join(dir, 'metrics.json'),
  predictions: path.join(dir, 'predictions'),
  report: path.join(dir, 'report.md'),
  curve: path.join(dir, 'curve.svg'),
});

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/**
 * The installed version of `name`, read from its package.json on disk (found the way Node finds
 * packages: node_modules folders upwards from here). Packages with an `exports` map do not export
 * their package.json, so require.resolve cannot be used.
 */
export function installedVersion(name: string, from = path.dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { version?: string }).version ?? null;
      } catch {
        return null;
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

function packageVersions(): Record<string, string | null> {
  const names = [
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    '@huggingface/transformers',
    'onnxruntime-node',
    '@duckdb/node-api',
    'apache-arrow',
  ];
  const out: Record<string, string | null> = {};
  for (const n of names) out[n] = installedVersion(n);
  out['unictr-ts'] = ownVersion();
  return out;
}

/** This package's version (package.json at the repository root). */
export function ownVersion(): string {
  const own = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(readFileSync(own, 'utf8')) as { version: string }).version;
}

export interface RunInfo {
  seed: number;
  backend: string;
  command: string[];
  config_hash: string;
  /** The model, train and backbone blocks with their defaults filled in (resolved_hash.ts). */
  resolved_hash?: string;
}

export async function writeRunHeader(dir: string, resolved: unknown, info: RunInfo): Promise<void> {
  const p = runPaths(dir);
  await atomicWriteFile(p.config, YAML.stringify(resolved));
  await atomicWriteJson(p.run, {
    ...info,
    git_commit: gitCommit(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    packages: packageVersions(),
    started_at: new Date().toISOString(),
  });
}

/** How `train` may treat an existing run folder. */
export type RunMode = 'new' | 'resume' | 'overwrite';

/**
 * Check `dir` before anything is computed: a new run needs an absent or empty folder, --resume an
 * existing run, --overwrite an existing run (or nothing). A file, or a folder of the user's that
 * holds no run, is never written into or replaced.
 */
export function checkRunTarget(dir: string, mode: RunMode): void {
  if (mode === 'resume') return requireRunFolder(dir);
  if (!existsSync(dir)) return;
  if (!lstatSync(dir).isDirectory()) throw new OutputError(`${dir}: is a file, not a run folder; choose another --out`);
  if (existsSync(runPaths(dir).config)) {
    if (mode === 'overwrite') return;
    throw new RunFolderError(
      `${dir} already holds a run; continue it with "unictr train --resume ${dir}" or replace it with --overwrite`,
    );
  }
  if (readdirSync(dir).length > 0) {
    throw new OutputError(`${dir}: is a folder that holds no run (no config.yaml); refusing to write into it, choose another --out`);
  }
}

/**
 * The exclusive lock of a run folder (`.NAME.lock` beside it, holding the PID), so that it exists
 * before the folder does and one process at a time trains, resumes or evaluates the run.
 */
export function lockRunFolder(dir: string): Lock {
  const abs = path.resolve(dir);
  const parent = path.dirname(abs);
  if (existsSync(parent) && !lstatSync(parent).isDirectory()) throw new OutputError(`${dir}: ${parent} is a file, not a folder`);
  ensureDirSync(parent, dir);
  return acquireLock(path.join(parent, `.${path.basename(abs)}.lock`), `run folder ${dir}`, dir);
}

function ensureDirSync(dir: string, shownAs: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    rethrowAsOutputError(e, shownAs);
  }
}

/**
 * Records when the run finished and how long it took (wall clock since `started_at`; a resumed run
 * also lists when each resume started).
 */
export async function markRunFinished(dir: string): Promise<void> {
  const p = runPaths(dir);
  if (!existsSync(p.run)) return;
  const info = await readJson<Record<string, unknown>>(p.run);
  const finished = new Date();
  const started = Date.parse(String(info.started_at));
  await atomicWriteJson(p.run, {
    ...info,
    finished_at: finished.toISOString(),
    duration_s: Number.isFinite(started) ? Math.round((finished.getTime() - started) / 100) / 10 : null,
  });
}

/** Records a resume in run.json (the run keeps its first `started_at`). */
export async function markRunResumed(dir: string): Promise<void> {
  const p = runPaths(dir);
  if (!existsSync(p.run)) return;
  const info = await readJson<Record<string, unknown> & { resumed_at?: string[] }>(p.run);
  await atomicWriteJson(p.run, { ...info, resumed_at: [...(info.resumed_at ?? []), new Date().toISOString()] });
}

/**
 * Per-step training losses from log.jsonl. Steps redone after a resume appear twice in the log;
 * the later line wins.
 */
export function readStepLosses(file: string): StepLoss[] {
  if (!existsSync(file)) return [];
  const byKey = new Map<string, StepLoss>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let e: { event?: string; model?: string | null; step?: number; loss?: number; lr?: number };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue; // a line cut by a crash
    }
    if (e.event !== 'step' || typeof e.step !== 'number' || typeof e.loss !== 'number') continue;
    const model = typeof e.model === 'string' ? e.model : undefined;
    const lr = typeof e.lr === 'number' ? { lr: e.lr } : {};
    byKey.set(`${model ?? ''}\u0000${e.step}`, { ...(model ? { model } : {}), step: e.step, loss: e.loss, ...lr });
  }
  return [...byKey.values()].sort((a, b) => (a.model ?? '').localeCompare(b.model ?? '') || a.step - b.step);
}

export function requireRunFolder(dir: string): void {
  const p = runPaths(dir);
  if (!existsSync(dir)) throw new RunFolderError(`run folder not found: ${dir}`);
  if (!existsSync(p.config)) throw new RunFolderError(`${dir} is not a run folder (no config.yaml)`);
}

/** CSV field quoting for domain names (they may hold commas or quotes in custom data). */
export function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function writePredictionsCsv(
  file: string,
  rows: { domain: string; label: number; score: number; rowId?: number }[],
): Promise<void> {
  const withIds = rows.length > 0 && rows.every((r) => r.rowId !== undefined);
  const lines = [withIds ? 'domain,label,score,row_id' : 'domain,label,score'];
  // 17 significant digits round-trip a float64, so recomputed metrics match exactly.
  for (const r of rows) lines.push(`${csvField(r.domain)},${r.label},${r.score.toPrecision(17)}${withIds ? `,${r.rowId}` : ''}`);
  await atomicWriteFile(file, lines.join('\n') + '\n');
}

/** File-name-safe form of a domain name. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
