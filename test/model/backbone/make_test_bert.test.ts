/** scripts/make-test-bert.ts is deterministic and regenerates the committed fixture byte for byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTestBert, TINY, toWordPiece } from '../../../scripts/make-test-bert.js';
import { TINY_BERT } from './helpers.js';

test('regenerating the tiny fixture gives identical files', async () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'mtb-')), 'tiny');
  await makeTestBert({ ...TINY, out, onnx: false });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    assert.ok(readFileSync(path.join(out, f)).equals(readFileSync(path.join(TINY_BERT, f))), `${f} differs from test/fixtures/tiny-bert`);
  }
  const cfg = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.vocab_size], [2, 32, 4, 37, 30522]);
});

test('vocabulary spelling is converted to WordPiece', () => {
  assert.equal(toWordPiece('\u2581hello'), 'hello');
  assert.equal(toWordPiece('berries'), '##berries');
  assert.equal(toWordPiece('[CLS]'), '[CLS]');
  assert.equal(toWordPiece('\u2581'), '[unused0]');
});
