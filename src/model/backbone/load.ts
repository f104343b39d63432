/**
 * Load a Hugging Face BERT-family model folder (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json) as a Backbone. Everything is checked before variables are created, and
 * every failure names the file and, for weights, the tensor.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { ConfigError, ModelFolderError } from '../../util/errors.js';
import { atomicWriteFile } from '../../util/fs.js';
import { readBertConfig, type BertConfig } from './configuration_bert.js';
import { SafetensorsFile } from './weights.js';
import { BertEncoder, bertWeightSpecs, type EncoderWeights } from './modeling_bert.js';
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

export const MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** Names a checkpoint may use for an encoder weight: with or without `bert.`, TF-style LayerNorm names. */
function candidateNames(name: string): string[] {
  const names = [name];
  if (name.includes('LayerNorm.')) names.push(name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta'));
  return names.flatMap((n) => [n, `bert.${n}`]);
}

/** Read, check and transpose the encoder weights from a safetensors file. */
export function readEncoderWeights(st: SafetensorsFile, cfg: BertConfig): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const spec of bertWeightSpecs(cfg)) {
    const cands = candidateNames(spec.name);
    const found = cands.find((n) => st.has(n));
    if (!found) {
      throw new ModelFolderError(`${st.file}: missing tensor "${spec.name}" (looked for ${cands.map((c) => `"${c}"`).join(', ')})`);
    }
    const entry = st.entries.get(found)!;
    if (entry.shape.length !== spec.hfShape.length || entry.shape.some((d, i) => d !== spec.hfShape[i])) {
      throw new ModelFolderError(
        `${st.file}: tensor "${found}" has shape [${entry.shape.join(', ')}], expected [${spec.hfShape.join(', ')}] from config.json`,
      );
    }
    const { data } = st.getFloat32(found);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) throw new ModelFolderError(`${st.file}: tensor "${found}" contains a non-finite value at index ${i}`);
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
    if (f === 'model.safetensors' && existsSync(path.join(folder, 'pytorch_model.bin'))) {
      throw new ModelFolderError(`${p}: missing; only safetensors weights are supported (the folder has pytorch_model.bin; convert it with the safetensors library)`);
    }
    throw new ModelFolderError(`${p}: missing model file (a model folder needs ${MODEL_FILES.join(', ')})`);
  }
  return abs;
}

/** Fetch the model files of hub model `id` into the transformers.js cache folder. */
async function downloadModel(id: string): Promise<string> {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(id)) throw new ModelFolderError(`${id}: model folder not found, and not a valid Hugging Face model id`);
  const { env } = await import('@huggingface/transformers');
  const dir = path.join(env.cacheDir ?? path.join(process.cwd(), '.cache'), 'unictr-models', id);
  for (const f of MODEL_FILES) {
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

/** Load a BERT-family Hugging Face model folder as a Backbone. */
export async function loadBackbone(folder: string, opts: LoadBackboneOptions = {}): Promise<BertEncoder> {
  const tuning = opts.tuning ?? 'frozen';
  if (!['frozen', 'lora', 'full'].includes(tuning)) throw new ConfigError(`backbone tuning "${String(tuning)}" is not one of frozen, lora, full`);
  let dir = folder;
  if (!existsSync(folder) && opts.allowDownload) dir = await downloadModel(folder);
  const abs = checkFolder(dir);
  const cfg = readBertConfig(path.join(abs, 'config.json'));
  const tokenizer = await BertTokenizer.load(abs);
  const st = SafetensorsFile.read(path.join(abs, 'model.safetensors'));
  const weights: EncoderWeights = readEncoderWeights(st, cfg);
  const hash = createHash('sha256').update(st.sha256()).update(readFileSync(path.join(abs, 'tokenizer.json'))).digest('hex').slice(0, 16);
  const id = `bert-L${cfg.numHiddenLayers}-H${cfg.hiddenSize}-A${cfg.numAttentionHeads}-I${cfg.intermediateSize}-${cfg.hiddenAct}:${hash}`;
  return new BertEncoder(cfg, weights, {
    tuning,
    lora: resolveLoraOptions(opts.lora),
    id,
    seed: opts.seed ?? 0,
    tokenize: (texts, maxLength) => tokenizer.tokenize(texts, maxLength),
  });
}
