/**
 * Loading Hugging Face folders: accepted variants (bert. prefix, TF LayerNorm names, F16 weights)
 * and every rejection naming the file and tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadBackbone } from '../../../src/model/backbone/load.js';
import { SafetensorsFile, encodeSafetensors, type TensorToWrite } from '../../../src/model/backbone/weights.js';
import { ModelFolderError } from '../../../src/util/errors.js';
import { TEXTS, TINY_BERT } from './helpers.js';

await initBackend({ backend: 'cpu' });

/** A copy of the tiny model folder, optionally with its weights or config rewritten. */
function copyFolder(edit?: { weights?: (w: Map<string, TensorToWrite>) => void; config?: (c: Record<string, unknown>) => void; remove?: string[] }): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'bert-')), 'model');
  cpSync(TINY_BERT, dir, { recursive: true });
  if (edit?.weights) {
    const st = SafetensorsFile.read(path.join(dir, 'model.safetensors'));
    const w = new Map<string, TensorToWrite>([...st.entries.keys()].map((k) => [k, st.getFloat32(k)]));
    edit.weights(w);
    writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(w));
  }
  if (edit?.config) {
    const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    edit.config(c);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  }
  for (const f of edit?.remove ?? []) rmSync(path.join(dir, f));
  return dir;
}

async function lastState(folder: string): Promise<Float32Array> {
  const bb = await loadBackbone(folder);
  try {
    const b = bb.tokenize(TEXTS, 24);
    return tf.tidy(() => {
      const [h] = bb.forward(tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32'), tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32'), [bb.numLayers], { training: false });
      return h!.dataSync() as Float32Array;
    });
  } finally {
    bb.dispose();
  }
}

test('bert. prefix and TF-style LayerNorm gamma/beta names load to the same model', async () => {
  const ref = await lastState(TINY_BERT);
  const prefixed = copyFolder({
    weights: (w) => {
      for (const [k, v] of [...w]) {
        w.delete(k);
        w.set(`bert.${k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`, v);
      }
      // Heads of a BertForMaskedLM checkpoint are ignored.
      w.set('cls.predictions.bias', { shape: [4], data: new Float32Array(4) });
    },
  });
  assert.deepEqual(await lastState(prefixed), ref);
});

test('id changes with the weights and is stable across loads', async () => {
  const a = await loadBackbone(TINY_BERT);
  const b = await loadBackbone(TINY_BERT);
  const other = copyFolder({ weights: (w) => { w.get('embeddings.LayerNorm.bias')!.data[0]! += 1; } });
  const c = await loadBackbone(other);
  try {
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, c.id);
    assert.match(a.id, /^bert-L2-H32-A4-I37-gelu:[0-9a-f]{16}$/);
  } finally {
    [a, b, c].forEach((x) => x.dispose());
  }
});

