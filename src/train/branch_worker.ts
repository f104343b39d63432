/**
 * Worker side of BranchParallel (branch_parallel.ts): a replica of the Uni-CTR model whose DSN
 * weights are overwritten before every step; it returns the DSN gradients and BatchNorm statistics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogits } from '../model/loss.js';
import { UniCtr } from '../model/unictr/unictr.js';
import { initBackend } from '../runtime/backend.js';
import { Rng } from '../util/rng.js';
import { assignValues, dsnVariables, packValues, type StepReply, type StepRequest, type WorkerInit } from './branch_parallel.js';

const init = workerData as WorkerInit;
const port = parentPort!;
try {
  await initBackend({ backend: init.backend, threads: 1 });
  const model = new UniCtr({ config: init.config, domains: init.domains, hiddenSize: init.hiddenSize, numLayers: init.numLayers, seed: 0 });
  const dsn = dsnVariables(model);
  const trainable = dsn.trainable.map(([, v]) => v);
  port.postMessage({} satisfies StepReply);
  port.on('message', (m: StepRequest) => {
    try {
      const o = assignValues(dsn.trainable, m.weights);
      assignValues(dsn.stats, m.weights, o);
      const [n, t] = m.shape;
      const batch = {
        size: n,
        domainIndex: tf.tensor1d(m.domainIndex, 'int32'),
        states: { layers: m.layers.map((l) => tf.tensor3d(l, m.shape)), mask: tf.tensor2d(m.mask, [n, t]) },
      };
      const labels = tf.tensor1d(m.labels);
      const { value, grads } = tf.variableGrads(
        () => bceWithLogits(model.forwardPart(batch as never, { training: true, rng: new Rng(m.seed) }, 'domains'), labels),
        trainable,
      );
      const loss = value.dataSync()[0]!;
      const flat = new Float32Array(m.weights.length - dsn.stats.reduce((a, [, v]) => a + v.size, 0));
      // A DSN without rows in this batch gets no gradient at all (not zeros), as in the plain step.
      const present = new Uint8Array(trainable.length);
      let off = 0;
      trainable.forEach((v, i) => {
        const g = grads[v.name];
        if (g) {
          flat.set(g.dataSync() as Float32Array, off);
          present[i] = 1;
        }
        off += v.size;
      });
      const stats = packValues(dsn.stats);
      tf.dispose([value, labels, batch.domainIndex, batch.states.mask, ...batch.states.layers, ...Object.values(grads)]);
      port.postMessage({ loss, grads: flat, present, stats } satisfies StepReply, [flat.buffer, stats.buffer] as ArrayBuffer[]);
    } catch (e) {
      port.postMessage({ error: (e as Error).stack ?? String(e) } satisfies StepReply);
    }
  });
} catch (e) {
  port.postMessage({ error: (e as Error).stack ?? String(e) } satisfies StepReply);
}
