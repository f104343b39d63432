/**
 * Uni-CTR model behaviour: gradient isolation between domains, padding invariance, heads,
 * variable names, add-domain freezing, input validation and tensor leaks.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/runtime/backend.js';
import { Rng } from '../../../src/util/rng.js';
import { ConfigError, DataError } from '../../../src/util/errors.js';
import { maskedBceLoss } from '../../../src/model/unictr/loss.js';
import { UniCtr } from '../../../src/model/unictr/unictr.js';
import { uniCtrConfig, UniCtrConfigSchema } from '../../../src/model/unictr/config.js';
import { parseConfig } from '../../../src/util/config.js';
import {
  D, L, disposeBatch, makeBatch, randn, randomStates, sameArray, snapshot, tinyModel, toTokenStates, type RawStates,
} from './helpers.js';

before(async () => {
  await initBackend({ backend: 'cpu' });
});

const DOMAINS = ['A', 'B', 'C'];

/** One Adam step on the masked loss; returns the names of variables that received a gradient. */
function adamStep(model: UniCtr, domainIndex: number[], raw: RawStates, labels: number[], seed = 1): Set<string> {
  const batch = makeBatch(domainIndex, toTokenStates(raw));
  const y = tf.tensor1d(labels);
  const rng = new Rng(seed);
  const opt = tf.train.adam(0.01);
  const { value, grads } = tf.variableGrads(
    () => maskedBceLoss(model.forward(batch, { training: true, rng }), y),
    model.trainableVariables(),
  );
  const byId = new Map([...model.namedVariables()].map(([k, v]) => [v.name, k]));
  const gotGrad = new Set<string>();
  for (const [vname, g] of Object.entries(grads)) {
    const any = (g.dataSync() as Float32Array).some((x) => x !== 0);
    if (any) gotGrad.add(byId.get(vname)!);
  }
  opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  tf.dispose([value, y, ...Object.values(grads)]);
  opt.dispose();
  disposeBatch(batch);
  return gotGrad;
}

test('gradient isolation: a step on domain A leaves every weight of B (ladder, gate, tower, BN stats) bit-identical', () => {
  const model = tinyModel(DOMAINS);
  const rng = new Rng(3);
  const raw = randomStates(rng, [5, 3, 7, 2, 6, 4], 7, model.stateLayers.length);
  const labels = [1, 0, 1, 0, 0, 1];
  const before = snapshot(model);
  const gotGrad = adamStep(model, [0, 0, 0, 0, 0, 0], raw, labels);
  const after = snapshot(model);

  const bNames = [...before.keys()].filter((k) => k.startsWith('dsn.1.'));
  const parts = ['ladder', 'gate', 'tower'];
  for (const p of parts) assert.ok(bNames.some((k) => k.startsWith(`dsn.1.${p}.`)), `DSN B has ${p} variables`);
  for (const k of bNames) {
    assert.ok(sameArray(before.get(k)!, after.get(k)!), `${k} changed after a step on domain A`);
    assert.ok(!gotGrad.has(k), `${k} received a gradient from domain A`);
  }
  for (const k of [...before.keys()].filter((k) => k.startsWith('dsn.2.'))) {
    assert.ok(sameArray(before.get(k)!, after.get(k)!), `${k} (domain C) changed after a step on domain A`);
  }
  // Domain A's DSN and the general network both learn from the step.
  for (const prefix of ['dsn.0.', 'general.']) {
    for (const p of parts) {
      const changed = [...before.keys()].filter((k) => k.startsWith(`${prefix}${p}.`) && !sameArray(before.get(k)!, after.get(k)!));
      assert.ok(changed.length > 0, `${prefix}${p} did not change`);
    }
  }
  model.dispose();
});

