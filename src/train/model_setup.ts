/**
 * Builds what an experiment trains: one Uni-CTR model (with its backbone and frozen-state
 * caches), one multi-domain baseline, or one single-domain baseline per training domain. Each is
 * a "unit" with its own checkpoints; the run code treats them alike.
 */
import path from 'node:path';
import type { Manifest, SplitColumns, SplitName } from '../data/types.js';
import * as tf from '@tensorflow/tfjs-core';
import type { BatchTensors, CtrModel, TokenStates } from '../model/types.js';
import type { Backbone } from '../model/backbone/types.js';
import { log } from '../util/log.js';
import { sourceOf, type ConfigSource } from '../util/config.js';
import { ConfigError, ModelFolderError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { modelKind, createModel } from '../model/registry.js';
import { createBackbone, createStateEncoder } from '../model/backbone/index.js';
import { openStateCache, type StateBatchArrays, type StateCache } from '../model/backbone/encoder_cache.js';
import { UniCtr } from '../model/unictr/unictr.js';
import { tokenizeWith, withTruncation } from '../model/backbone/truncation.js';
import { Progress } from './progress.js';
import { stateLayers } from '../model/unictr/ladder.js';
import { uniCtrConfig } from '../model/unictr/config.js';
import type { Experiment } from './experiment.js';
import { predictRows, validationAuc, type RowSource } from './fit.js';
import { labelsOf, rowsOfDomains } from './batches.js';
import { auc } from './metrics.js';
import { StateStream } from './state_stream.js';

export interface TrainUnit {
  /** Checkpoint subfolder under checkpoints/. */
  key: string;
  /** Shown in logs; the domain for single-domain units. */
  label?: string;
  model: CtrModel;
  /** Manifest domain ids this unit is trained on. */
  domainIds: number[];
  towerOf: (manifestDomainId: number) => number;
  /** Rows of `split` in `domainIds` (default: the unit's own). */
  source(split: SplitName, domainIds?: number[]): RowSource;
}

export interface ZeroShotScorer {
  description: string;
  head: string;
  source(split: SplitName, domainIds: number[]): RowSource;
  score(src: RowSource): Promise<Float64Array>;
}

export interface BuiltModels {
  units: TrainUnit[];
  /**
   * Rows of a split table that is not the run's (new data), with the backbone states or tokens
   * the model needs (Uni-CTR encodes their prompts through the run's backbone and state cache).
   */
  sourceOf(split: SplitColumns, rows: Int32Array): Promise<RowSource>;
  unitFor(manifestDomainId: number): TrainUnit;
  zeroShotScorer(): Promise<ZeroShotScorer>;
  backbone?: Backbone;
  dispose(): void;
}

/** The rows a scoring-only command needs states for. */
export interface EncodeOnly {
  split: SplitName;
  domainIds: number[];
}

type StatesFor = Partial<Record<SplitName, (rows: Int32Array) => TokenStates>>;
type TokensFor = Partial<Record<SplitName, (rows: Int32Array) => BatchTensors['tokens']>>;
type PrefetchFor = Partial<Record<SplitName, (rows: Int32Array) => void>>;
type LengthsFor = Partial<Record<SplitName, (rows: Int32Array) => Int32Array>>;

/**
 * Training rows of one domain under `train.max_train_rows`: the cap is shared among the run's
 * training domains in proportion to their sizes, and each domain keeps a fixed random subset drawn
 * from the experiment seed and the domain's id — the same rows for every model, whichever model
 * (or per-domain unit) trains on them. A domain outside the training set (add-domain) keeps at
 * most `cap` rows. 0 = every row.
 */
export function cappedTrainRows(train: SplitColumns, trainIds: readonly number[], cap: number, seed: number) {
  const all = rowsOfDomains(train, trainIds).length;
  return (id: number): Int32Array => {
    const rows = rowsOfDomains(train, [id]);
    if (cap <= 0 || (trainIds.includes(id) ? all : rows.length) <= cap) return rows;
    const keep = trainIds.includes(id) ? Math.round((cap * rows.length) / all) : cap;
    const order = new Rng(seed * 1009 + id).shuffle(Int32Array.from(rows.keys()));
    return Int32Array.from(order.subarray(0, keep).sort(), (i) => rows[i]!);
  };
}

function sourceFactory(
  splits: Record<SplitName, SplitColumns>,
  own: number[],
  states: StatesFor,
  trainRows: (id: number) => Int32Array,
  tokens: TokensFor = {},
  prefetch: PrefetchFor = {},
  lengths: LengthsFor = {},
) {
  return (split: SplitName, ids: number[] = own): RowSource => ({
    split: splits[split],
    rows: split === 'train' ? concatRows(ids.map(trainRows)) : rowsOfDomains(splits[split], ids),
    states: states[split],
    tokens: tokens[split],
    prefetch: prefetch[split],
    lengths: lengths[split],
  });
}

/** The experiment's backbone; the experiment seed seeds what it initialises (LoRA A matrices). */
export function createRunBackbone(config: Experiment): Promise<Backbone> {
  return createBackbone({ ...config.backbone, seed: config.seed });
}

/** Rows of several domains in split order (as rowsOfDomains returns them). */
function concatRows(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out.sort();
}

export async function buildModels(
  config: Experiment,
  manifest: Manifest,
  splits: Record<SplitName, SplitColumns>,
  trainIds: number[],
  zeroIds: number[],
  /** Further domains whose rows will be scored (add-domain, zero-shot on request). */
  extraIds: number[] = [],
  /** Config file, for error messages. */
  source: ConfigSource = 'config',
  /** Encode only these rows (a command that scores one split of some domains, e.g. zero-shot). */
  only?: EncodeOnly,
  /** Encode the run's own splits up front (false: only new data is scored, via sourceOf). */
  encodeOwnSplits = true,
): Promise<BuiltModels> {
  const kind = modelKind(config.model.name, source);
  const names = trainIds.map((id) => manifest.domains[id]!.name);
  const vocab = manifest.vocab_sizes;
  const bs = config.train.eval_batch_size;
  const trainRows = cappedTrainRows(splits.train, trainIds, config.train.max_train_rows, config.seed);

  if (kind === 'unictr' || kind === 'states') {
    const backbone = await createRunBackbone(config).catch((e: unknown) => {
      // Name the key and the file (or --set) that point at the bad folder.
      if (e instanceof ModelFolderError) throw new ModelFolderError(`${sourceOf(source, 'backbone.path')}: key "backbone.path": ${e.message}`);
      throw e;
    });
    const live = config.backbone.tuning !== 'frozen';
    const model = createModel(config.model, { domains: names, vocab, seed: config.seed, backbone, live, source });
    const layers = (model as CtrModel & { stateLayers: readonly number[] }).stateLayers;
    // A states baseline reads only some layers; it opens the cache a default Uni-CTR would open
    // on the same prompts (plus its layers), so both share one cache folder and one encoding.
    const cacheLayers =
      kind === 'unictr' ? [...layers] : [...new Set([...stateLayers(backbone.numLayers, uniCtrConfig()), ...layers])].sort((a, b) => a - b);
    // By name, so that a DSN added later (add-domain) gets its rows too.
    const towerOf = (d: number) => model.domains.indexOf(manifest.domains[d]!.name);
    const tokens: TokensFor = {};
    const caches: StateCache[] = [];
    const states: StatesFor = {};
    let readTrain: ((rows: Int32Array) => StateBatchArrays) | undefined;
    if (live && config.model.name === 'unictr' && config.model.state_norm === 'standardize') {
      throw new ConfigError(`${sourceOf(source, 'model.state_norm')}: key "model.state_norm": "standardize" is fitted on cached frozen states; with backbone.tuning "${config.backbone.tuning}" use "layer_norm" or "none"`);
    }
    // onnxruntime computes the states when an ONNX export is available (much faster on CPU).
    const newEncoder = async () => withTruncation(await createStateEncoder(config.backbone, backbone), config.backbone.truncation);
    // backbone.cache none: no cache; a worker encodes each batch's rows when they are asked for.
    const stream = live || config.backbone.cache === 'disk' ? null : await startStateStream(config, layers);
    const prefetch: PrefetchFor = {};
    const lengths: LengthsFor = {};
    const encoder = live || !encodeOwnSplits || stream ? null! : await newEncoder();
    const openCache = async (what: string, enc: typeof encoder, prompts: string[]): Promise<StateCache> => {
      // The bar appears once encoding starts: a cache hit draws none.
      let progress: Progress | null = null;
      let cache: StateCache;
      try {
        cache = await openStateCache({
          root: path.resolve(config.backbone.cache_dir),
          encoder: enc,
          prompts,
          maxLength: config.backbone.max_length,
          layers: cacheLayers,
          template: manifest.template.text,
          dtype: ({ int8: 'int8', fp16: 'float16', fp32: 'float32' } as const)[config.backbone.cache_dtype],
          budgetBytes: config.backbone.cache_budget_gb * 1e9,
          onProgress: (done) => {
            progress ??= new Progress(`encoding ${what} prompts`, prompts.length, { unit: 'prompts', loss: false });
            progress.update(done);
          },
        });
      } finally {
        (progress as Progress | null)?.stop();
      }
      if (!cache.built) log.info(`${what} states cached (${prompts.length.toLocaleString('en-US')} prompts)`);
      return cache;
    };
    const liveTokens = (split: SplitColumns) => (rows: Int32Array) => {
      const texts = Array.from(rows, (r) => split.prompt[r]!);
      const t = tokenizeWith((x, m) => backbone.tokenize(x, m), texts, config.backbone.max_length, config.backbone.truncation);
      return {
        inputIds: tf.tensor2d(t.inputIds, [t.batch, t.seqLen], 'int32'),
        attentionMask: tf.tensor2d(t.attentionMask, [t.batch, t.seqLen], 'int32'),
      };
    };
    // Only the rows of the domains this run touches are encoded (training + zero-shot + extra),
    // or, when the caller scores one split only, just the rows it scores; none when only new
    // data will be scored.
    const cachedSplits = live || !encodeOwnSplits || stream ? [] : only ? [only.split] : (['train', 'valid', 'test'] as const);
    for (const s of cachedSplits) {
      // Zero-shot domains are only ever scored on their test rows.
      const active = only ? only.domainIds : [...new Set([...trainIds, ...extraIds, ...(s === 'test' ? zeroIds : [])])];
      const rows = rowsOfDomains(splits[s], active);
      const cacheRow = new Int32Array(splits[s].rows).fill(-1);
      rows.forEach((r, i) => (cacheRow[r] = i));
      const cache = await openCache(s, encoder, Array.from(rows, (r) => splits[s].prompt[r]!));
      caches.push(cache);
      if (s === 'train') readTrain = (want) => cache.read(Int32Array.from(want, (r) => cacheRow[r]!), layers);
      const split = s;
      states[s] = (want) => {
        const idx = Int32Array.from(want, (r) => cacheRow[r]!);
        if (idx.some((i) => i < 0)) throw new Error(`state cache of the ${split} split does not hold some requested rows`);
        return cache.batch(idx, layers);
      };
      lengths[s] = (want) => Int32Array.from(want, (r) => cache.lengths[cacheRow[r]!] ?? 0);
    }
    if (stream) {
      for (const s of ['train', 'valid', 'test'] as const) ({ states: states[s], prefetch: prefetch[s] } = stream.forSplit(splits[s]));
      readTrain = stream.forSplit(splits.train).read;
    }
    // The caches are complete: release the encoder (an onnxruntime session holds its own weights).
    encoder?.dispose?.();
    if (model instanceof UniCtr && readTrain) fitStateNorm(model, trainIds.flatMap((id) => [...trainRows(id)]), readTrain);
    if (live) {
      // LoRA / full tuning: the backbone runs inside every step on freshly tokenized prompts.
      for (const s of ['train', 'valid', 'test'] as const) tokens[s] = liveTokens(splits[s]);
      log.info(`backbone tuning "${config.backbone.tuning}": states are computed live in every step (no cache)`);
    }
    const unit: TrainUnit = {
      key: 'model',
      model,
      domainIds: trainIds,
      towerOf,
      source: sourceFactory(splits, trainIds, states, trainRows, tokens, prefetch, lengths),
    };
    const newRowsSource = async (split: SplitColumns, rows: Int32Array): Promise<RowSource> => {
      if (live) return { split, rows, tokens: liveTokens(split) };
      if (stream) {
        const f = stream.forSplit(split);
        return { split, rows, states: f.states, prefetch: f.prefetch };
      }
      const enc = await newEncoder();
      let cache: StateCache;
      try {
        cache = await openCache('new', enc, Array.from(rows, (r) => split.prompt[r]!));
      } finally {
        enc.dispose?.();
      }
      caches.push(cache);
      const cacheRow = new Int32Array(split.rows).fill(-1);
      rows.forEach((r, i) => (cacheRow[r] = i));
      return { split, rows, states: (want) => cache.batch(Int32Array.from(want, (r) => cacheRow[r]!), layers) };
    };
    return {
      units: [unit],
      unitFor: () => unit,
      sourceOf: newRowsSource,
      backbone,
      zeroShotScorer: async () => ({
        description: kind === 'unictr' ? 'Uni-CTR general network' : 'pooled_lr with the neutral (mean) domain embedding',
        head: 'general',
        source: (split, ids) => unit.source(split, ids),
        score: (src) => predictRows(model, src, towerOf, bs, 'general'),
      }),
      dispose() {
        model.dispose();
        for (const c of caches) c.close();
        void stream?.close();
        backbone.dispose();
      },
    };
  }

  if (kind === 'multi') {
    const model = createModel(config.model, { domains: names, vocab, seed: config.seed, source });
    const towerOf = (d: number) => trainIds.indexOf(d);
    const unit: TrainUnit = { key: 'model', model, domainIds: trainIds, towerOf, source: sourceFactory(splits, trainIds, {}, trainRows) };
    return {
      units: [unit],
      unitFor: () => unit,
      sourceOf: async (split, rows) => ({ split, rows }),
      zeroShotScorer: async () => {
        // The tower with the best validation score (train.monitor) on the training domains' rows.
        const valid = unit.source('valid');
        let best = 0;
        let bestAuc = -Infinity;
        for (let k = 0; k < names.length; k++) {
          const a = validationAuc(valid, await predictRows(model, valid, towerOf, bs, k), config.train.monitor);
          if (a > bestAuc) [best, bestAuc] = [k, a];
        }
        log.info(`zero-shot: using the ${names[best]} tower (validation ${config.train.monitor} ${bestAuc.toFixed(4)})`);
        return {
          description: `tower with the best validation ${config.train.monitor} over the training domains: ${names[best]} (${bestAuc.toFixed(4)})`,
          head: names[best]!,
          source: (split, ids) => unit.source(split, ids),
          score: (src) => predictRows(model, src, towerOf, bs, best),
        };
      },
      dispose: () => model.dispose(),
    };
  }

  // Single-domain baselines: one model per domain, fed only that domain's rows.
  const units: TrainUnit[] = trainIds.map((id, k) => {
    const model = createModel(config.model, { domains: [names[k]!], vocab, seed: config.seed + k, source });
    const towerOf = (d: number) => (d === id ? 0 : -1);
    return {
      key: `domain-${id}`,
      label: names[k],
      model,
      domainIds: [id],
      towerOf,
      source: sourceFactory(splits, [id], {}, trainRows),
    };
  });
  return {
    units,
    unitFor: (d) => units.find((u) => u.domainIds[0] === d)!,
    sourceOf: async (split, rows) => ({ split, rows }),
    zeroShotScorer: async () => {
      const everyTower = () => 0;
      const pooled = sourceFactory(splits, trainIds, {}, trainRows)('valid');
      let best = units[0]!;
      let bestAuc = -Infinity;
      for (const u of units) {
        const a = validationAuc(pooled, await predictRows(u.model, pooled, everyTower, bs, 0), config.train.monitor);
        if (a > bestAuc) [best, bestAuc] = [u, a];
      }
      log.info(`zero-shot: using the ${best.label} model (validation ${config.train.monitor} ${bestAuc.toFixed(4)})`);
      return {
        description: `per-domain model with the best validation ${config.train.monitor} over the training domains: ${best.label} (${bestAuc.toFixed(4)})`,
        head: best.label!,
        source: (split, ids) => sourceFactory(splits, ids, {}, trainRows)(split),
        score: (src) => predictRows(best.model, src, everyTower, bs, 0),
      };
    },
    dispose: () => units.forEach((u) => u.model.dispose()),
  };
}

/** The on-the-fly state source of `backbone.cache: none` for the model's state layers. */
async function startStateStream(config: Experiment, layers: readonly number[]): Promise<StateStream> {
  const stream = await StateStream.start({
    spec: { ...config.backbone, seed: config.seed },
    truncation: config.backbone.truncation,
    maxLength: config.backbone.max_length,
    layers: [...layers],
  });
  log.info(
    `backbone.cache none: frozen states of layers [${layers}] are encoded on the fly in a worker thread, every epoch again; ` +
      `no state cache is written or read and backbone.cache_budget_gb is not applied`,
  );
  return stream;
}

/** Rows of the training sample `state_norm: standardize` is fitted on (evenly spaced, so deterministic). */
const STATE_NORM_ROWS = 2048;

/** Fit a Uni-CTR model's state standardisation (if configured) on up to STATE_NORM_ROWS of its training rows. */
function fitStateNorm(model: UniCtr, rows: readonly number[], read: (rows: Int32Array) => StateBatchArrays): void {
  if (model.config.state_norm !== 'standardize' || rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => a - b);
  const n = Math.min(STATE_NORM_ROWS, sorted.length);
  const sample = Int32Array.from({ length: n }, (_, i) => sorted[Math.floor((i * sorted.length) / n)]!);
  // Chunks of 128 rows keep the float32 copy small (128 × 128 tokens × 512 × 4 B = 32 MB a layer).
  model.fitStateNorm(
    (function* () {
      for (let o = 0; o < n; o += 128) yield read(sample.subarray(o, o + 128));
    })(),
  );
  log.info(`state_norm: standardize fitted on ${n.toLocaleString('en-US')} training rows`);
}
