/**
 * What one training step would cost if USE-lite's weights were tuned instead of read as frozen
 * states (docs/training.md, "Where the bound lies"): the time of a forward pass and of a forward and
 * backward pass over one batch of magazine-like prompts, with the gradient taken with respect to the
 * QKV kernels of the last layer only or of both layers. The kernels are swapped for variables on the
 * loaded backbone; nothing is trained or written.
 *
 *   npx tsx scripts/use-lite-tuning-cost.ts [backend=wasm] [batch=64] [tokens=64]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/runtime/backend.js';
import { loadUseLite } from '../src/model/backbone/use_lite.js';
import type { BackendChoice } from '../src/runtime/backend.js';

const [backend = 'wasm', batchArg = '64', tokensArg = '64'] = process.argv.slice(2);
await initBackend({ backend: backend as BackendChoice, threads: 1 });
const use = loadUseLite();
const batch = Number(batchArg);
const texts = Array.from(
  { length: batch },
  (_, i) =>
    `Fashion & Style: The user ID is user_${i * 7919}, who clicked nothing recently. The ID of current magazine is product_B00${i}XYZ, it is 'a monthly magazine about style, fashion, beauty and the people who make them', the publisher is 'Conde Nast'.`,
);
const tok = use.tokenize(texts, Number(tokensArg));
const ids = tf.tensor2d(tok.inputIds, [tok.batch, tok.seqLen], 'int32');
const mask = tf.tensor2d(tok.attentionMask, [tok.batch, tok.seqLen], 'int32');

async function median(label: string, f: () => Promise<void>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await f();
    if (i > 0) ms.push(performance.now() - t); // the first call warms kernels up
  }
  ms.sort((a, b) => a - b);
  console.log(`${label.padEnd(40)} ${(ms[1]! / 1000).toFixed(2)} s`);
}

console.log(`backend ${tf.getBackend()}, batch ${tok.batch} × ${tok.seqLen} tokens`);
await median('forward (H0, H1, H2)', async () => {
  const o = use.forward(ids, mask, [0, 1, 2], { training: false });
  await o[2]!.data();
  tf.dispose(o);
});
// The weights are plain tensors of a frozen backbone; variables in their place make them tunable here.
const layers = (use as unknown as { weights: { layers: { qkvKernel: tf.Tensor2D }[] } }).weights.layers;
for (const [label, tuned] of [
  ['forward + backward, last layer tuned', [1]],
  ['forward + backward, both layers tuned', [0, 1]],
] as const) {
  for (const l of tuned) if (!(layers[l]!.qkvKernel instanceof tf.Variable)) layers[l]!.qkvKernel = tf.variable(layers[l]!.qkvKernel);
  await median(label, async () => {
    const g = tf.variableGrads(() => tf.tidy(() => tf.sum(use.forward(ids, mask, [2], { training: true })[0]!) as tf.Scalar));
    await Object.values(g.grads)[0]!.data();
    tf.dispose(g.grads);
    g.value.dispose();
  });
}
