/**
 * Load a Hugging Face model folder (config.json, model.safetensors or its shards with
 * model.safetensors.index.json, tokenizer.json, tokenizer_config.json) of a BERT-family encoder or a
 * LLaMA decoder as a Backbone. Everything is checked before variables are created, and
 * every failure names the file and, for weights, the tensor.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError, ModelFolderError } from '../../util/errors.js';
import { atomicWriteFile } from '../../util/fs.js';
import { parseBertConfig, readConfigObject, type BertConfig } from './configuration_bert.js';
import { llamaParamCount, parseLlamaConfig } from './configuration_llama.js';
import { openWeights, SafetensorsFile, singleFileSource, type WeightSource } from './weights.js';
import { BertEncoder, bertWeightSpecs } from './modeling_bert.js';
import type { EncoderWeights, WeightSpec } from './tfjs_encoder.js';
import { LlamaEncoder, llamaWeightSpecs } from './modeling_llama.js';
import { checkBackboneFits } from './memory_limit.js';
import { BertTokenizer } from './tokenizer.js';
import { resolveLoraOptions, type LoraOptions } from './lora.js';
import type { TuningMode } from './types.js';

export interface LoadBackboneOptions {
  tuning?: TuningMode;
  lora?: Partial<LoraOptions>;
  /** Fetch a missing folder from the Hugging Face hub (treating `folder` as a model id). */
  allowDownload?: boolean;
  /** Seeds LoRA initialisation and the fallback dropout stream. */
  seed?: number;
}

/** Files every model folder needs; the weights are model.safetensors or an index and its shards. */
export const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** Names a checkpoint may use for an encoder weight: with or without `bert.`, TF-style LayerNorm names. */
function bertCandidateNames(name: string): string[] {
  const names = [name];
  if (name.includes('LayerNorm.')) names.push(name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta'));
  return names.flatMap((n) => [n, `bert.${n}`]);
}

/** LlamaForCausalLM saves the decoder under `model.`, LlamaModel without a prefix. */
function llamaCandidateNames(name: string): string[] {
  return [`model.${name}`, name];
}

/** Read, check and transpose the encoder weights from a safetensors file. */
export function readEncoderWeights(st: SafetensorsFile, cfg: BertConfig): Map<string, { shape: number[]; data: Float32Array }> {
  return readWeights(singleFileSource(st), bertWeightSpecs(cfg), bertCandidateNames);
}

/** Read, check (shape, finiteness) and transpose the weights `specs` lists, as float32. */
export function readWeights(
  src: WeightSource,
  specs: readonly WeightSpec[],
  candidateNames: (name: string) => string[],
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const spec of specs) {
    const cands = candidateNames(spec.name);
    const found = cands.find((n) => src.has(n));
    if (!found) {
      throw new ModelFolderError(`${src.file}: missing tensor "${spec.name}" (looked for ${cands.map((c) => `"${c}"`).join(', ')})`);
    }
    const entry = src.entry(found)!;
    if (entry.shape.length !== spec.hfShape.length || entry.shape.some((d, i) => d !== spec.hfShape[i])) {
      throw new ModelFolderError(
        `${src.fileOf(found)}: tensor "${found}" has shape [${entry.shape.join(', ')}], expected [${spec.hfShape.join(', ')}] from config.json`,
      );
    }
    const { data } = src.getFloat32(found);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new ModelFolderError(`${src.fileOf(found)}: tensor "${found}" contains a non-finite value at index ${i}`);
    }
    if (spec.transpose) {
      const [rows, cols] = spec.hfShape as [number, number];
      const t = new Float32Array(data.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c]!;
      out.set(spec.name, { shape: [cols, rows], data: t });
    } else {
      out.set(spec.name, { shape: spec.hfShape.slice(), data });
    }
  }
  return out;
}

/** Check the folder and its files exist; returns the absolute folder. */
function checkFolder(folder: string): string {
  const abs = path.resolve(folder);
  if (!existsSync(abs)) throw new ModelFolderError(`${folder}: model folder not found`);
  if (!statSync(abs).isDirectory()) throw new ModelFolderError(`${folder}: not a folder (expected a Hugging Face model folder)`);
  for (const f of MODEL_FILES) {
    const p = path.join(folder, f);
    if (existsSync(p)) continue;
    throw new ModelFolderError(`${p}: missing model file (a model folder needs ${MODEL_FILES.join(', ')} and model.safetensors or its shards)`);
  }
  return abs;
}