test('gradient isolation on a mixed batch, and the general network changes on every domain', () => {
  const model = tinyModel(DOMAINS);
  const rng = new Rng(4);
  const raw = randomStates(rng, [5, 3, 7, 2, 6, 4, 7, 1], 7, model.stateLayers.length);
  const labels = [1, 0, 1, 0, 0, 1, 1, 0];
  // A and C only: B untouched.
  let before = snapshot(model);
  adamStep(model, [0, 2, 2, 0, 0, 2, 0, 2], raw, labels);
  let after = snapshot(model);
  for (const k of before.keys()) {
    const changed = !sameArray(before.get(k)!, after.get(k)!);
    if (k.startsWith('dsn.1.')) assert.ok(!changed, `${k} changed on a batch of domains A and C`);
  }
  // One step per domain: every trainable general weight and the general BN statistics move each time.
  const trainableNames = new Set(
    [...model.namedVariables()].filter(([, v]) => v.trainable).map(([k]) => k),
  );
  for (let dom = 0; dom < DOMAINS.length; dom++) {
    before = snapshot(model);
    adamStep(model, Array(8).fill(dom), raw, labels, 10 + dom);
    after = snapshot(model);
    for (const k of before.keys()) {
      const changed = !sameArray(before.get(k)!, after.get(k)!);
      // A Linear bias right before BatchNorm has a zero gradient in exact arithmetic (BN removes it).
      const beforeBn = /\.tower\.\d+\.linear\.bias$/.test(k);
      if (k.startsWith('general.') && !beforeBn && (trainableNames.has(k) || k.includes('moving_'))) {
        assert.ok(changed, `general variable ${k} did not change on a step of domain ${DOMAINS[dom]}`);
      }
      if (k.startsWith('dsn.') && !k.startsWith(`dsn.${dom}.`)) assert.ok(!changed, `${k} changed on a step of domain ${DOMAINS[dom]}`);
    }
  }
  model.dispose();
});

function perturbPadding(raw: RawStates, rng: Rng, d = D): RawStates {
  const layers = raw.layers.map((a) => {
    const b = Float32Array.from(a);
    for (let i = 0; i < raw.n; i++) {
      for (let j = 0; j < raw.t; j++) {
        if (raw.mask[i * raw.t + j] === 0) for (let c = 0; c < d; c++) b[(i * raw.t + j) * d + c] = rng.normal() * 50;
      }
    }
    return b;
  });
  return { ...raw, layers };
}

for (const variant of [
  {},
  { ladder: 'plain_attention' as const },
  { ladder: 'none' as const },
  { gate_input: 'concat' as const, general_network: 'pooled' as const },
  { general_network: 'pooled' as const, general_pooling: 'mean' as const, ladder_frequency: 1 },
]) {
  test(`padding: states at padded positions change no logit (${JSON.stringify(variant)})`, () => {
    const model = tinyModel(DOMAINS, variant);
    const rng = new Rng(5);
    const raw = randomStates(rng, [5, 3, 7, 2, 6, 1], 7, model.stateLayers.length);
    const other = perturbPadding(raw, rng);
    const dom = [0, 1, 2, 0, 1, 2];
    for (const training of [false, true]) {
      const run = (r: RawStates) => {
        const batch = makeBatch(dom, toTokenStates(r));
        const out = tf.tidy(() => {
          const o = model.forward(batch, { training, rng: new Rng(9) });
          return [o.logits, o.auxLogits![0]!];
        });
        const vals = out.map((t) => Float32Array.from(t.dataSync() as Float32Array));
        tf.dispose(out);
        disposeBatch(batch);
        return vals;
      };
      const a = run(raw);
      const b = run(other);
      assert.ok(a[0]!.every((x) => Number.isFinite(x)), 'finite logits');
      assert.deepEqual(Array.from(b[0]!), Array.from(a[0]!), `own-domain logits (training=${training})`);
      assert.deepEqual(Array.from(b[1]!), Array.from(a[1]!), `general logits (training=${training})`);
    }
    model.dispose();
  });
}

