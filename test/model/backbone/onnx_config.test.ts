/**
 * A malformed config.json beside an ONNX export is a ModelFolderError naming the file (it was a
 * SyntaxError reported as an internal error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxStateEncoder } from '../../../src/model/backbone/onnx_encoder.js';
import { ModelFolderError } from '../../../src/util/errors.js';

const TINY_BERT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/tiny-bert');

test('a malformed or non-object config.json beside an ONNX export is a located ModelFolderError', async () => {
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'unictr-onnx-cfg-')), 'model');
  cpSync(TINY_BERT, copy, { recursive: true });
  const cfg = path.join(copy, 'config.json');
  writeFileSync(cfg, '{"hidden_size": 32,');
  await assert.rejects(
    OnnxStateEncoder.load(copy),
    (e: unknown) => e instanceof ModelFolderError && e.message.startsWith(`${cfg}: invalid JSON`),
  );
  writeFileSync(cfg, 'null');
  await assert.rejects(OnnxStateEncoder.load(copy), (e: unknown) => e instanceof ModelFolderError && e.message === `${cfg}: expected a JSON object`);
});
