/**
 * Full-data epoch benchmark: the whole Magazine Subscriptions category (benchmarks/configs/
 * full_epoch.yaml) through the real CLI, each phase a child process as a user runs it:
 *   1. `unictr prepare` into <out>/data: wall time, ratings read vs rows kept;
 *   2. `unictr train` until training starts (stopped with SIGINT at the trainer's first log
 *      event): the frozen-state caches of every split are built into an empty <out>/cache;
 *      prompts/s and seconds from the cache headers, `du` of the folder against the size the
 *      trainer printed before encoding (`state cache needs …`);
 *   3. `unictr train` again in a fresh run folder (the caches are now hits, so this process only
 *      trains): samples/s and one epoch's time from its log.jsonl step events, stopped after
 *      --steps N steps or at the end of the epoch (test evaluation is not timed);
 *   4. that training process's peak resident memory (VmHWM, polled).
 * Targets (the speed issue): cache ≤ 8 GB, epoch ≤ 30 min, training peak memory ≤ 8 GB (10^9 bytes).
 *
 * Usage: npm run bench:full-epoch -- [--steps N] [--rows N] [--max-length 128] [--out DIR] [--json FILE]
 *        [--reviews FILE --meta FILE] [--cache-budget-gb 32] [--keep-cache] [--group-by-length N]
 * --rows N caps the rows trained on (train.max_train_rows); prepare and encoding still cover every
 * rating of the reviews file, and the epoch time is extrapolated to the full training split.
 * --group-by-length N trains with train.group_by_length N (batches of similar prompt lengths).
 * --reviews/--meta replace the category's files (same formats: ratings-only CSV, 2018 JSON metadata).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { atomicWriteJson } from '../src/util/fs.js';
import { cacheBytes, formatBytes, type CacheHeader } from '../src/model/backbone/encoder_cache.js';
import type { Manifest } from '../src/data/types.js';
import { runWatched, type WatchResult } from './child_watch.js';
import { cacheNeeds, estimateEpoch, formatSeconds, renderTable, verdict } from './epoch_figures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/unictr.js');
const CONFIG = path.join(ROOT, 'benchmarks/configs/full_epoch.yaml');
const TARGETS = { cache_bytes: 8e9, epoch_s: 30 * 60, peak_rss_bytes: 8e9 };
const BATCH = 64;

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string' },
    rows: { type: 'string' },
    'max-length': { type: 'string', default: '128' },
    out: { type: 'string', default: 'runs/bench/full_epoch' },
    json: { type: 'string', default: 'benchmarks/results/full_epoch.json' },
    reviews: { type: 'string' },
    meta: { type: 'string' },
    'cache-budget-gb': { type: 'string', default: '32' },
    'keep-cache': { type: 'boolean', default: false },
    'group-by-length': { type: 'string' },
  },
});

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`error: --${name} expects a positive integer, got "${v}"`);
    process.exit(2);
  }
  return n;
}
const steps = positiveInt('steps', args.steps);
const rows = positiveInt('rows', args.rows);
const maxLength = positiveInt('max-length', args['max-length'])!;
const groupByLength = positiveInt('group-by-length', args['group-by-length']);
const budget = Number(args['cache-budget-gb']);
if (!(budget > 0)) {
  console.error(`error: --cache-budget-gb expects a positive number, got "${args['cache-budget-gb']}"`);
  process.exit(2);
}
if ((args.reviews === undefined) !== (args.meta === undefined)) {
  console.error('error: give --reviews and --meta together (a ratings-only CSV and its 2018 JSON metadata)');
  process.exit(2);
}
for (const f of [args.reviews, args.meta]) {
  if (f !== undefined && !existsSync(f)) {
    console.error(`error: ${f}: file not found`);
    process.exit(2);
  }
}

const work = path.resolve(args.out);
const dataDir = path.join(work, 'data');
const cacheDir = path.join(work, 'cache');
const sets = [
  `dataset_dir=${dataDir}`,
  `backbone.cache_dir=${cacheDir}`,
  `backbone.max_length=${maxLength}`,
  // The benchmark measures the cache's size against its own target; the trainer must not refuse first.
  `backbone.cache_budget_gb=${budget}`,
  ...(rows === undefined ? [] : [`train.max_train_rows=${rows}`]),
  ...(groupByLength === undefined ? [] : [`train.group_by_length=${groupByLength}`]),
  ...(args.reviews === undefined
    ? []
    : [
        `data.sources=${JSON.stringify([
          { domain: 'Magazine Subscriptions', reviews: path.resolve(args.reviews), format: 'ratings_csv', meta: path.resolve(args.meta!), meta_format: 'json2018' },
        ])}`,
      ]),
].flatMap((s) => ['--set', s]);

function say(msg: string): void {
  process.stderr.write(`[full-epoch] ${msg}\n`);
}

function requireOk(what: string, r: WatchResult, log: string): void {
  if (r.stopped || r.code === 0) return;
  const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n');
  throw new Error(`${what} failed (exit ${r.code ?? r.signal}); last lines of ${log}:\n${tail}`);
}

/** Bytes the folder's files hold, and what `du` says it occupies on disk. */
function folderSize(dir: string): { apparent: number; du: number | null } {
  let apparent = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) apparent += statSync(p).size;
    }
  };
  walk(dir);
  let du: number | null = null;
  try {
    du = Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split(/\s/)[0]) * 1024;
  } catch {
    // No du: the apparent size stands in.
  }
  return { apparent, du };
}