// Shuffled rows take the gather path, rows grouped by domain the slice path.
for (const dom of [[2, 0, -1, 1, 0, 2, 1], [-1, 0, 0, 1, 1, 2, 2], [1, 1, 1, 1, 2, 2, 2]]) {
test(`rows are scored by their own DSN: forward equals head=k per row, -1 rows get the general logit (${dom})`, () => {
  const model = tinyModel(DOMAINS);
  const rng = new Rng(6);
  const raw = randomStates(rng, [5, 3, 7, 2, 6, 4, 7], 7, model.stateLayers.length);
  const batch = makeBatch(dom, toTokenStates(raw));
  const [own, gen, perHead] = tf.tidy(() => {
    const o = model.forward(batch, { training: false });
    const g = model.forward(batch, { training: false, head: 'general' }).logits;
    const heads = tf.stack([0, 1, 2].map((k) => model.forward(batch, { training: false, head: k }).logits));
    return [o.logits, g, heads];
  });
  const o = own.dataSync();
  const g = gen.dataSync();
  const h = perHead.arraySync() as number[][];
  dom.forEach((k, i) => {
    const expected = k === -1 ? g[i]! : h[k]![i]!;
    assert.ok(Math.abs(o[i]! - expected) < 1e-5, `row ${i} (domain ${k}): ${o[i]} vs ${expected}`);
  });
  tf.dispose([own, gen, perHead]);
  disposeBatch(batch);
  model.dispose();
});
}

test('gradient isolation with a batch grouped by domain (slice path)', () => {
  const model = tinyModel(DOMAINS);
  const raw = randomStates(new Rng(14), [5, 3, 7, 2, 6, 4], 7, model.stateLayers.length);
  const before = snapshot(model);
  adamStep(model, [0, 0, 0, 2, 2, 2], raw, [1, 0, 1, 0, 0, 1]);
  const after = snapshot(model);
  for (const k of before.keys()) {
    const changed = !sameArray(before.get(k)!, after.get(k)!);
    if (k.startsWith('dsn.1.')) assert.ok(!changed, `${k} changed`);
    if (/^dsn\.[02]\.ladder\.0\.down\.0\.kernel$/.test(k)) assert.ok(changed, `${k} did not train`);
  }
  model.dispose();
});

test('variable names follow the documented scheme and every variable is listed once', () => {
  const model = tinyModel(['A', 'B']);
  const names = [...model.namedVariables().keys()];
  for (const n of [
    'dsn.0.ladder.0.down.0.kernel', 'dsn.0.ladder.0.down.1.bias', 'dsn.0.ladder.0.attn.qkv.kernel',
    'dsn.0.ladder.0.attn.output.bias', 'dsn.0.ladder.0.attn_norm.gamma', 'dsn.0.ladder.1.up.1.kernel',
    'dsn.1.ladder.1.out_norm.beta', 'dsn.1.gate.proj.kernel', 'dsn.1.gate.query', 'dsn.1.tower.0.linear.kernel',
    'dsn.1.tower.1.bn.moving_variance', 'dsn.1.tower.out.bias', 'general.ladder.0.down.0.kernel',
    'general.tower.1.bn.moving_mean', 'general.gate.query',
  ]) {
    assert.ok(names.includes(n), `missing variable ${n}`);
  }
  assert.ok(!names.some((n) => n.startsWith('dsn.2.')));
  // L=2, φ=2: blocks read H0 and H2.
  assert.ok(!names.includes('dsn.0.ladder.2.down.0.kernel'));
  const stats = names.filter((n) => n.includes('moving_'));
  const trainable = new Set(model.trainableVariables());
  for (const n of stats) assert.ok(!trainable.has(model.namedVariables().get(n)!), `${n} must not be trainable`);
  assert.equal(trainable.size, names.length - stats.length);
  const counts = model.paramCount();
  assert.equal(counts.trainable, UniCtr.paramCount(model.config, D, L, 2));
  model.dispose();
});

test('same seed → same weights; a DSN\'s init does not depend on how many domains came before it was added', () => {
  const a = tinyModel(['A', 'B'], {}, 11);
  const b = tinyModel(['A'], {}, 11);
  b.addDomain('B');
  const sa = snapshot(a);
  const sb = snapshot(b);
  for (const [k, v] of sa) assert.ok(sameArray(v, sb.get(k)!), `${k} differs`);
  const c = tinyModel(['A', 'B'], {}, 12);
  assert.ok(!sameArray(sa.get('dsn.0.tower.out.kernel')!, snapshot(c).get('dsn.0.tower.out.kernel')!));
  [a, b, c].forEach((m) => m.dispose());
});

