/**
 * One factory for every backbone an experiment can name: the embedded USE-lite graph or a
 * Hugging Face model folder (BERT family or LLaMA decoder).
 */
import type { Backbone, TuningMode } from './types.js';
import type { LoraOptions } from './lora.js';
import { ConfigError, ModelFolderError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { backboneStateEncoder, type StateEncoder } from './encoder_cache.js';

export interface BackboneSpec {
  kind: 'use-lite' | 'hf';
  path?: string;
  tuning?: TuningMode;
  lora?: Partial<LoraOptions>;
  allow_download?: boolean;
  seed?: number;
}

export async function createBackbone(spec: BackboneSpec): Promise<Backbone> {
  if (spec.kind === 'use-lite') {
    const { loadUseLite } = await import('./use_lite.js');
    return loadUseLite({ tuning: spec.tuning ?? 'frozen', lora: spec.lora, seed: spec.seed });
  }
  if (!spec.path) throw new ConfigError('key "backbone.path": required when backbone.kind is "hf"');
  const { loadBackbone } = await import('./load.js');
  return loadBackbone(spec.path, {
    tuning: spec.tuning ?? 'frozen',
    lora: spec.lora,
    allowDownload: spec.allow_download ?? false,
    seed: spec.seed,
  });
}

export type StateEngine = 'auto' | 'onnx' | 'tfjs';

/**
 * The encoder that fills the frozen-state cache for `spec`. Engine "auto": onnxruntime when the
 * Hugging Face folder holds an ONNX export with hidden_state_0..L outputs, or for USE-lite (its graph
 * is written as ONNX in memory, use_lite_onnx.ts) when onnxruntime-node loads — several times faster
 * on CPU — else the tfjs `backbone` (loaded here when not given); "onnx"/"tfjs" force one.
 * $UNICTR_NO_ONNX=1 turns "auto" into "tfjs".
 */
export async function createStateEncoder(spec: BackboneSpec, backbone?: Backbone, engine: StateEngine = 'auto'): Promise<StateEncoder> {
  if (engine === 'auto' && process.env.UNICTR_NO_ONNX) engine = 'tfjs';
  if (spec.kind === 'use-lite' && engine !== 'tfjs') {
    const { createUseLiteOnnxEncoder } = await import('./use_lite_onnx.js');
    try {
      const enc = await createUseLiteOnnxEncoder();
      log.info('state encoder: onnxruntime (USE-lite graph written as ONNX in memory)');
      return enc;
    } catch (e) {
      if (engine === 'onnx' || !(e instanceof ModelFolderError)) throw e;
      log.warn(`${e.message}; computing USE-lite states with the tfjs encoder instead`);
    }
  }
  if (spec.kind === 'hf' && spec.path && engine !== 'tfjs') {
    const { findOnnxFile, OnnxStateEncoder } = await import('./onnx_encoder.js');
    const file = findOnnxFile(spec.path);
    if (engine === 'onnx') return OnnxStateEncoder.load(spec.path);
    if (file) {
      try {
        const enc = await OnnxStateEncoder.load(spec.path);
        log.info(`state encoder: onnxruntime (${file})`);
        return enc;
      } catch (e) {
        if (!(e instanceof ModelFolderError)) throw e;
        log.warn(`${e.message}; computing states with the tfjs encoder instead`);
      }
    }
  }
  if (spec.kind === 'use-lite') log.info('state encoder: tfjs');
  return backbone ? backboneStateEncoder(backbone) : backboneStateEncoder(await createBackbone(spec), true);
}