function ratingsIn(file: string): number {
  const text = (file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file)).toString('utf8');
  return text.split('\n').filter((l) => l.trim()).length;
}

const loadStart = os.loadavg()[0]!;
const logs = path.join(work, 'logs');
// Only what this benchmark writes is cleared (never the whole --out folder): an empty cache folder,
// so that every split is encoded, and new run folders.
for (const d of [dataDir, cacheDir, path.join(work, 'encode-run'), path.join(work, 'run'), logs]) rmSync(d, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });

// 1. Prepare.
say(`1/3 prepare → ${dataDir}`);
const prepLog = path.join(logs, 'prepare.log');
const prep = await runWatched({ args: [BIN, 'prepare', '--config', CONFIG, '--out', dataDir, ...sets], cwd: ROOT, outputFile: prepLog });
requireOk('unictr prepare', prep, prepLog);
const manifest = JSON.parse(readFileSync(path.join(dataDir, 'manifest.json'), 'utf8')) as Manifest;
const splitRows = (s: 'train' | 'valid' | 'test') => manifest.domains.reduce((a, d) => a + d.splits[s].rows, 0);
const reviewsFile = manifest.sources[0]!.file;
const inputRatings = ratingsIn(reviewsFile);
const keptRows = splitRows('train') + splitRows('valid') + splitRows('test');

// 2. Encode: the first trainer log event (`data`) means every split's cache is built.
say(`2/3 encode every split into ${cacheDir}`);
const encLog = path.join(logs, 'encode.log');
const enc = await runWatched({
  args: [BIN, 'train', '--config', CONFIG, '--out', path.join(work, 'encode-run'), ...sets],
  cwd: ROOT,
  outputFile: encLog,
  logFile: path.join(work, 'encode-run', 'log.jsonl'),
  onEvent: () => true,
});
requireOk('unictr train (encoding)', enc, encLog);
if (!enc.stopped) throw new Error(`unictr train ended before training started; see ${encLog}`);
const headers = readdirSync(cacheDir)
  .map((d) => path.join(cacheDir, d, 'header.json'))
  .filter((f) => existsSync(f))
  .map((f) => JSON.parse(readFileSync(f, 'utf8')) as CacheHeader);
const encodedRows = headers.reduce((a, h) => a + h.rows, 0);
const encodeSeconds = headers.reduce((a, h) => a + h.build_seconds, 0);
const predictedExact = headers.reduce((a, h) => a + cacheBytes(h.dtype, h.hidden_size, h.layers.length, h.rows, h.total_tokens), 0);
const encOutput = readFileSync(encLog, 'utf8');
const printed = cacheNeeds(encOutput);
// Which engine encoded (onnxruntime when it loads, else tfjs), as the trainer announced it.
const engine = /state encoder: ([^\n]*)/.exec(encOutput)?.[1] ?? null;
const size = folderSize(cacheDir);
const cacheDisk = size.du ?? size.apparent;

// 3. Train (cache hits): stop after --steps steps, or once the epoch event is logged.
say(`3/3 train ${steps === undefined ? 'one epoch' : `${steps} steps`}${rows === undefined ? '' : ` on ${rows} rows`}`);
const trainLog = path.join(logs, 'train.log');
let startAt: number | null = null;
const seen: { step: number; at: number }[] = [];
let epochEvent: Record<string, unknown> | null = null;
type Padding = { padded_per_row: number; real_per_row: number; shuffled_per_row: number };
let padding: Padding | null = null;
const tr = await runWatched({
  args: [BIN, 'train', '--config', CONFIG, '--out', path.join(work, 'run'), ...sets],
  cwd: ROOT,
  outputFile: trainLog,
  logFile: path.join(work, 'run', 'log.jsonl'),
  onEvent: ({ event, at }) => {
    if (event.event === 'data') startAt ??= at;
    if (event.event === 'step') seen.push({ step: event.step as number, at });
    if (event.event === 'epoch') epochEvent = event;
    if (event.event === 'padding') padding = event as unknown as Padding;
    return epochEvent !== null || (steps !== undefined && seen.length >= steps);
  },
});
requireOk('unictr train', tr, trainLog);
if (startAt === null) throw new Error(`the trainer logged no start of training; see ${trainLog}`);
const trainOutput = readFileSync(trainLog, 'utf8');
const cacheHit = cacheNeeds(trainOutput).length === 0;
// Tokens per row after padding: the trainer logs them (a `padding` event) when it groups batches by length.
// (assigned in the callback, so the compiler cannot narrow it here)
const pad = padding as Padding | null;
const trainRows = splitRows('train');
const trainedRows = rows === undefined ? trainRows : Math.min(rows, trainRows);
// Steps of an epoch over fewer rows (--rows) time the same batches; the figure is for the full split.
const usable = seen.filter((s) => s.step <= Math.ceil(trainedRows / BATCH));
// Fewer rows than the split (--rows) leave the epoch incomplete, so its time is extrapolated.
const epoch = estimateEpoch(startAt, usable, BATCH, trainRows);
if (!args['keep-cache']) rmSync(cacheDir, { recursive: true, force: true });

