import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../../src/runtime/backend.js';
import { OnnxStateEncoder, stateOutputs } from '../../../src/model/backbone/onnx_encoder.js';
import { createStateEncoder } from '../../../src/model/backbone/index.js';
import { openStateCache, type StateEncoder } from '../../../src/model/backbone/encoder_cache.js';
import { ModelFolderError } from '../../../src/util/errors.js';

const TINY_BERT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tiny-bert');
const TEXTS = ['a cheap guitar string set', 'gift card', "Musical Instruments: The user ID is user_3, who clicked product 'capo' recently."];

describe('ONNX state encoder', () => {
  let onnx: OnnxStateEncoder;
  let tfjs: StateEncoder;
  let tmp: string;

  before(async () => {
    await initBackend({ backend: 'cpu' });
    onnx = await OnnxStateEncoder.load(TINY_BERT);
    tfjs = await createStateEncoder({ kind: 'hf', path: TINY_BERT }, undefined, 'tfjs');
    tmp = mkdtempSync(path.join(tmpdir(), 'unictr-onnx-'));
  });

  after(() => {
    onnx.dispose();
    tfjs.dispose?.();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the layer count and width from the export', () => {
    assert.equal(onnx.numLayers, 2);
    assert.equal(onnx.hiddenSize, 32);
    assert.match(onnx.id, /^onnx-L2-H32:[0-9a-f]{16}$/);
  });

  it('matches the tfjs encoder on every layer for a padded batch of unequal lengths', async () => {
    const tok = onnx.tokenize(TEXTS, 64);
    assert.ok(tok.attentionMask.includes(0), 'batch is padded');
    const a = await onnx.encode(tok, [0, 1, 2]);
    const b = await tfjs.encode(tok, [0, 1, 2]);
    const d = 32;
    for (let l = 0; l < 3; l++) {
      for (let p = 0; p < tok.batch * tok.seqLen; p++) {
        if (!tok.attentionMask[p]) {
          assert.ok(a[l]!.subarray(p * d, (p + 1) * d).every((x) => x === 0), 'padding is zero');
          continue;
        }
        for (let j = 0; j < d; j++) {
          const x = a[l]![p * d + j]!;
          const y = b[l]![p * d + j]!;
          assert.ok(Math.abs(x - y) <= 1e-4 * Math.max(1, Math.abs(y)), `H${l} position ${p} dim ${j}: ${x} vs ${y}`);
        }
      }
    }
  });

  it('is chosen for the cache when the folder has an export, and the cache reloads', async () => {
    const enc = await createStateEncoder({ kind: 'hf', path: TINY_BERT });
    assert.equal(enc.id, onnx.id);
    const opts = { root: tmp, encoder: enc, prompts: TEXTS, maxLength: 16, layers: [0, 2] };
    const c1 = await openStateCache(opts);
    assert.equal(c1.built, true);
    c1.close();
    const c2 = await openStateCache(opts);
    assert.equal(c2.built, false);
    assert.ok(Math.max(...c2.lengths) <= 16);
    c2.close();
    enc.dispose?.();
  });

  it('falls back to tfjs without an export, and explains missing or unusable exports', async () => {
    const copy = path.join(tmp, 'no-onnx');
    cpSync(TINY_BERT, copy, { recursive: true });
    rmSync(path.join(copy, 'onnx'), { recursive: true });
    const enc = await createStateEncoder({ kind: 'hf', path: copy });
    assert.match(enc.id, /^bert-/);
    enc.dispose?.();
    await assert.rejects(OnnxStateEncoder.load(copy), (e: unknown) => e instanceof ModelFolderError && /no ONNX export/.test((e as Error).message));
    writeFileSync(path.join(copy, 'model.onnx'), 'not an onnx file');
    await assert.rejects(OnnxStateEncoder.load(copy), (e: unknown) => e instanceof ModelFolderError && /model\.onnx: onnxruntime cannot load it/.test((e as Error).message));
    const fallback = await createStateEncoder({ kind: 'hf', path: copy });
    assert.match(fallback.id, /^bert-/);
    fallback.dispose?.();
  });

  it('checks that hidden_state outputs are 0..L', () => {
    assert.deepEqual(stateOutputs(['hidden_state_0', 'hidden_state_1']), { numLayers: 1 });
    assert.match((stateOutputs(['last_hidden_state']) as { problem: string }).problem, /no hidden_state/);
    assert.match((stateOutputs(['hidden_state_0', 'hidden_state_2']) as { problem: string }).problem, /without gaps/);
  });
});
