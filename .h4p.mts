import { initBackend } from './src/runtime/backend.js';
import { loadUseLite } from './src/model/backbone/use_lite.js';
import { createUseLiteOnnxEncoder } from './src/model/backbone/use_lite_onnx.js';
import { backboneStateEncoder, type StateEncoder } from './src/model/backbone/encoder_cache.js';
import { loadSplit } from './src/data/dataset.js';
import { loadavg } from 'node:os';
const split = await loadSplit('runs/data/amazon-local', 'train');
const all = Array.from({ length: split.rows }, (_, i) => split.prompt[i]!);
await initBackend({ backend: 'wasm' });
const use = loadUseLite();
// padding waste of row-order batches of 32 over the whole split
let real = 0, padded = 0, sortedPadded = 0;
const lens = all.map((p) => Math.min(128, use.tokenizer.encode(p).length));
for (let s = 0; s < lens.length; s += 32) { const b = lens.slice(s, s + 32); real += b.reduce((a, c) => a + c, 0); padded += Math.max(...b) * b.length; }
const sorted = [...lens].sort((a, b) => a - b);
for (let s = 0; s < sorted.length; s += 32) { const b = sorted.slice(s, s + 32); sortedPadded += Math.max(...b) * b.length; }
console.log(`rows ${lens.length} mean len ${(real / lens.length).toFixed(1)} max ${Math.max(...lens)} min ${Math.min(...lens)}; row-order padded/real ${(padded / real).toFixed(3)}, sorted ${(sortedPadded / real).toFixed(3)}`);
const prompts = all.slice(0, 256);
const mode = process.argv[2] ?? 'both';
async function bench(name: string, enc: StateEncoder) {
  await enc.encode(enc.tokenize(prompts.slice(0, 4), 128), [0, 1, 2]); // warm-up (session build)
  const t0 = performance.now();
  let tokens = 0;
  for (let s = 0; s < prompts.length; s += 32) {
    const tok = enc.tokenize(prompts.slice(s, s + 32), 128);
    tokens += tok.batch * tok.seqLen;
    await enc.encode(tok, [0, 1, 2]);
  }
  const sec = (performance.now() - t0) / 1000;
  console.log(`${name}: ${prompts.length} prompts in ${sec.toFixed(2)} s = ${(prompts.length / sec).toFixed(1)} prompts/s (${tokens} padded tokens), load ${loadavg()[0]!.toFixed(2)}`);
}
if (mode !== 'tfjs') {
  let t = performance.now();
  const onnx = await createUseLiteOnnxEncoder();
  console.log(`create ${(performance.now() - t).toFixed(0)} ms`);
  await bench('onnxruntime (2 threads)', onnx);
  onnx.dispose();
  const one = await createUseLiteOnnxEncoder({ threads: 1 });
  await bench('onnxruntime (1 thread)', one);
  one.dispose();
}
if (mode !== 'onnx') await bench('tfjs wasm', backboneStateEncoder(use));
