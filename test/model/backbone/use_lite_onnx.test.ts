import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadUseLite, USE_LITE_MAX_TOKENS, type UseLiteBackbone } from '../../../src/model/backbone/use_lite.js';
import { buildUseLiteOnnx, createUseLiteOnnxEncoder, UseLiteOnnxEncoder } from '../../../src/model/backbone/use_lite_onnx.js';
import { backboneStateEncoder, openStateCache } from '../../../src/model/backbone/encoder_cache.js';
import { createStateEncoder } from '../../../src/model/backbone/index.js';
import { NO_TRUNCATION, type TokenizedBatch } from '../../../src/model/backbone/types.js';
import { ConfigError } from '../../../src/util/errors.js';

/** Prompts shaped like the processed datasets' (template + click history), of very unequal lengths. */
function prompts(): string[] {
  const titles = ['Stainless Steel Watch Band', 'Cotton Crew Socks, 6 Pairs', 'Leather Wallet with RFID Blocking', 'Sunglasses'];
  const history = (n: number) => (n === 0 ? 'nothing' : titles.slice(0, n).map((t) => `'${t}'`).join(', '));
  const p = (user: number, n: number, title: string, price: string) =>
    `Amazon Fashion: The user ID is user_${user}, who clicked ${history(n)} recently. The ID of current product is ` +
    `product_${user * 7}, the title is '${title}', the brand is 'unknown', the price is ${price}$.`;
  return [
    'ok',
    p(1558, 0, 'unknown', '37.40'),
    p(2071, 4, 'Women Summer Floral Maxi Dress with Pockets', '19.99'),
    p(12, 2, 'Men Running Shoes', '64.00'),
    // Longer than the graph's 128-token limit: truncated by tokenize.
    `${p(5, 4, 'Knit Beanie', '9.50')} ${p(6, 4, 'Rain Jacket', '45.00')}`,
  ];
}

/** max |a − b| / max |b| over one layer's real positions; also checks padding is exactly zero. */
function compare(got: Float32Array, ref: Float32Array, tok: TokenizedBatch, d: number, label: string): number {
  assert.equal(got.length, ref.length, `${label}: length`);
  let diff = 0;
  let scale = 0;
  for (let p = 0; p < tok.batch * tok.seqLen; p++) {
    const real = tok.attentionMask[p] === 1;
    for (let j = p * d; j < (p + 1) * d; j++) {
      if (!real) {
        if (got[j] !== 0) assert.fail(`${label}: padded position ${p} is ${got[j]} at element ${j - p * d}, expected 0`);
        continue;
      }
      diff = Math.max(diff, Math.abs(got[j]! - ref[j]!));
      scale = Math.max(scale, Math.abs(ref[j]!));
    }
  }
  assert.ok(scale > 0, `${label}: reference is all zero`);
  return diff / scale;
}

