/**
 * LLaMA configuration read from a Hugging Face `config.json` (LlamaConfig: LLaMA 1/2, Sheared-LLaMA,
 * TinyLlama, OpenLLaMA), validated before any weight is touched. Defaults are Hugging Face's.
 */
import { ModelFolderError } from '../../util/errors.js';

export interface LlamaConfig {
  modelType: 'llama';
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Grouped-query attention: heads share key/value heads in groups of heads / kvHeads. */
  numKeyValueHeads: number;
  /** Per-head width (config `head_dim`, default hidden_size / num_attention_heads). */
  headDim: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  attentionDropout: number;
  bosTokenId: number | null;
  padTokenId: number | null;
}

const DEFAULTS: Omit<LlamaConfig, 'modelType' | 'numKeyValueHeads' | 'headDim'> = {
  vocabSize: 32000,
  hiddenSize: 4096,
  intermediateSize: 11008,
  numHiddenLayers: 32,
  numAttentionHeads: 32,
  maxPositionEmbeddings: 2048,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  attentionDropout: 0,
  bosTokenId: 1,
  padTokenId: null,
};

const INT_KEYS = {
  vocabSize: 'vocab_size',
  hiddenSize: 'hidden_size',
  intermediateSize: 'intermediate_size',
  numHiddenLayers: 'num_hidden_layers',
  numAttentionHeads: 'num_attention_heads',
  maxPositionEmbeddings: 'max_position_embeddings',
} as const;

function bad(file: string, msg: string): never {
  throw new ModelFolderError(`${file}: ${msg}`);
}

function positiveInt(obj: Record<string, unknown>, key: string, file: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(file, `"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function positiveNumber(obj: Record<string, unknown>, key: string, file: string, allowZero = false): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    bad(file, `"${key}" must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function tokenId(obj: Record<string, unknown>, key: string, file: string, fallback: number | null): number | null {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (v === null) return null;
  // Some configs list several ids (e.g. several EOS); the first is the one a template uses.
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0) bad(file, `"${key}" must be a non-negative integer, got ${JSON.stringify(v)}`);
  return first;
}

/** Validate a parsed config.json object with model_type "llama"; `file` is only used in messages. */
export function parseLlamaConfig(raw: Record<string, unknown>, file: string): LlamaConfig {
  if (raw.model_type !== 'llama') bad(file, `model_type ${JSON.stringify(raw.model_type)} is not "llama"`);
  const archs = raw.architectures;
  if (archs !== undefined) {
    if (!Array.isArray(archs) || !archs.every((a) => typeof a === 'string')) bad(file, '"architectures" must be a list of strings');
    const wrong = (archs as string[]).filter((a) => !/^Llama/.test(a));
    if (wrong.length > 0) bad(file, `architecture ${wrong.map((a) => `"${a}"`).join(', ')} is not a LLaMA architecture (expected e.g. "LlamaForCausalLM")`);
  }
  // Position scaling (linear, dynamic NTK, llama3, yarn …) changes the rotary frequencies; only the
  // plain rotation is implemented, so a scaled model would silently produce wrong states.
  const scaling = raw.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    const type = typeof scaling === 'object' ? ((scaling as Record<string, unknown>).rope_type ?? (scaling as Record<string, unknown>).type) : scaling;
    bad(file, `"rope_scaling" ${JSON.stringify(type ?? scaling)} is not supported (only unscaled rotary embeddings; remove rope_scaling only if the model was trained without it)`);
  }
  for (const key of ['attention_bias', 'mlp_bias'] as const) {
    if (raw[key] === true) bad(file, `"${key}": true is not supported (LLaMA projections without bias only)`);
  }
  const act = raw.hidden_act;
  if (act !== undefined && act !== 'silu') bad(file, `hidden_act ${JSON.stringify(act)} is not supported (LLaMA uses "silu")`);
  const cfg: LlamaConfig = { modelType: 'llama', ...DEFAULTS, numKeyValueHeads: 0, headDim: 0 };
  for (const [field, key] of Object.entries(INT_KEYS) as [keyof typeof INT_KEYS, string][]) {
    const v = positiveInt(raw, key, file);
    if (v !== undefined) cfg[field] = v;
  }
  cfg.numKeyValueHeads = positiveInt(raw, 'num_key_value_heads', file) ?? cfg.numAttentionHeads;
  cfg.rmsNormEps = positiveNumber(raw, 'rms_norm_eps', file) ?? cfg.rmsNormEps;
  cfg.ropeTheta = positiveNumber(raw, 'rope_theta', file) ?? cfg.ropeTheta;
  cfg.attentionDropout = positiveNumber(raw, 'attention_dropout', file, true) ?? cfg.attentionDropout;
  if (cfg.attentionDropout >= 1) bad(file, `"attention_dropout" must be below 1, got ${cfg.attentionDropout}`);
  cfg.bosTokenId = tokenId(raw, 'bos_token_id', file, cfg.bosTokenId);
  cfg.padTokenId = tokenId(raw, 'pad_token_id', file, cfg.padTokenId);
  const headDim = positiveInt(raw, 'head_dim', file);
  if (headDim === undefined && cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    bad(file, `hidden_size (${cfg.hiddenSize}) is not a multiple of num_attention_heads (${cfg.numAttentionHeads}) and there is no "head_dim"`);
  }
  cfg.headDim = headDim ?? cfg.hiddenSize / cfg.numAttentionHeads;
  if (cfg.headDim % 2 !== 0) bad(file, `head dimension ${cfg.headDim} must be even for rotary embeddings`);
  if (cfg.numAttentionHeads % cfg.numKeyValueHeads !== 0) {
    bad(file, `num_attention_heads (${cfg.numAttentionHeads}) is not a multiple of num_key_value_heads (${cfg.numKeyValueHeads})`);
  }
  return cfg;
}

/** Parameters of the decoder stack (no LM head): for the memory check before loading. */
export function llamaParamCount(cfg: LlamaConfig): number {
  const d = cfg.hiddenSize;
  const q = cfg.numAttentionHeads * cfg.headDim;
  const kv = cfg.numKeyValueHeads * cfg.headDim;
  const perLayer = d * q + 2 * d * kv + q * d + 3 * d * cfg.intermediateSize + 2 * d;
  return cfg.vocabSize * d + cfg.numHiddenLayers * perLayer + d;
}