test('add-domain: with setTrainable({onlyDomain}) a step trains only the new DSN', () => {
  const model = tinyModel(['A', 'B']);
  const k = model.addDomain('New');
  assert.equal(k, 2);
  assert.deepEqual(model.domains, ['A', 'B', 'New']);
  model.setTrainable({ onlyDomain: 'New' });
  const dsnVars = new Set([...model.namedVariables()].filter(([n]) => n.startsWith('dsn.2.')).map(([, v]) => v));
  const tv = model.trainableVariables();
  assert.ok(tv.length > 0 && tv.every((v) => dsnVars.has(v)), 'only the new DSN is trainable');
  const rng = new Rng(8);
  const raw = randomStates(rng, [5, 3, 7, 2], 7, model.stateLayers.length);
  const before = snapshot(model);
  adamStep(model, [2, 2, 2, 2], raw, [1, 0, 0, 1]);
  const after = snapshot(model);
  for (const key of before.keys()) {
    const changed = !sameArray(before.get(key)!, after.get(key)!);
    if (key.startsWith('dsn.2.') && !key.includes('moving_') && key.endsWith('kernel')) assert.ok(changed, `${key} did not train`);
    // Frozen branches run in inference mode: not even their BatchNorm statistics move.
    if (!key.startsWith('dsn.2.')) assert.ok(!changed, `${key} changed while frozen`);
  }
  assert.throws(() => model.setTrainable({ onlyDomain: 'Nope' }), DataError);
  assert.throws(() => model.addDomain('A'), DataError);
  model.setTrainable('all');
  assert.equal(model.trainableVariables().length, [...model.namedVariables().keys()].filter((n) => !n.includes('moving_')).length);
  model.dispose();
});

test('bad inputs fail with DataError naming the tensor', () => {
  const model = tinyModel(['A', 'B']);
  const rng = new Rng(2);
  const raw = randomStates(rng, [3, 2], 4, model.stateLayers.length);
  const check = (dom: number[], states: ReturnType<typeof toTokenStates> | undefined, re: RegExp) => {
    const batch = makeBatch(dom, states);
    assert.throws(() => tf.tidy(() => model.forward(batch, { training: false }).logits), (e: Error) => e instanceof DataError && re.test(e.message));
    disposeBatch(batch);
  };
  check([0, 5], toTokenStates(raw), /batch\.domainIndex\[1\] = 5/);
  check([0, 1], { ...toTokenStates(raw), layers: toTokenStates(raw).layers.slice(0, 1) }, /batch\.states\.layers: expected 2 tensors/);
  check([0, 1], toTokenStates({ ...raw, layers: raw.layers.map((a) => a.slice(0, 2 * 4 * 8)) }, 8), /layers\[0\] \(H0\): expected \[2, 4, 16\], got \[2,4,8\]/);
  check([0, 1], undefined, /batch\.states/);
  model.dispose();
});

test('no tensor leaks: numTensors is flat across repeated forward passes and training steps', () => {
  const model = tinyModel(DOMAINS);
  const rng = new Rng(1);
  const raw = randomStates(rng, [5, 3, 7, 2, 6], 7, model.stateLayers.length);
  const batch = makeBatch([0, 1, 2, 0, -1], toTokenStates(raw));
  const y = tf.tensor1d([1, 0, 1, 0, 1]);
  const opt = tf.train.adam(0.01);
  const step = () => {
    tf.tidy(() => {
      model.forward(batch, { training: false });
      model.forward(batch, { training: true, rng });
      model.forward(batch, { training: false, head: 'general' });
    });
    const cost = opt.minimize(() => maskedBceLoss(model.forward(batch, { training: true, rng }), y), true, model.trainableVariables());
    cost?.dispose();
  };
  step(); // optimizer slots are created on the first step
  const n0 = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, n0);
  opt.dispose();
  tf.dispose(y);
  disposeBatch(batch);
  const beforeDispose = tf.memory().numTensors;
  const nVars = model.namedVariables().size;
  model.dispose();
  assert.equal(tf.memory().numTensors, beforeDispose - nVars);
});

