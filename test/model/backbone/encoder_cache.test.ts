import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadUseLite, UseLiteBackbone } from '../../../src/model/backbone/use_lite.js';
import {
  backboneStateEncoder,
  cacheBytes,
  decodeInt8Block,
  encodeInt8Block,
  openStateCache,
  StateEncoder,
} from '../../../src/model/backbone/encoder_cache.js';
import { roundToFloat16 } from '../../../src/util/float16.js';
import { ConfigError, DataError } from '../../../src/util/errors.js';

const PROMPTS = [
  "Gift Cards: The user ID is user_3, who clicked nothing recently. The title is 'Amazon gift card', the price is 25.0$.",
  'guitar strings, low price',
  'a cheap guitar string set',
  "Musical Instruments: product_17, the brand is 'Fender'.",
  'ok',
  'gift card for a birthday',
];

describe('frozen state cache', () => {
  let use: UseLiteBackbone;
  let encoder: StateEncoder;
  let root: string;

  before(async () => {
    // wasm: the cache logic is backend-independent and wasm runs the encoder ~20× faster than cpu.
    await initBackend({ backend: 'wasm' });
    use = loadUseLite();
    encoder = backboneStateEncoder(use);
    root = mkdtempSync(path.join(tmpdir(), 'unictr-cache-'));
  });

  after(() => {
    use.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  /** Fresh forward of all prompts in one batch, as float32 arrays per layer. */
  async function fresh(layers: number[], maxLength: number) {
    const tok = use.tokenize(PROMPTS, maxLength);
    return { tok, states: await encoder.encode(tok, layers) };
  }

  it('returns bit-identical states after a reload (float16 rounding of a fresh forward)', async () => {
    const progress: number[] = [];
    const opts = { root, encoder, prompts: PROMPTS, maxLength: 24, layers: [2, 0], template: 't1', batchSize: 6, dtype: 'float16' as const };
    const first = await openStateCache({ ...opts, onProgress: (done: number) => progress.push(done) });
    assert.equal(first.built, true);
    assert.deepEqual(progress, [6]);
    assert.deepEqual(first.layers, [0, 2]);
    first.close();
    const cache = await openStateCache(opts);
    assert.equal(cache.built, false);
    assert.equal(cache.dir, first.dir);

    const { tok, states } = await fresh([0, 2], 24);
    const s = tok.seqLen;
    const d = use.hiddenSize;
    const rows = Int32Array.from([4, 0, 2, 0]);
    const got = cache.read(rows, [2, 0]);
    assert.equal(got.seqLen, Math.max(...Array.from(rows, (r) => cache.lengths[r]!)));
    [2, 0].forEach((layer, k) => {
      const ref = roundToFloat16(states[layer === 0 ? 0 : 1]!);
      rows.forEach((r, i) => {
        const len = cache.lengths[r]!;
        assert.equal(len, tok.attentionMask.slice(r * s, (r + 1) * s).reduce((a, b) => a + b, 0));
        for (let t = 0; t < got.seqLen; t++) {
          for (let j = 0; j < d; j++) {
            const v = got.states[k]![(i * got.seqLen + t) * d + j]!;
            const want = t < len ? ref[(r * s + t) * d + j]! : 0;
            if (v !== want) assert.fail(`layer ${layer} row ${r} token ${t} dim ${j}: ${v} !== ${want}`);
          }
          assert.equal(got.mask[i * got.seqLen + t], t < len ? 1 : 0);
        }
      });
    });

    const before = tf.memory().numTensors;
    const ts = cache.batch(rows);
    assert.equal(ts.layers.length, 2);
    assert.deepEqual(ts.layers[0]!.shape, [4, got.seqLen, d]);
    assert.deepEqual(ts.mask.shape, [4, got.seqLen]);
    assert.equal(tf.memory().numTensors, before + 3);
    tf.dispose([...ts.layers, ts.mask]);

    const totalTokens = cache.header.total_tokens;
    assert.equal(cache.bytesPerRow(), (totalTokens * d * 2 * 2 + PROMPTS.length * 4 * 3) / PROMPTS.length);
    cache.close();
  });

  it('stores float32 exactly when asked', async () => {
    const cache = await openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [1], dtype: 'float32', batchSize: 6 });
    const { tok, states } = await fresh([1], 24);
    const got = cache.read(Int32Array.from([1]));
    for (let t = 0; t < cache.lengths[1]!; t++) {
      for (let j = 0; j < 512; j++) assert.equal(got.states[0]![t * 512 + j], states[0]![(tok.seqLen + t) * 512 + j]);
    }
    cache.close();
  });

  it('rebuilds when the template, max length or layer set changes, and reuses otherwise', async () => {
    const base = { root, encoder, prompts: PROMPTS, maxLength: 24, layers: [0, 2], template: 't1', batchSize: 6, dtype: 'float16' as const };
    const dirs = new Set<string>();
    for (const [opts, expectBuilt] of [
      [base, false],
      [{ ...base, template: 't2' }, true],
      [{ ...base, maxLength: 8 }, true],
      [{ ...base, layers: [0, 1, 2] }, true],
      [{ ...base, prompts: [...PROMPTS.slice(1), 'new'] }, true],
      [{ ...base, template: 't2' }, false],
    ] as const) {
      const c = await openStateCache(opts);
      assert.equal(c.built, expectBuilt, JSON.stringify({ ...opts, encoder: undefined, prompts: undefined }));
      dirs.add(c.dir);
      c.close();
    }
    assert.equal(dirs.size, 5);
    const short = await openStateCache({ ...base, maxLength: 8 });
    assert.ok(Math.max(...short.lengths) <= 8);
    short.close();
    // No temp folders are left behind.
    assert.ok(readdirSync(root).every((n) => !n.startsWith('.')), readdirSync(root).join(', '));
  });

  it('detects a truncated file and rebuilds; a corrupted block is a clear error', async () => {
    const opts = { root, encoder, prompts: PROMPTS, maxLength: 24, layers: [0, 2], template: 't1', batchSize: 6, dtype: 'float16' as const };
    const c = await openStateCache(opts);
    const file = path.join(c.dir, 'layer_2.f16');
    c.close();
    truncateSync(file, statSync(file).size - 100);
    const rebuilt = await openStateCache(opts);
    assert.equal(rebuilt.built, true);
    assert.equal(statSync(file).size, rebuilt.header.files['layer_2.f16']);
    rebuilt.read(Int32Array.from([0, 1, 2, 3, 4, 5]));
    rebuilt.close();

    // Flip bytes inside row 3's block of layer 0 (same size, so only the checksum can tell).
    const offsetTokens = rebuilt.lengths.slice(0, 3).reduce((a, b) => a + b, 0);
    const fd = openSync(path.join(rebuilt.dir, 'layer_0.f16'), 'r+');
    writeSync(fd, Buffer.from([0x12, 0x34, 0x56, 0x78]), 0, 4, offsetTokens * 512 * 2 + 10);
    closeSync(fd);
    const corrupt = await openStateCache(opts);
    assert.equal(corrupt.built, false);
    corrupt.read(Int32Array.from([2, 4]), [0]);
    assert.throws(() => corrupt.read(Int32Array.from([3]), [0]), (e: unknown) => e instanceof DataError && /layer_0\.f16 is corrupt at row 3/.test((e as Error).message));
    corrupt.close();
  });

  it('int8 (the default) stores each token as absmax-scaled int8: error ≤ half a step, a quarter of float32 on disk', async () => {
    const cache = await openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [0, 2], batchSize: 6 });
    assert.equal(cache.header.dtype, 'int8');
    const { tok, states } = await fresh([0, 2], 24);
    const d = use.hiddenSize;
    const rows = Int32Array.from([0, 4, 5]);
    const got = cache.read(rows);
    [0, 1].forEach((k) => {
      rows.forEach((r, i) => {
        for (let t = 0; t < cache.lengths[r]!; t++) {
          const ref = states[k]!.subarray((r * tok.seqLen + t) * d, (r * tok.seqLen + t + 1) * d);
          const step = Math.max(...Array.from(ref, Math.abs)) / 127;
          for (let j = 0; j < d; j++) {
            const err = Math.abs(got.states[k]![(i * got.seqLen + t) * d + j]! - ref[j]!);
            if (err > step * 0.5 * (1 + 1e-5) + 1e-7) assert.fail(`layer ${k} row ${r} token ${t} dim ${j}: error ${err} > half step ${step / 2}`);
          }
        }
      });
    });
    const totalTokens = cache.header.total_tokens;
    assert.equal(cache.bytesPerRow(), (totalTokens * (d + 4) * 2 + PROMPTS.length * 4 * 3) / PROMPTS.length);
    cache.close();
    // Corruption inside a row's int8 block is caught by its checksum.
    const offsetTokens = cache.lengths.slice(0, 2).reduce((a, b) => a + b, 0);
    const fd = openSync(path.join(cache.dir, 'layer_2.i8'), 'r+');
    writeSync(fd, Buffer.from([0x7f]), 0, 1, offsetTokens * (d + 4) + 4 * cache.lengths[2]! + 3);
    closeSync(fd);
    const corrupt = await openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [0, 2], batchSize: 6 });
    assert.throws(() => corrupt.read(Int32Array.from([2])), /layer_2\.i8 is corrupt at row 2/);
    corrupt.close();
  });

  it('encodeInt8Block / decodeInt8Block on hand-computed values', () => {
    const x = Float32Array.from([0.5, -1.27, 0.01, 0, 0, 0]);
    const block = new Uint8Array(2 * 4 + 6);
    encodeInt8Block(x, 0, 2, 3, block);
    assert.ok(Math.abs(new Float32Array(block.buffer, 0, 2)[0]! - 0.01) < 1e-9);
    assert.equal(new Float32Array(block.buffer, 0, 2)[1], 0);
    assert.deepEqual(Array.from(new Int8Array(block.buffer, 8, 6)), [50, -127, 1, 0, 0, 0]);
    const out = new Float32Array(6);
    decodeInt8Block(block, 2, 3, out, 0);
    assert.deepEqual(Array.from(out, (v) => Math.round(v * 1e6) / 1e6), [0.5, -1.27, 0.01, 0, 0, 0]);
  });

  it('prints the size before encoding and refuses a cache over the budget, leaving nothing behind', async () => {
    const before = readdirSync(root).sort();
    let encoded = 0;
    const counting: StateEncoder = { ...encoder, encode: (t, l) => ((encoded += t.batch), encoder.encode(t, l)) };
    const opts = { root, encoder: counting, prompts: PROMPTS, maxLength: 24, layers: [0, 1, 2], template: 'budget', batchSize: 6 };
    await assert.rejects(
      openStateCache({ ...opts, budgetBytes: 1000 }),
      (e: unknown) => e instanceof ConfigError && /state cache would need [\d.]+ kB, over backbone\.cache_budget_gb = 0\.000001/.test((e as Error).message),
    );
    assert.equal(encoded, 0, 'no prompt was encoded');
    assert.deepEqual(readdirSync(root).sort(), before);
    const ok = await openStateCache({ ...opts, budgetBytes: 1e9 });
    assert.equal(ok.built, true);
    assert.equal(Object.values(ok.header.files).reduce((a, b) => a + b, 0), cacheBytes('int8', use.hiddenSize, 3, PROMPTS.length, ok.header.total_tokens));
    ok.close();
  });

  it('rejects bad layer sets and max lengths', async () => {
    await assert.rejects(openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [3] }), ConfigError);
    await assert.rejects(openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 0, layers: [0] }), ConfigError);
    await assert.rejects(openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [] }), ConfigError);
    const c = await openStateCache({ root, encoder, prompts: PROMPTS, maxLength: 24, layers: [0, 2], template: 't1', batchSize: 6 });
    assert.throws(() => c.read(Int32Array.from([0]), [1]), /holds layers \[0,2\], layer 1/);
    assert.throws(() => c.read(Int32Array.from([6])), /row 6 is outside/);
    c.close();
  });
});
