import { loadSplit } from './src/data/dataset.js';
import { createUseLiteOnnxEncoder } from './src/model/backbone/use_lite_onnx.js';
const s = await loadSplit('runs/data/amazon-local', 'train');
const all = Array.from({ length: s.rows }, (_, i) => s.prompt[i]!);
const enc = await createUseLiteOnnxEncoder();
let t = performance.now();
for (let i = 0; i < all.length; i += 32) enc.tokenize(all.slice(i, i + 32), 128);
console.log('tokenize all', (performance.now() - t).toFixed(0), 'ms for', all.length);