test('config: strict schema with spec defaults', () => {
  const c = uniCtrConfig();
  assert.equal(c.ladder, 'bottleneck');
  assert.deepEqual(c.tower_hidden, [1024, 512, 256]);
  assert.equal(c.tower_dropout, 0.3);
  assert.equal(c.ladder_dropout, 0.2);
  assert.equal(c.ladder_heads, 2);
  assert.equal(c.ladder_reduction, 4);
  assert.equal(c.gate_input, 'sum');
  assert.equal(c.general_network, 'ladder');
  assert.throws(() => uniCtrConfig({ ladder_frequncy: 2 } as never), /ladder_frequncy/);
  assert.throws(
    () => parseConfig(UniCtrConfigSchema, { gate_input: 'product' }, 'exp.yaml', ['model']),
    (e: Error) => e instanceof ConfigError && /exp\.yaml: key "model\.gate_input".*"sum".*"concat"/.test(e.message),
  );
  assert.throws(
    () => parseConfig(UniCtrConfigSchema, { tower_hiden: [8] }, 'exp.yaml', ['model']),
    (e: Error) => e instanceof ConfigError && /unknown key "model\.tower_hiden"/.test(e.message),
  );
  assert.throws(() => uniCtrConfig({ ladder: 'deep' } as never));
  assert.throws(() => new UniCtr({ config: uniCtrConfig({ ladder_reduction: 3 }), domains: ['A'], hiddenSize: 16, numLayers: 2, seed: 1 }), /ladder_reduction/);
});

test('tower_norm layer_norm / none: no BatchNorm statistics, parameter count matches, finite outputs', () => {
  for (const norm of ['layer_norm', 'none'] as const) {
    const model = tinyModel(['a', 'b'], { tower_norm: norm });
    const names = [...model.namedVariables().keys()];
    assert.ok(!names.some((k) => k.includes('.bn.')), `${norm}: no BatchNorm variables`);
    assert.equal(names.some((k) => k.includes('.tower.0.ln.gamma')), norm === 'layer_norm');
    assert.equal(model.paramCount().trainable, UniCtr.paramCount(model.config, D, L, 2));
    const raw = randomStates(new Rng(4), [3, 2, 4], 4, model.stateLayers.length);
    const batch = makeBatch([0, 1, 1], toTokenStates(raw));
    // A 1-row sub-batch (domain a) in training mode is fine without BatchNorm too.
    const out = model.forward(batch, { training: true, rng: new Rng(2) });
    assert.ok(Array.from(out.logits.dataSync()).every(Number.isFinite));
    tf.dispose([out.logits, ...(out.auxLogits ?? [])]);
    disposeBatch(batch);
    model.dispose();
  }
});

test('state_norm layer_norm makes the logits invariant to a per-token rescaling of the states', () => {
  const model = tinyModel(['a'], { state_norm: 'layer_norm' });
  const plain = tinyModel(['a']);
  const raw = randomStates(new Rng(5), [4, 3], 4, model.stateLayers.length);
  const scaled = { ...raw, layers: raw.layers.map((a) => a.map((v) => 7 * v + 3)) };
  const score = (m: UniCtr, r: typeof raw) => {
    const b = makeBatch([0, 0], toTokenStates(r));
    const out = m.forward(b, { training: false });
    const v = Array.from(out.logits.dataSync());
    tf.dispose([out.logits, ...(out.auxLogits ?? [])]);
    disposeBatch(b);
    return v;
  };
  const a = score(model, raw);
  const b = score(model, scaled);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-3, `row ${i}: ${x} vs ${b[i]}`));
  const c = score(plain, raw);
  const d = score(plain, scaled);
  assert.ok(c.some((x, i) => Math.abs(x - d[i]!) > 1e-3), 'without state_norm the rescaling changes the logits');
  model.dispose();
  plain.dispose();
});

test('outputBiases: one bias per DSN plus the general network', () => {
  const model = tinyModel(['a', 'b', 'c']);
  assert.equal(model.outputBiases().length, 4);
  assert.ok(model.outputBiases().every((v) => v.size === 1));
  model.dispose();
});