const result = {
  bench: 'full_epoch',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  load_average_1m: { start: loadStart, end: os.loadavg()[0]! },
  settings: {
    config: path.relative(ROOT, CONFIG),
    reviews: reviewsFile,
    max_length: maxLength,
    batch_size: BATCH,
    steps: steps ?? null,
    rows: rows ?? null,
    group_by_length: groupByLength ?? 0,
    work: work,
    sets: sets.filter((s) => s !== '--set'),
  },
  prepare: {
    wall_s: (prep.endAt - prep.startAt) / 1000,
    input_ratings: inputRatings,
    kept_rows: keptRows,
    rows: { train: trainRows, valid: splitRows('valid'), test: splitRows('test') },
    peak_rss_bytes: prep.peakRssBytes,
  },
  encode: {
    engine,
    rows: encodedRows,
    cache_build_s: encodeSeconds,
    prompts_per_s: encodedRows / encodeSeconds,
    /** From the command's start to the start of training: start-up, dataset, model, caches, state statistics. */
    process_wall_s: ((enc.events[0]?.at ?? enc.endAt) - enc.startAt) / 1000,
    splits: headers.map((h) => ({ rows: h.rows, tokens: h.total_tokens, layers: h.layers, dtype: h.dtype, build_s: h.build_seconds })),
    cache_du_bytes: size.du,
    cache_apparent_bytes: size.apparent,
    predicted_bytes: predictedExact,
    printed_lines: printed.map((p) => p.line),
    printed_bytes: printed.reduce((a, p) => a + p.bytes, 0),
    peak_rss_bytes: enc.peakRssBytes,
  },
  train: {
    ...epoch,
    trained_rows: trainedRows,
    steps_seen: seen.length,
    epoch_event_s: epochEvent === null ? null : (epochEvent as { seconds: number }).seconds,
    cache_hit: cacheHit,
    tokens_per_row: pad === null ? null : { padded: pad.padded_per_row, real: pad.real_per_row, shuffled_batches: pad.shuffled_per_row },
    peak_rss_bytes: tr.peakRssBytes,
  },
  targets: TARGETS,
  verdicts: {
    cache: verdict(cacheDisk, TARGETS.cache_bytes),
    epoch: verdict(epoch.epoch_train_s, TARGETS.epoch_s),
    peak_rss: verdict(tr.peakRssBytes, TARGETS.peak_rss_bytes),
  },
};
await atomicWriteJson(path.resolve(args.json), result);

const ext = epoch.extrapolated ? ` (extrapolated from ${epoch.steps_measured} steps${trainedRows < trainRows ? ` of ${trainedRows} rows` : ''})` : '';
const rowsNote = `${keptRows.toLocaleString('en-US')} of ${inputRatings.toLocaleString('en-US')} ratings`;
console.log(
  renderTable([
    ['prepare wall time', `${formatSeconds(result.prepare.wall_s)} (${rowsNote})`, '', ''],
    ['encode, cache builds', `${formatSeconds(encodeSeconds)}, ${result.encode.prompts_per_s.toFixed(1)} prompts/s (${encodedRows.toLocaleString('en-US')} prompts, ${maxLength} tokens max)`, '', ''],
    ['encode command until training', formatSeconds(result.encode.process_wall_s), '', ''],
    ['state cache on disk (du)', formatBytes(cacheDisk), '≤ 8 GB', result.verdicts.cache],
    ['state cache predicted', `${formatBytes(predictedExact)} (printed: ${printed.map((p) => formatBytes(p.bytes)).join(' + ') || 'none'})`, '', ''],
    ['training throughput', `${epoch.samples_per_s.toFixed(1)} samples/s${ext}`, '', ''],
    ...(pad === null
      ? []
      : [['tokens per row after padding', `${pad.padded_per_row.toFixed(1)} (real ${pad.real_per_row.toFixed(1)}; shuffled batches ${pad.shuffled_per_row.toFixed(1)}; train.group_by_length ${groupByLength})`, '', ''] as const]),
    [`epoch of ${trainRows.toLocaleString('en-US')} rows`, `${formatSeconds(epoch.epoch_train_s)}${ext}`, '≤ 30 min', result.verdicts.epoch],
    ['training peak memory (VmHWM)', tr.peakRssBytes === null ? 'n/a (no /proc)' : formatBytes(tr.peakRssBytes), '≤ 8 GB', result.verdicts.peak_rss],
  ]),
);
if (!cacheHit) say('warning: the training command encoded states again (cache miss): its memory peak includes encoding');
say(`wrote ${args.json}; logs in ${logs}`);
