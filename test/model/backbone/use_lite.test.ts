import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadUseLite, runUseLiteGraph, UseLiteBackbone, USE_LITE_MAX_TOKENS } from '../../../src/model/backbone/use_lite.js';
import { SentencePieceUnigram } from '../../../src/model/backbone/sentencepiece.js';
import { ConfigError } from '../../../src/util/errors.js';
import { createBackbone } from '../../../src/model/backbone/index.js';
import { cosine } from '../../helpers/vectors.js';


describe('USE-lite backbone', () => {
  let use: UseLiteBackbone;
  let fetchCalls = 0;
  const realFetch = globalThis.fetch;

  before(async () => {
    await initBackend({ backend: 'cpu' });
    // Any network access during load or forward would go through fetch; make it fail loudly.
    globalThis.fetch = (async () => {
      fetchCalls++;
      throw new Error('network access attempted');
    }) as typeof fetch;
    use = loadUseLite();
  });

  after(() => {
    use.dispose();
    globalThis.fetch = realFetch;
  });

  it('loads from the npm package without network', () => {
    assert.equal(fetchCalls, 0);
    assert.match(use.id, /^use-lite-v\d+@[0-9a-f]{16}$/);
    assert.equal(use.numLayers, 2);
    assert.equal(use.hiddenSize, 512);
    assert.deepEqual(use.trainableVariables(), []);
  });

  it('segments text with SentencePiece unigram Viterbi', () => {
    const pieces = (t: string) => use.tokenizer.encode(t).map((i) => use.tokenizer.pieces[i]);
    assert.deepEqual(pieces('a cheap guitar string set'), ['▁a', '▁cheap', '▁guitar', '▁string', '▁set']);
    assert.deepEqual(pieces('  guitar   strings, low price '), ['▁guitar', '▁string', 's', ',', '▁low', '▁price']);
    assert.deepEqual(pieces(''), []);
    // Characters no piece covers become one unknown id per run.
    const ids = use.tokenizer.encode('東京');
    assert.equal(ids.filter((i) => i === 0).length, 1);
  });

  it('Viterbi prefers the highest total score over greedy longest match', () => {
    // "▁ab" + "c" (−1 −1 = −2) beats "▁abc" alone? No: a single piece scores −3; the split −2 wins.
    const sp = new SentencePieceUnigram(['<unk>', '▁abc', '▁ab', 'c', '▁', 'a', 'b'], [0, -3, -1, -1, -5, -5, -5]);
    assert.deepEqual(sp.encode('abc'), [2, 3]);
    const sp2 = new SentencePieceUnigram(['<unk>', '▁abc', '▁ab', 'c'], [0, -1.5, -1, -1]);
    assert.deepEqual(sp2.encode('abc'), [1]);
  });

  it('tokenize pads to the longest row and caps at 128 tokens', () => {
    const tok = use.tokenize(['gift card', 'a much longer sentence about guitar strings'], 64);
    assert.equal(tok.batch, 2);
    assert.equal(tok.inputIds.length, 2 * tok.seqLen);
    assert.equal(tok.attentionMask.slice(0, tok.seqLen).reduce((a, b) => a + b, 0), 2);
    assert.equal(tok.attentionMask.slice(tok.seqLen).reduce((a, b) => a + b, 0), tok.seqLen);
    const long = use.tokenize(['word '.repeat(400)], 512);
    assert.equal(long.seqLen, USE_LITE_MAX_TOKENS);
    assert.equal(use.tokenize(['word '.repeat(400)], 16).seqLen, 16);
  });

  it('matches the original tfjs graph (executeAsync) on every exposed state, padded batch', async () => {
    const tok = use.tokenize(['a cheap guitar string set', 'gift card for a birthday, 25 dollars', 'ok'], 64);
    const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
    const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
    const mine = use.forward(ids, mask, [0, 1, 2], { training: false });
    const ref = await runUseLiteGraph(tok);
    const m3 = tf.expandDims(tf.cast(mask, 'float32'), 2);
    for (let l = 0; l < 3; l++) {
      assert.deepEqual(mine[l]!.shape, [3, tok.seqLen, 512]);
      const r = tf.mul(ref.states[l]!, m3);
      const diff = tf.max(tf.abs(tf.sub(mine[l]!, r))).dataSync()[0]!;
      const scale = tf.max(tf.abs(r)).dataSync()[0]!;
      assert.ok(diff <= 1e-4 * scale, `H${l}: max abs diff ${diff} vs scale ${scale}`);
      tf.dispose(r);
    }
    const emb = use.sentenceEmbedding(ids, mask);
    const ediff = tf.max(tf.abs(tf.sub(emb, ref.embedding))).dataSync()[0]!;
    assert.ok(ediff < 1e-5, `sentence embedding diff ${ediff}`);
    tf.dispose([ids, mask, m3, emb, ...mine, ...ref.states, ref.embedding]);
  });

  it('padding does not change real positions, and padded positions are zero', () => {
    const short = use.tokenize(['gift card'], 64);
    const both = use.tokenize(['gift card', 'a considerably longer review title with many words in it'], 64);
    const run = (t: typeof short) => {
      const ids = tf.tensor2d(t.inputIds, [t.batch, t.seqLen], 'int32');
      const mask = tf.tensor2d(t.attentionMask, [t.batch, t.seqLen], 'int32');
      const out = use.forward(ids, mask, [2], { training: false })[0]!;
      const data = out.dataSync();
      tf.dispose([ids, mask, out]);
      return data;
    };
    const a = run(short);
    const b = run(both);
    const n = 2 * 512;
    let maxDiff = 0;
    for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    assert.ok(maxDiff < 1e-4, `max diff ${maxDiff}`);
    for (let i = n; i < both.seqLen * 512; i++) assert.ok(b[i] === 0, `padded value ${b[i]} at ${i}`);
  });

  it('places similar sentences closer than unrelated ones (masked mean of H2)', () => {
    const texts = ['a cheap guitar string set', 'guitar strings, low price', 'gift card for a birthday'];
    const tok = use.tokenize(texts, 64);
    const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
    const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'float32');
    const before = tf.memory().numTensors;
    const pooled = tf.tidy(() => {
      const [h2] = use.forward(ids, mask, [2], { training: false });
      return tf.div(tf.sum(h2!, 1), tf.sum(mask, 1, true));
    });
    assert.equal(tf.memory().numTensors, before + 1, 'forward leaked tensors');
    const v = pooled.dataSync() as Float32Array;
    const row = (i: number) => v.slice(i * 512, (i + 1) * 512);
    const near = cosine(row(0), row(1));
    assert.ok(near > cosine(row(0), row(2)), `near ${near}`);
    assert.ok(near > cosine(row(1), row(2)), `near ${near}`);
    tf.dispose([ids, mask, pooled]);
  });

  it('lora starts at the frozen states and trains only biases and adapters; full trains every weight', async () => {
    const tok = use.tokenize(['a cheap guitar string set', 'the user bought a lamp'], 16);
    const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
    const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
    const frozen = use.forward(ids, mask, [0, 1, 2], { training: false });
    const maxAbs = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
    const baseline = tf.memory().numTensors;
    for (const tuning of ['lora', 'full'] as const) {
      const tuned = (await createBackbone({ kind: 'use-lite', tuning, lora: { r: 2 }, seed: 3 })) as UseLiteBackbone;
      const names = [...tuned.namedVariables().keys()];
      const trainable = new Set(tuned.trainableVariables().map((v) => names.find((n) => tuned.namedVariables().get(n) === v)!));
      if (tuning === 'lora') {
        // B starts at zero: the states are the frozen ones, bit for bit.
        const start = tuned.forward(ids, mask, [0, 1, 2], { training: false });
        start.forEach((t, i) => assert.deepEqual(Array.from(t.dataSync()), Array.from(frozen[i]!.dataSync()), `H${i}`));
        tf.dispose(start);
        assert.deepEqual([...trainable].filter((n) => !n.endsWith('.bias')).sort(), [0, 1].flatMap((l) => ['query', 'value'].flatMap((t) => [`layers.${l}.attention.${t}.lora_A`, `layers.${l}.attention.${t}.lora_B`])).sort());
        assert.ok(!trainable.has('layers.1.attention.qkv.kernel') && trainable.has('layers.1.attention.qkv.bias'));
      } else {
        assert.equal(trainable.size, names.length);
        assert.ok(names.includes('embeddings.weight') && names.includes('layers.0.ffn2.kernel'));
      }
      // One SGD step on the sum of H2 moves the states; under lora only B gets a gradient at first.
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tuned.forward(ids, mask, [2], { training: true })[0]!) as tf.Scalar));
      const gradOf = (n: string) => grads[tuned.namedVariables().get(n)!.name];
      if (tuning === 'lora') {
        assert.ok(maxAbs(gradOf('layers.1.attention.value.lora_B')!) > 0);
        assert.equal(maxAbs(gradOf('layers.1.attention.value.lora_A')!), 0);
        assert.equal(gradOf('layers.1.attention.qkv.kernel'), undefined);
      } else {
        assert.ok(maxAbs(gradOf('embeddings.weight')!) > 0);
      }
      const sgd = tf.train.sgd(0.1);
      sgd.applyGradients(grads);
      sgd.dispose();
      tf.dispose([value, ...Object.values(grads)]);
      const [after2] = tuned.forward(ids, mask, [2], { training: false });
      assert.ok(tf.tidy(() => maxAbs(tf.sub(after2!, frozen[2]!))) > 1e-4, `${tuning}: the step did not change H2`);
      tf.dispose(after2);
      tuned.dispose();
      assert.equal(tf.memory().numTensors, baseline, `${tuning}: load + dispose leaked tensors`);
    }
    tf.dispose([...frozen, ids, mask]);
  });

  it('rejects unknown layers', async () => {
    const ids = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const mask = tf.tensor2d([[1, 1]], [1, 2], 'int32');
    assert.throws(() => use.forward(ids, mask, [3], { training: false }), /H0..H2; layer 3/);
    tf.dispose([ids, mask]);
  });
});