test('state_norm standardize: fitted mean and variance over real tokens only; logits invariant to a per-feature affine map of the states', () => {
  const rng = new Rng(8);
  const model = tinyModel(['a'], { state_norm: 'standardize' });
  const raw = randomStates(rng, [4, 2, 6], 6, model.stateLayers.length);
  // Padding holds large values: the fit must not see them.
  raw.layers.forEach((a) => raw.mask.forEach((m, t) => m === 0 && a.fill(1e3, t * D, (t + 1) * D)));
  const shift = randn(rng, D, 5);
  const scale = Float32Array.from(randn(rng, D), (v) => 0.5 + Math.abs(v) * 3);
  const mapped = { ...raw, layers: raw.layers.map((a) => a.map((v, i) => v * scale[i % D]! + shift[i % D]!)) };
  const fitted = (r: RawStates) => {
    // Two chunks of rows, as the run setup reads them from the cache.
    const rows = (from: number, to: number) => ({ states: r.layers.map((a) => a.subarray(from * r.t * D, to * r.t * D)), mask: r.mask.subarray(from * r.t, to * r.t) });
    model.fitStateNorm([rows(0, 2), rows(2, 3)]);
    const named = model.namedVariables();
    return model.stateLayers.map((l) => [named.get(`state_norm.H${l}.moving_mean`)!, named.get(`state_norm.H${l}.moving_variance`)!].map((v) => Array.from(v.dataSync())));
  };
  const score = (r: RawStates) => {
    const b = makeBatch([0, 0, 0], toTokenStates(r));
    const out = model.forward(b, { training: false });
    const v = Array.from(out.logits.dataSync());
    tf.dispose([out.logits, ...(out.auxLogits ?? [])]);
    disposeBatch(b);
    return v;
  };
  const stats = fitted(raw);
  // Reference: two-pass mean and variance over the masked tokens, in float64.
  raw.layers.forEach((a, i) => {
    for (let j = 0; j < D; j++) {
      const xs: number[] = [];
      raw.mask.forEach((m, t) => m > 0 && xs.push(a[t * D + j]!));
      const mu = xs.reduce((p, x) => p + x, 0) / xs.length;
      const va = xs.reduce((p, x) => p + (x - mu) ** 2, 0) / xs.length;
      assert.ok(Math.abs(stats[i]![0]![j]! - mu) < 1e-5, `H${model.stateLayers[i]} mean[${j}]`);
      assert.ok(Math.abs(stats[i]![1]![j]! - va) < 1e-4 * Math.max(1, va), `H${model.stateLayers[i]} variance[${j}]`);
    }
  });
  const a = score(raw);
  fitted(mapped);
  const b = score(mapped);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-3, `row ${i}: ${x} vs ${b[i]}`));
  assert.ok(model.paramCount().total - model.paramCount().trainable >= 2 * model.stateLayers.length * D, 'statistics counted as non-trainable');
  assert.throws(() => model.fitStateNorm([{ states: raw.layers.slice(1), mask: raw.mask }]), /expected 2 state layers|expected \d+ state layers/);
  model.dispose();
});

test('gate_input scaled_sum: the ladder input does not move the logits at initialisation (α = 0), and α learns', () => {
  const model = tinyModel(['a', 'b'], { gate_input: 'scaled_sum' });
  const rng = new Rng(12);
  const raw = randomStates(rng, [4, 3, 5], 5, model.stateLayers.length);
  // Every state but HL feeds the ladder only.
  const changed = { ...raw, layers: raw.layers.map((a, i) => (i === raw.layers.length - 1 ? a : randn(rng, a.length, 5))) };
  const score = (r: RawStates) => {
    const b = makeBatch([0, 1, 0], toTokenStates(r));
    const out = model.forward(b, { training: false });
    const v = [...Array.from(out.logits.dataSync()), ...(out.auxLogits ?? []).flatMap((t) => Array.from(t.dataSync()))];
    tf.dispose([out.logits, ...(out.auxLogits ?? [])]);
    disposeBatch(b);
    return v;
  };
  assert.deepEqual(score(changed), score(raw));
  const names = [...model.namedVariables().keys()].filter((k) => k.endsWith('ladder_scale'));
  assert.deepEqual(names.sort(), ['dsn.0.ladder_scale', 'dsn.1.ladder_scale', 'general.ladder_scale']);
  const got = adamStep(model, [0, 1, 0], raw, [1, 0, 0]);
  assert.ok(got.has('dsn.0.ladder_scale') && got.has('general.ladder_scale'), 'α gets a gradient');
  const after = score(changed);
  const before = score(raw);
  assert.ok(after.some((x, i) => Math.abs(x - before[i]!) > 1e-6), 'after a step the ladder input matters');
  model.dispose();
});