test('tokenize: [CLS] … [SEP], right padding to the longest, truncation keeps [SEP]', async () => {
  const bb = await loadBackbone(TINY_BERT);
  try {
    // Ids of bert-base-uncased: the package's README gives "i like strawberries" → 1045 2066 13137 20968.
    const b = bb.tokenize(['i like strawberries', 'Hello, world', TEXTS[1]!], 8);
    assert.equal(b.seqLen, 8);
    assert.deepEqual(Array.from(b.inputIds.subarray(0, 8)), [101, 1045, 2066, 13137, 20968, 102, 0, 0]);
    assert.deepEqual(Array.from(b.attentionMask.subarray(0, 8)), [1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(b.inputIds.subarray(8, 16)), [101, 7592, 1010, 2088, 102, 0, 0, 0]);
    assert.equal(b.inputIds[16], 101);
    assert.equal(b.inputIds[23], 102);
    assert.ok(b.attentionMask.subarray(16, 24).every((m) => m === 1));
    const short = bb.tokenize(['ok', 'a b'], 64);
    assert.equal(short.seqLen, 4, 'padded to the longest in the batch, not to maxLength');
  } finally {
    bb.dispose();
  }
});

function rejects(folder: string, ...patterns: RegExp[]): Promise<void> {
  return assert.rejects(loadBackbone(folder), (e: Error) => {
    assert.ok(e instanceof ModelFolderError, `expected ModelFolderError, got ${e.name}: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('bad folders: missing folder and files', async () => {
  await rejects('/nonexistent/model-folder', /\/nonexistent\/model-folder: model folder not found/);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    const dir = copyFolder({ remove: [f] });
    await rejects(dir, new RegExp(`${path.join(dir, f).replace(/[.]/g, '\\.')}: missing`));
  }
  const pt = copyFolder({ remove: ['model.safetensors'] });
  writeFileSync(path.join(pt, 'pytorch_model.bin'), 'x');
  await rejects(pt, /model\.safetensors: missing; only safetensors weights are supported/);
});

test('bad folders: config problems name config.json and the key', async () => {
  await rejects(copyFolder({ config: (c) => { c.model_type = 'roberta'; } }), /config\.json: model_type "roberta" is not supported \(RoBERTa/);
  await rejects(copyFolder({ config: (c) => { c.model_type = 'distilbert'; } }), /config\.json: model_type "distilbert" is not supported/);
  await rejects(copyFolder({ config: (c) => { c.model_type = 'gpt2'; } }), /config\.json: model_type "gpt2" is not supported; supported: "bert"/);
  await rejects(copyFolder({ config: (c) => { delete c.model_type; } }), /config\.json: missing "model_type"/);
  await rejects(copyFolder({ config: (c) => { c.architectures = ['GPT2LMHeadModel']; } }), /config\.json: architecture "GPT2LMHeadModel" is not a BERT architecture/);
  await rejects(copyFolder({ config: (c) => { c.num_attention_heads = 5; } }), /config\.json: hidden_size \(32\) is not a multiple of num_attention_heads \(5\)/);
  await rejects(copyFolder({ config: (c) => { c.hidden_act = 'swish'; } }), /config\.json: hidden_act "swish" is not supported/);
  await rejects(copyFolder({ config: (c) => { c.num_hidden_layers = 'two'; } }), /config\.json: "num_hidden_layers" must be a non-negative integer, got "two"/);
  const broken = copyFolder();
  writeFileSync(path.join(broken, 'config.json'), '{ nope');
  await rejects(broken, /config\.json: invalid JSON/);
});

test('bad folders: weight problems name model.safetensors and the tensor', async () => {
  await rejects(
    copyFolder({ weights: (w) => w.delete('encoder.layer.1.attention.self.value.weight') }),
    /model\.safetensors: missing tensor "encoder\.layer\.1\.attention\.self\.value\.weight"/,
  );
  await rejects(
    copyFolder({ weights: (w) => w.set('encoder.layer.0.intermediate.dense.weight', { shape: [36, 32], data: new Float32Array(36 * 32) }) }),
    /model\.safetensors: tensor "encoder\.layer\.0\.intermediate\.dense\.weight" has shape \[36, 32\], expected \[37, 32\]/,
  );
  // More layers in config.json than in the weights.
  await rejects(copyFolder({ config: (c) => { c.num_hidden_layers = 3; } }), /missing tensor "encoder\.layer\.2\.attention\.self\.query\.weight"/);
  await rejects(
    copyFolder({ weights: (w) => { w.get('embeddings.LayerNorm.weight')!.data[3] = NaN; } }),
    /tensor "embeddings\.LayerNorm\.weight" contains a non-finite value at index 3/,
  );
  const truncated = copyFolder();
  const bytes = readFileSync(path.join(truncated, 'model.safetensors'));
  writeFileSync(path.join(truncated, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
  await rejects(truncated, /model\.safetensors: not a valid safetensors file/);
});