/** Fetch the model files of hub model `id` into the transformers.js cache folder. */
async function downloadModel(id: string): Promise<string> {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(id)) throw new ModelFolderError(`${id}: model folder not found, and not a valid Hugging Face model id`);
  const { env } = await import('@huggingface/transformers');
  const dir = path.join(env.cacheDir ?? path.join(process.cwd(), '.cache'), 'unictr-models', id);
  for (const f of [...MODEL_FILES, 'model.safetensors']) {
    const target = path.join(dir, f);
    if (existsSync(target)) continue;
    const url = `${env.remoteHost.replace(/\/$/, '')}/${id}/resolve/main/${f}`;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new ModelFolderError(`${url}: download failed (${(e as Error).message})`);
    }
    if (!res.ok) throw new ModelFolderError(`${url}: download failed (HTTP ${res.status})`);
    await atomicWriteFile(target, new Uint8Array(await res.arrayBuffer()));
  }
  return dir;
}

/** Load a BERT-family or LLaMA Hugging Face model folder as a Backbone. */
export async function loadBackbone(folder: string, opts: LoadBackboneOptions = {}): Promise<BertEncoder | LlamaEncoder> {
  const tuning = opts.tuning ?? 'frozen';
  if (!['frozen', 'lora', 'full'].includes(tuning)) throw new ConfigError(`backbone tuning "${String(tuning)}" is not one of frozen, lora, full`);
  let dir = folder;
  if (!existsSync(folder) && opts.allowDownload) dir = await downloadModel(folder);
  const abs = checkFolder(dir);
  const cfgFile = path.join(abs, 'config.json');
  const raw = readConfigObject(cfgFile);
  const isLlama = typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).model_type === 'llama';
  if (isLlama) return loadLlama(abs, parseLlamaConfig(raw as Record<string, unknown>, cfgFile), tuning, opts);
  const cfg = parseBertConfig(raw, cfgFile);
  const f = await readFolder(abs, bertWeightSpecs(cfg), bertCandidateNames);
  const id = `bert-L${cfg.numHiddenLayers}-H${cfg.hiddenSize}-A${cfg.numAttentionHeads}-I${cfg.intermediateSize}-${cfg.hiddenAct}:${f.hash}`;
  return new BertEncoder(cfg, f.weights, encoderOptions(f.tokenizer, id, tuning, opts));
}

/** Tokenizer, weights and content hash (weights + tokenizer.json) of a model folder. */
async function readFolder(abs: string, specs: Parameters<typeof readWeights>[1], names: Parameters<typeof readWeights>[2]) {
  const tokenizer = await BertTokenizer.load(abs);
  const src = openWeights(abs);
  const weights: EncoderWeights = readWeights(src, specs, names);
  const hash = createHash('sha256').update(src.sha256()).update(readFileSync(path.join(abs, 'tokenizer.json'))).digest('hex').slice(0, 16);
  return { tokenizer, weights, hash };
}

function encoderOptions(tokenizer: BertTokenizer, id: string, tuning: TuningMode, opts: LoadBackboneOptions) {
  return {
    tuning,
    lora: resolveLoraOptions(opts.lora),
    id,
    seed: opts.seed ?? 0,
    tokenize: (texts: readonly string[], maxLength: number) => tokenizer.tokenize(texts, maxLength),
  };
}

async function loadLlama(abs: string, cfg: ReturnType<typeof parseLlamaConfig>, tuning: TuningMode, opts: LoadBackboneOptions): Promise<LlamaEncoder> {
  // Before touching the weights: a 1.3B model is 5.2 GB as float32.
  checkBackboneFits(llamaParamCount(cfg), tuning, abs);
  const f = await readFolder(abs, llamaWeightSpecs(cfg), llamaCandidateNames);
  const id = `llama-L${cfg.numHiddenLayers}-H${cfg.hiddenSize}-A${cfg.numAttentionHeads}-KV${cfg.numKeyValueHeads}-I${cfg.intermediateSize}-T${cfg.ropeTheta}:${f.hash}`;
  return new LlamaEncoder(cfg, f.weights, encoderOptions(f.tokenizer, id, tuning, opts));
}
