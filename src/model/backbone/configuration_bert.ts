/**
 * BERT configuration read from a Hugging Face `config.json`, validated before any weight is touched.
 * Defaults are bert-base-uncased's, as in Hugging Face's BertConfig.
 */
import { readFileSync } from 'node:fs';
import { ModelFolderError } from '../../util/errors.js';

export type HiddenAct = 'gelu' | 'gelu_new' | 'relu';

export interface BertConfig {
  modelType: 'bert';
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** "gelu" is the exact erf form (Hugging Face's default); "gelu_new" the tanh approximation. */
  hiddenAct: HiddenAct;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
}

const DEFAULTS: Omit<BertConfig, 'modelType'> = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
};

/** Model types that look similar but need a different graph or weight naming. */
const NOT_SUPPORTED: Record<string, string> = {
  roberta: 'RoBERTa offsets position ids by padding_idx+1 and has no token types in use',
  xlm_roberta: 'XLM-R uses RoBERTa position ids',
  distilbert: 'DistilBERT uses different weight names (transformer.layer.N.attention.q_lin) and no token types',
  albert: 'ALBERT shares weights across layers and factorises embeddings',
  electra: 'ELECTRA projects embeddings to a different width',
  mpnet: 'MPNet uses relative position buckets',
  deberta: 'DeBERTa uses disentangled relative-position attention, not implemented',
  'deberta-v2': 'DeBERTa-v2/v3 use disentangled relative-position attention, not implemented',
  mistral: 'Mistral uses sliding-window attention; only "llama" decoders are implemented',
};

const HIDDEN_ACTS: readonly string[] = ['gelu', 'gelu_new', 'relu'];

/** Snake-case key in config.json for each field. */
const KEYS: Record<keyof Omit<BertConfig, 'modelType' | 'hiddenAct'>, string> = {
  vocabSize: 'vocab_size',
  hiddenSize: 'hidden_size',
  numHiddenLayers: 'num_hidden_layers',
  numAttentionHeads: 'num_attention_heads',
  intermediateSize: 'intermediate_size',
  hiddenDropoutProb: 'hidden_dropout_prob',
  attentionProbsDropoutProb: 'attention_probs_dropout_prob',
  maxPositionEmbeddings: 'max_position_embeddings',
  typeVocabSize: 'type_vocab_size',
  layerNormEps: 'layer_norm_eps',
  padTokenId: 'pad_token_id',
};

const INTEGER_KEYS = new Set(['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize', 'padTokenId']);

/** Validate a parsed config.json object; `file` is only used in messages. */
export function parseBertConfig(raw: unknown, file: string): BertConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelFolderError(`${file}: expected a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const modelType = obj.model_type;
  if (typeof modelType !== 'string') {
    throw new ModelFolderError(`${file}: missing "model_type" (expected "bert")`);
  }
  if (modelType !== 'bert') {
    const why = NOT_SUPPORTED[modelType];
    throw new ModelFolderError(
      `${file}: model_type "${modelType}" is not supported${why ? ` (${why})` : ''}; supported: "bert" (BERT, TinyBERT, MiniLM checkpoints), "llama" (LLaMA, Sheared-LLaMA, TinyLlama, OpenLLaMA)`,
    );
  }
  const archs = obj.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || !archs.every((a) => typeof a === 'string')) {
      throw new ModelFolderError(`${file}: "architectures" must be a list of strings`);
    }
    const bad = (archs as string[]).filter((a) => !/^Bert/.test(a));
    if (bad.length > 0) {
      throw new ModelFolderError(`${file}: architecture ${bad.map((a) => `"${a}"`).join(', ')} is not a BERT architecture (expected e.g. "BertModel")`);
    }
  }
  const posType = obj.position_embedding_type;
  if (posType !== undefined && posType !== 'absolute') {
    throw new ModelFolderError(`${file}: position_embedding_type "${String(posType)}" is not supported (only "absolute")`);
  }
  const cfg: BertConfig = { modelType: 'bert', ...DEFAULTS };
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (INTEGER_KEYS.has(field) && !Number.isInteger(v))) {
      throw new ModelFolderError(`${file}: "${key}" must be a ${INTEGER_KEYS.has(field) ? 'non-negative integer' : 'non-negative number'}, got ${JSON.stringify(v)}`);
    }
    (cfg[field] as number) = v;
  }
  const act = obj.hidden_act;
  if (act !== undefined) {
    if (typeof act !== 'string' || !HIDDEN_ACTS.includes(act)) {
      throw new ModelFolderError(`${file}: hidden_act ${JSON.stringify(act)} is not supported (expected one of ${HIDDEN_ACTS.join(', ')})`);
    }
    cfg.hiddenAct = act as HiddenAct;
  }
  for (const f of ['hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'vocabSize', 'maxPositionEmbeddings', 'typeVocabSize'] as const) {
    if (cfg[f] < 1) throw new ModelFolderError(`${file}: "${KEYS[f]}" must be at least 1, got ${cfg[f]}`);
  }
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new ModelFolderError(
      `${file}: hidden_size (${cfg.hiddenSize}) is not a multiple of num_attention_heads (${cfg.numAttentionHeads})`,
    );
  }
  return cfg;
}

/** Read and validate `<folder>/config.json`. */
export function readBertConfig(file: string): BertConfig {
  return parseBertConfig(readConfigObject(file), file);
}

/** Read a config.json as parsed JSON; read and JSON errors name the file. */
export function readConfigObject(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelFolderError(`${file}: cannot read config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelFolderError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  return raw;
}

/** The config.json a Hugging Face BertModel would write for `cfg`. */
export function bertConfigToJson(cfg: BertConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { architectures: ['BertModel'], model_type: 'bert', hidden_act: cfg.hiddenAct, position_embedding_type: 'absolute' };
  for (const [field, key] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) out[key] = cfg[field];
  return out;
}