describe('USE-lite on onnxruntime', () => {
  let use: UseLiteBackbone;
  let onnx: UseLiteOnnxEncoder;

  before(async () => {
    // wasm: the cpu backend needs ~25 s for this batch; both are the same tfjs kernels' maths.
    await initBackend({ backend: 'wasm' });
    use = loadUseLite();
    onnx = await createUseLiteOnnxEncoder();
  });

  after(() => {
    use.dispose();
    onnx.dispose();
  });

  it('has the tfjs backbone id and tokenizes identically', () => {
    assert.equal(onnx.id, use.id);
    assert.equal(onnx.numLayers, use.numLayers);
    assert.equal(onnx.hiddenSize, use.hiddenSize);
    for (const maxLength of [16, 64, 512, NO_TRUNCATION]) {
      assert.deepEqual(onnx.tokenize(prompts(), maxLength), use.tokenize(prompts(), maxLength));
    }
    assert.equal(onnx.tokenize(prompts(), 512).seqLen, USE_LITE_MAX_TOKENS);
    assert.throws(() => onnx.tokenize(['x'], 0), ConfigError);
  });

  it('matches UseLiteBackbone on every state, padded batch of unequal lengths', async (t) => {
    const tok = onnx.tokenize(prompts(), 512);
    const lengths = Array.from({ length: tok.batch }, (_, i) => tok.attentionMask.subarray(i * tok.seqLen, (i + 1) * tok.seqLen).reduce((a, b) => a + b, 0));
    assert.ok(Math.min(...lengths) < 5 && Math.max(...lengths) === USE_LITE_MAX_TOKENS, `lengths ${lengths}`);

    const t0 = performance.now();
    const got = await onnx.encode(tok, [0, 1, 2]);
    const tOnnx = performance.now() - t0;
    const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
    const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
    const t1 = performance.now();
    const outs = use.forward(ids, mask, [0, 1, 2], { training: false });
    const ref = outs.map((o) => o.dataSync() as Float32Array);
    const tTfjs = performance.now() - t1;
    tf.dispose([ids, mask, ...outs]);

    for (let l = 0; l < 3; l++) {
      const rel = compare(got[l]!, ref[l]!, tok, use.hiddenSize, `H${l}`);
      assert.ok(rel < 1e-4, `H${l}: relative error ${rel}`);
      t.diagnostic(`H${l}: max relative error ${rel.toExponential(2)}`);
    }
    // A speed note, not an assertion (other processes share the CPU).
    t.diagnostic(`${tok.batch}×${tok.seqLen} tokens: onnxruntime ${tOnnx.toFixed(0)} ms (first run), tfjs ${tf.getBackend()} ${tTfjs.toFixed(0)} ms`);
  });

  it('states do not depend on the batch: a row alone equals the same row in a padded batch', async () => {
    const all = prompts();
    const batch = onnx.tokenize(all, 512);
    const [h2] = await onnx.encode(batch, [2]);
    const row = 2;
    const alone = onnx.tokenize([all[row]!], 512);
    const [h2Alone] = await onnx.encode(alone, [2]);
    const d = onnx.hiddenSize;
    const n = alone.seqLen * d;
    const inBatch = h2!.subarray(row * batch.seqLen * d, row * batch.seqLen * d + n);
    let diff = 0;
    for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(inBatch[i]! - h2Alone![i]!));
    assert.ok(diff < 1e-4, `max difference ${diff}`);
  });

  it('returns only the layers asked, in that order, and rejects bad layers and lengths', async () => {
    const tok = onnx.tokenize(['a cheap guitar string set', 'gift card'], 64);
    const [a2, a0] = await onnx.encode(tok, [2, 0]);
    const [b0, , b2] = await onnx.encode(tok, [0, 1, 2]);
    assert.deepEqual(a2, b2);
    assert.deepEqual(a0, b0);
    await assert.rejects(onnx.encode(tok, [3]), /H0\.\.H2; layer 3/);
    const long: TokenizedBatch = { batch: 1, seqLen: 129, inputIds: new Int32Array(129), attentionMask: new Int32Array(129).fill(1) };
    await assert.rejects(onnx.encode(long, [0]), /at most 128 tokens/);
  });

  it('fills a state cache that the tfjs encoder reuses, row order kept under length-sorted batching', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'use-lite-onnx-cache-'));
    try {
      const opts = { root, prompts: prompts().slice(0, 3), maxLength: 32, layers: [0, 2], dtype: 'float32' as const };
      const a = await openStateCache({ ...opts, encoder: onnx });
      assert.equal(a.built, true);
      a.close();
      const b = await openStateCache({ ...opts, encoder: backboneStateEncoder(use) });
      assert.equal(b.built, false);
      b.close();

      // Built in length-sorted batches of 2: every row must still hold its own prompt's states.
      const texts = prompts();
      const c = await openStateCache({ ...opts, encoder: onnx, prompts: texts, maxLength: 128, batchSize: 2 });
      try {
        assert.equal(c.built, true);
        const got = c.read(Int32Array.from(texts.keys()), [2]);
        const d = onnx.hiddenSize;
        for (let r = 0; r < texts.length; r++) {
          const alone = onnx.tokenize([texts[r]!], 128);
          assert.equal(c.lengths[r], alone.seqLen, `row ${r} token count`);
          const [h2] = await onnx.encode(alone, [2]);
          const block = got.states[0]!.subarray(r * got.seqLen * d, (r * got.seqLen + alone.seqLen) * d);
          let diff = 0;
          for (let i = 0; i < block.length; i++) diff = Math.max(diff, Math.abs(block[i]! - h2![i]!));
          assert.ok(diff < 1e-4, `row ${r}: max difference ${diff} from encoding it alone`);
        }
      } finally {
        c.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is what createStateEncoder picks for use-lite unless tfjs is asked for', async () => {
    const auto = await createStateEncoder({ kind: 'use-lite' }, use);
    assert.ok(auto instanceof UseLiteOnnxEncoder);
    auto.dispose?.();
    const tfjs = await createStateEncoder({ kind: 'use-lite' }, use, 'tfjs');
    assert.ok(!(tfjs instanceof UseLiteOnnxEncoder));
    assert.equal(tfjs.id, use.id);
  });

  it('builds a graph whose outputs are hidden_state_0..2', () => {
    const m = buildUseLiteOnnx();
    assert.equal(m.id, use.id);
    assert.equal(m.hiddenSize, 512);
    assert.ok(m.bytes.length > 20e6, `${m.bytes.length} bytes: every weight is stored`);
  });
});
