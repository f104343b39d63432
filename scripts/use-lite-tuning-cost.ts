/**
 * What one training step of a tuned USE-lite costs (docs/training.md, finding 27): the time of a
 * forward pass and of a forward and backward pass over one batch of magazine-like prompts, with the
 * gradient taken with respect to every trainable variable of `backbone.tuning` lora and full.
 * Nothing is trained or written.
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
for (const tuning of ['lora', 'full'] as const) {
  const tuned = loadUseLite({ tuning, seed: 1 });
  const vars = tuned.trainableVariables();
  await median(`forward + backward, tuning ${tuning} (${vars.length} variables)`, async () => {
    const g = tf.variableGrads(() => tf.tidy(() => tf.sum(tuned.forward(ids, mask, [2], { training: true })[0]!) as tf.Scalar), vars);
    await Object.values(g.grads)[0]!.data();
    tf.dispose(g.grads);
    g.value.dispose();
  });
  tuned.dispose();
}
