/**
 * Tuning modes: a frozen step changes no backbone variable, a LoRA step changes only LoRA matrices
 * and biases, a full step changes every weight; dropout follows the Rng passed in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { loadBackbone } from '../../../src/model/backbone/load.js';
import type { Backbone } from '../../../src/model/backbone/types.js';
import { Rng } from '../../../src/util/rng.js';
import { TEXTS, TINY_BERT } from './helpers.js';

await initBackend({ backend: 'cpu' });

function snapshot(bb: Backbone): Map<string, Float32Array> {
  return new Map([...bb.namedVariables()].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
}

/**
 * Changed backbone variables after `steps` SGD steps of a loss on two layers' states, through a
 * trainable head on top. tf.variableGrads is called without a list, so it differentiates every
 * trainable variable in the process: the backbone's flags alone decide what it updates.
 */
function train(bb: Backbone, steps: number, seed = 3): Set<string> {
  const before = snapshot(bb);
  const b = bb.tokenize(TEXTS, 24);
  const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
  const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
  const target = tf.randomNormal([b.batch, b.seqLen, bb.hiddenSize], 0, 1, 'float32', 5);
  const head = tf.variable(tf.ones([bb.hiddenSize]), true, `test_head_${seed}_${Math.random()}`);
  const byName = new Map<string, tf.Variable>([[head.name, head], ...[...bb.namedVariables().values()].map((v) => [v.name, v] as [string, tf.Variable])]);
  const rng = new Rng(seed);
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => {
      const hs = bb.forward(ids, mask, [bb.numLayers, 1], { training: true, rng });
      return tf.add(tf.mean(tf.square(tf.sub(tf.mul(hs[0]!, head), target))), tf.mean(tf.mul(hs[1]!, target))) as tf.Scalar;
    });
    assert.ok(head.name in grads, 'the head gets a gradient through the backbone');
    for (const [name, g] of Object.entries(grads)) {
      const v = byName.get(name);
      assert.ok(v, `gradient for a variable outside this test: ${name}`);
      v.assign(tf.tidy(() => tf.sub(v, tf.mul(g, 0.5))));
    }
    tf.dispose([value, grads]);
  }
  head.dispose();
  tf.dispose([ids, mask, target]);
  const changed = new Set<string>();
  for (const [k, v] of bb.namedVariables()) {
    const a = before.get(k)!;
    const c = v.dataSync();
    if (a.some((x, i) => x !== c[i])) changed.add(k);
  }
  return changed;
}

// The key bias shifts every score of a query by the same amount, which softmax ignores: its gradient
// is exactly zero in any BERT, so it is the one weight no step can change.
const isKeyBias = (k: string): boolean => /attention\.self\.key\.bias$/.test(k);

test('frozen: no trainable variables, a training step changes nothing', async () => {
  const bb = await loadBackbone(TINY_BERT, { tuning: 'frozen' });
  try {
    assert.equal(bb.trainableVariables().length, 0);
    assert.equal(train(bb, 2).size, 0);
    // Training-mode forward equals eval forward: no dropout on a frozen backbone.
    const b = bb.tokenize(TEXTS, 24);
    const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
    const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
    const [tr] = bb.forward(ids, mask, [2], { training: true, rng: new Rng(1) });
    const [ev] = bb.forward(ids, mask, [2], { training: false });
    assert.deepEqual(tr!.dataSync(), ev!.dataSync());
    tf.dispose([ids, mask, tr!, ev!]);
  } finally {
    bb.dispose();
  }
});

test('lora: only LoRA matrices and biases change; names are stable', async () => {
  const frozen = await loadBackbone(TINY_BERT, { tuning: 'frozen' });
  const bb = await loadBackbone(TINY_BERT, { tuning: 'lora', lora: { r: 2, alpha: 4, dropout: 0.1 }, seed: 9 });
  try {
    const names = [...bb.namedVariables().keys()];
    for (let i = 0; i < bb.numLayers; i++) {
      for (const t of ['query', 'value']) {
        const a = bb.namedVariables().get(`encoder.layer.${i}.attention.self.${t}.lora_A`);
        const b = bb.namedVariables().get(`encoder.layer.${i}.attention.self.${t}.lora_B`);
        assert.deepEqual(a?.shape, [bb.hiddenSize, 2]);
        assert.deepEqual(b?.shape, [2, bb.hiddenSize]);
        assert.ok(b!.dataSync().every((x) => x === 0), 'B starts at zero');
      }
    }
    assert.equal(names.filter((n) => n.includes('lora_')).length, 4 * bb.numLayers);
    assert.ok(!names.some((n) => /key\.lora_|output\.dense\.lora_/.test(n)), 'adapters only on query and value');
    const trainable = new Set(bb.trainableVariables().map((v) => [...bb.namedVariables()].find(([, x]) => x === v)![0]));
    const expected = names.filter((n) => n.endsWith('.bias') || n.includes('.lora_'));
    assert.deepEqual([...trainable].sort(), expected.sort());

    // With B = 0 the adapted model equals the pretrained one.
    const b = bb.tokenize(TEXTS, 24);
    const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
    const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
    const [x0] = bb.forward(ids, mask, [2], { training: false });
    const [y0] = frozen.forward(ids, mask, [2], { training: false });
    assert.deepEqual(x0!.dataSync(), y0!.dataSync());

    const changed = train(bb, 2);
    for (const k of changed) assert.ok(trainable.has(k), `${k} changed but is not trainable in lora mode`);
    for (const k of expected) if (!isKeyBias(k)) assert.ok(changed.has(k), `${k} did not change`);
    const [x1] = bb.forward(ids, mask, [2], { training: false });
    assert.notDeepEqual(x1!.dataSync(), y0!.dataSync());
    tf.dispose([ids, mask, x0!, y0!, x1!]);
  } finally {
    bb.dispose();
    frozen.dispose();
  }
});

