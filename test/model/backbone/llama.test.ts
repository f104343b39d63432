/**
 * The LLaMA decoder against an independent float64 PyTorch forward (scripts/make-test-llama.py,
 * reference.json in the fixture): `unictr embed --all-layers` on the float32 folder and on the
 * sharded float16/bfloat16 copy and through onnxruntime on the script's ONNX export, left- and right-padded batches through forward(), LoRA's trainable
 * set, and the clear errors for unsupported configs and models too large for the backend.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadBackbone } from '../../../src/model/backbone/load.js';
import { parseLlamaConfig, llamaParamCount } from '../../../src/model/backbone/configuration_llama.js';
import { checkBackboneFits } from '../../../src/model/backbone/memory_limit.js';
import { ModelFolderError } from '../../../src/util/errors.js';
import { runCli, ROOT } from '../../helpers/cli.js';

const TINY_LLAMA = path.join(ROOT, 'test', 'fixtures', 'tiny-llama');
const TOL = 1e-4;

interface Reference {
  texts: string[];
  input_ids: number[][];
  hidden_states: number[][][][];
}
const ref = JSON.parse(readFileSync(path.join(TINY_LLAMA, 'reference.json'), 'utf8')) as Reference;
const L = ref.hidden_states.length - 1;

/** Largest |a − ref| over a layer's real tokens, relative to the layer's largest |ref|. */
function layerError(got: (t: number, k: number) => number[], layer: number): number {
  let scale = 0;
  let worst = 0;
  ref.hidden_states[layer]!.forEach((rows) => rows.forEach((row) => row.forEach((x) => (scale = Math.max(scale, Math.abs(x))))));
  ref.hidden_states[layer]!.forEach((rows, t) =>
    rows.forEach((row, k) => {
      const g = got(t, k);
      assert.equal(g.length, row.length);
      row.forEach((x, j) => (worst = Math.max(worst, Math.abs(g[j]! - x))));
    }),
  );
  return worst / scale;
}

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const CASES = [
  ['tfjs, float32 model.safetensors', TINY_LLAMA, 'tfjs'],
  ['tfjs, sharded float16 + bfloat16', path.join(TINY_LLAMA, 'sharded'), 'tfjs'],
  ['onnxruntime, onnx/model.onnx exported by the script', TINY_LLAMA, 'onnx'],
] as const;

for (const [what, folder, engine] of CASES) {
  test(`unictr embed --all-layers equals the PyTorch reference (${what})`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'llama-embed-'));
    try {
      const out = path.join(dir, 'states.json');
      // Batch size 4: the first batch pads texts of 4 to 50 tokens.
      const r = runCli(['embed', '--model', folder, '--text', path.join(TINY_LLAMA, 'texts.txt'), '--out', out, '--all-layers', '--batch-size', '4', '--engine', engine, '--backend', 'cpu']);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(readFileSync(out, 'utf8')) as { input_ids: number[][]; hidden_states: number[][][][] };
      assert.deepEqual(got.input_ids, ref.input_ids, 'token ids (BOS first, byte fallback for € é ê —)');
      assert.equal(got.hidden_states.length, L + 1);
      for (let l = 0; l <= L; l++) {
        const e = layerError((t, k) => got.hidden_states[l]![t]![k]!, l);
        assert.ok(e <= TOL, `layer ${l}: relative error ${e} > ${TOL}`);
      }
      const pooled = path.join(dir, 'pooled.json');
      const p = runCli(['embed', '--model', folder, '--text', path.join(TINY_LLAMA, 'texts.txt'), '--out', pooled, '--engine', engine, '--backend', 'cpu']);
      assert.equal(p.code, 0, p.stderr);
      const vec = JSON.parse(readFileSync(pooled, 'utf8')) as { pooling: string; embeddings: number[][] };
      assert.equal(vec.pooling, 'last token');
      vec.embeddings.forEach((v, t) => {
        const lastRow = ref.hidden_states[L]![t]![ref.input_ids[t]!.length - 1]!;
        v.forEach((x, j) => assert.ok(Math.abs(x - lastRow[j]!) <= 1e-4 * (1 + Math.abs(lastRow[j]!)), `text ${t} dim ${j}`));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('left- and right-padded batches give each row the states it has alone (GQA, causal mask)', async () => {
  const bb = await loadBackbone(TINY_LLAMA);
  try {
    assert.equal(bb.numLayers, 2);
    assert.equal(bb.hiddenSize, 64);
    const ids = ref.input_ids;
    const seq = Math.max(...ids.map((r) => r.length)) + 2;
    for (const side of ['left', 'right'] as const) {
      const flat = new Int32Array(ids.length * seq).fill(7);
      const mask = new Int32Array(ids.length * seq);
      const offset = (t: number): number => (side === 'left' ? seq - ids[t]!.length : 0);
      ids.forEach((row, t) => row.forEach((id, k) => {
        flat[t * seq + offset(t) + k] = id;
        mask[t * seq + offset(t) + k] = 1;
      }));
      const outs = bb.forward(tf.tensor2d(flat, [ids.length, seq], 'int32'), tf.tensor2d(mask, [ids.length, seq], 'int32'), [0, 1, 2], { training: false });
      const data = outs.map((o) => o.arraySync() as number[][][]);
      tf.dispose(outs);
      for (let l = 0; l <= L; l++) {
        const e = layerError((t, k) => data[l]![t]![offset(t) + k]!, l);
        assert.ok(e <= TOL, `${side} padding, layer ${l}: relative error ${e} > ${TOL}`);
      }
    }
  } finally {
    bb.dispose();
  }
});

test('LoRA tunes only q_proj/v_proj adapters (r 4), full tunes everything, frozen nothing', async () => {
  const lora = await loadBackbone(TINY_LLAMA, { tuning: 'lora', seed: 1 });
  const names = [...lora.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n).sort();
  assert.deepEqual(names, [0, 1].flatMap((i) => ['q_proj', 'v_proj'].flatMap((p) => [`layers.${i}.self_attn.${p}.lora_A`, `layers.${i}.self_attn.${p}.lora_B`])).sort());
  assert.deepEqual(lora.namedVariables().get('layers.0.self_attn.v_proj.lora_B')!.shape, [4, 32]);
  // B starts at zero: the adapted model starts equal to the pretrained one.
  const ids = tf.tensor2d([ref.input_ids[0]!], [1, 4], 'int32');
  const mask = tf.ones([1, 4], 'int32') as tf.Tensor2D;
  const [h] = lora.forward(ids, mask, [L], { training: false });
  const e = layerError((t, k) => (t === 0 ? (h!.arraySync() as number[][][])[0]![k]! : ref.hidden_states[L]![t]![k]!), L);
  assert.ok(e <= TOL);
  // A gradient step through the LLaMA forward reaches the adapters.
  const opt = tf.train.sgd(0.1);
  opt.minimize(() => tf.sum(lora.forward(ids, mask, [L], { training: true })[0]!) as tf.Scalar, false, lora.trainableVariables());
  assert.ok(tf.sum(tf.abs(lora.namedVariables().get('layers.1.self_attn.q_proj.lora_B')!)).arraySync() as number > 0);
  tf.dispose([ids, mask, h!]);
  lora.dispose();
  const full = await loadBackbone(TINY_LLAMA, { tuning: 'full' });
  assert.equal(full.trainableVariables().length, full.namedVariables().size);
  full.dispose();
  const frozen = await loadBackbone(TINY_LLAMA);
  assert.equal(frozen.trainableVariables().length, 0);
  frozen.dispose();
});

function copyFolder(edit: (cfg: Record<string, unknown>) => void, src = TINY_LLAMA): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'llama-bad-')), 'model');
  cpSync(src, dir, { recursive: true });
  const f = path.join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
  edit(cfg);
  writeFileSync(f, JSON.stringify(cfg));
  return dir;
}

