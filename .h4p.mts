import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '/work/main/src/runtime/backend.js';
import { loadUseLite } from '/work/main/src/model/backbone/use_lite.js';
import { buildUseLiteOnnx, createUseLiteOnnxEncoder } from '/work/main/src/model/backbone/use_lite_onnx.js';
import { writeFileSync } from 'node:fs';
let t = Date.now();
const m = buildUseLiteOnnx();
console.log('build ms', Date.now() - t, m.bytes.length, m.id);
writeFileSync('/tmp/h4/use.onnx', m.bytes);
t = Date.now();
const enc = await createUseLiteOnnxEncoder();
console.log('create ms', Date.now() - t);
await initBackend({ backend: 'cpu' });
const use = loadUseLite();
console.log(use.id === enc.id, use.id);
const texts = ['a cheap guitar string set', 'gift card for a birthday, 25 dollars and more words here to make it long', 'ok'];
const tok = enc.tokenize(texts, 64);
const out = await enc.encode(tok, [0, 1, 2]);
const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');
const ref = use.forward(ids, mask, [0, 1, 2], { training: false }).map((x) => x.dataSync());
for (let l = 0; l < 3; l++) {
  let md = 0, mx = 0;
  for (let i = 0; i < ref[l]!.length; i++) { md = Math.max(md, Math.abs(ref[l]![i]! - out[l]![i]!)); mx = Math.max(mx, Math.abs(ref[l]![i]!)); }
  console.log(l, md, mx, md / mx);
}