test('full: every weight trains', async () => {
  const bb = await loadBackbone(TINY_BERT, { tuning: 'full' });
  try {
    assert.equal(bb.trainableVariables().length, bb.namedVariables().size);
    assert.ok(![...bb.namedVariables().keys()].some((n) => n.includes('lora_')));
    const changed = train(bb, 1);
    for (const k of bb.namedVariables().keys()) if (!isKeyBias(k)) assert.ok(changed.has(k), `${k} did not change`);
  } finally {
    bb.dispose();
  }
});

test('dropout is reproducible from the Rng and off in eval', async () => {
  const bb = await loadBackbone(TINY_BERT, { tuning: 'lora' });
  try {
    const b = bb.tokenize(TEXTS, 24);
    const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
    const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
    const run = (training: boolean, seed?: number): Float32Array =>
      tf.tidy(() => bb.forward(ids, mask, [bb.numLayers], { training, rng: seed === undefined ? undefined : new Rng(seed) })[0]!.dataSync() as Float32Array);
    assert.deepEqual(run(true, 1), run(true, 1));
    assert.notDeepEqual(run(true, 1), run(true, 2));
    assert.deepEqual(run(false), run(false, 5));
    assert.notDeepEqual(run(true, 1), run(false));
    tf.dispose([ids, mask]);
  } finally {
    bb.dispose();
  }
});

test('no tensors leak from forward inside tidy', async () => {
  const bb = await loadBackbone(TINY_BERT, { tuning: 'lora' });
  try {
    const b = bb.tokenize(TEXTS, 24);
    const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
    const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
    const before = tf.memory().numTensors;
    const outs = bb.forward(ids, mask, [0, 1, 2], { training: true, rng: new Rng(1) });
    assert.equal(tf.memory().numTensors, before + 3);
    tf.dispose(outs);
    tf.dispose([ids, mask]);
  } finally {
    bb.dispose();
  }
});

test('full-mode gradients on wasm equal those on cpu', async () => {
  const gradsOn = async (backend: 'cpu' | 'wasm'): Promise<Map<string, Float32Array>> => {
    await initBackend({ backend });
    const bb = await loadBackbone(TINY_BERT, { tuning: 'full' });
    try {
      const b = bb.tokenize(TEXTS, 24);
      const names = new Map([...bb.namedVariables()].map(([k, v]) => [v.name, k]));
      let out = new Map<string, Float32Array>();
      tf.tidy(() => {
        const ids = tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32');
        const mask = tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32');
        const target = tf.tensor3d(Float32Array.from({ length: b.batch * b.seqLen * bb.hiddenSize }, (_, i) => Math.sin(i)), [b.batch, b.seqLen, bb.hiddenSize]);
        const { grads } = tf.variableGrads(() => {
          const [h0, h2] = bb.forward(ids, mask, [0, 2], { training: false });
          return tf.add(tf.mean(tf.mul(h0!, target)), tf.mean(tf.square(tf.sub(h2!, target)))) as tf.Scalar;
        }, bb.trainableVariables());
        out = new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array]));
      });
      return out;
    } finally {
      bb.dispose();
    }
  };
  const cpu = await gradsOn('cpu');
  const wasm = await gradsOn('wasm');
  await initBackend({ backend: 'cpu' });
  assert.equal(wasm.size, cpu.size);
  for (const [name, g] of cpu) {
    const w = wasm.get(name)!;
    const scale = g.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-6);
    for (let i = 0; i < g.length; i++) {
      assert.ok(Math.abs(g[i]! - w[i]!) <= 1e-3 * scale, `${name}[${i}]: cpu ${g[i]} vs wasm ${w[i]}`);
    }
  }
});