test('unsupported configs and broken shards fail with a clear error naming the file and key', async () => {
  const cases: [(c: Record<string, unknown>) => void, RegExp][] = [
    [(c) => (c.rope_scaling = { rope_type: 'linear', factor: 2 }), /config\.json: "rope_scaling" "linear" is not supported/],
    [(c) => (c.num_key_value_heads = 3), /config\.json: num_attention_heads \(4\) is not a multiple of num_key_value_heads \(3\)/],
    [(c) => (c.attention_bias = true), /config\.json: "attention_bias": true is not supported/],
    [(c) => (c.hidden_act = 'gelu'), /config\.json: hidden_act "gelu" is not supported/],
    [(c) => (c.model_type = 'deberta-v2'), /config\.json: model_type "deberta-v2" is not supported \(DeBERTa-v2\/v3 use disentangled/],
    [(c) => (c.intermediate_size = 100), /model\.safetensors: tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[172, 64\], expected \[100, 64\]/],
  ];
  for (const [edit, re] of cases) {
    const dir = copyFolder(edit);
    await assert.rejects(loadBackbone(dir), (e: Error) => e instanceof ModelFolderError && re.test(e.message), String(re));
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
  const sharded = copyFolder(() => {}, path.join(TINY_LLAMA, 'sharded'));
  rmSync(path.join(sharded, 'model-00002-of-00002.safetensors'));
  await assert.rejects(loadBackbone(sharded), /model-00002-of-00002\.safetensors: shard listed in .*model\.safetensors\.index\.json is missing/);
  rmSync(path.dirname(sharded), { recursive: true, force: true });
});

test('a 1.3B model is refused up front on wasm (4 GiB heap), naming size and limit', () => {
  // Sheared-LLaMA-1.3B's config.json.
  const cfg = parseLlamaConfig(
    { model_type: 'llama', hidden_size: 2048, intermediate_size: 5504, num_hidden_layers: 24, num_attention_heads: 16, num_key_value_heads: 16, vocab_size: 32000, max_position_embeddings: 4096 },
    'sheared/config.json',
  );
  const params = llamaParamCount(cfg);
  assert.ok(Math.abs(params - 1.28e9) < 0.02e9, `parameter count ${params}`);
  assert.throws(() => checkBackboneFits(params, 'lora', 'sheared', 'wasm'), (e: Error) => e instanceof ModelFolderError && /sheared: 1\.28B parameters need 4\.8 GiB as float32, more than the wasm backend heap limit \(4 GiB, 0\.5 GiB of it kept for activations\); use --backend node or gpu/.test(e.message));
  // TinyLlama-1.1B: 3.9 GiB fits 4 GiB only without activations, so it is refused too.
  assert.throws(() => checkBackboneFits(1.0345e9, 'frozen', 'tinyllama', 'wasm'), /tinyllama: 1\.03B parameters need 3\.9 GiB/);
  checkBackboneFits(params, 'lora', 'sheared', 'tensorflow');
  checkBackboneFits(llamaParamCount(parseLlamaConfig({ model_type: 'llama', hidden_size: 64, intermediate_size: 172, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 439 }, 'x')), 'full', 'tiny', 'wasm');
});
