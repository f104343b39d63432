import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { truncateMiddle, tokenizeWith, withTruncation } from '../../../src/model/backbone/truncation.js';
import { BertTokenizer } from '../../../src/model/backbone/tokenizer.js';
import type { StateEncoder } from '../../../src/model/backbone/encoder_cache.js';
import { ROOT } from '../../helpers/cli.js';

test('truncateMiddle keeps the first quarter and the end of long rows, short rows untouched', () => {
  const t = {
    batch: 2,
    seqLen: 10,
    inputIds: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
  };
  const r = truncateMiddle(t, 8);
  assert.equal(r.seqLen, 8);
  assert.deepEqual(Array.from(r.inputIds.subarray(0, 8)), [1, 2, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(Array.from(r.inputIds.subarray(8)), [11, 12, 13, 0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(r.attentionMask.subarray(8)), [1, 1, 1, 0, 0, 0, 0, 0]);
});

test('middle truncation keeps the end of a real prompt ([SEP] and the price) with the BERT tokenizer', async () => {
  const tok = await BertTokenizer.load(path.join(ROOT, 'test/fixtures/tiny-bert'));
  const prompt =
    "Gift Cards: The user ID is user_12, who clicked product 'a very long title of a gift card with many words in it' & product 'another long title' recently. The ID of current product is product_7, the title is 'Holiday card', the brand is 'Amazon', the price is 25.00$.";
  const right = tokenizeWith((x, m) => tok.tokenize(x, m), [prompt], 24, 'right');
  const middle = tokenizeWith((x, m) => tok.tokenize(x, m), [prompt], 24, 'middle');
  const full = tok.tokenize([prompt], 512);
  assert.equal(right.seqLen, 24);
  assert.equal(middle.seqLen, 24);
  const tail = Array.from(full.inputIds.subarray(full.seqLen - 18));
  assert.deepEqual(Array.from(middle.inputIds.subarray(6)), tail, 'the last 18 tokens survive');
  assert.deepEqual(Array.from(middle.inputIds.subarray(0, 6)), Array.from(full.inputIds.subarray(0, 6)));
  assert.notDeepEqual(Array.from(right.inputIds.subarray(6)), tail);
});

test('a middle-truncating encoder has its own cache identity', () => {
  const enc: StateEncoder = {
    id: 'x',
    numLayers: 1,
    hiddenSize: 2,
    tokenize: () => ({ batch: 0, seqLen: 1, inputIds: new Int32Array(), attentionMask: new Int32Array() }),
    encode: async () => [],
  };
  assert.equal(withTruncation(enc, 'right'), enc);
  assert.equal(withTruncation(enc, 'middle').id, 'x|truncation=middle');
});
