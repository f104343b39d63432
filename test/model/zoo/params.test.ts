/**
 * Parameter counts against formulas worked out by hand, and stable checkpoint names.
 * Vocab (id 0 included): user 11, item 13, brand 5, title 7, price_bucket 101 → Σ = 137.
 * Fields F = 6 (user, item, brand, title, price bucket, history), embedding d = 4 → flat 24.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/runtime/backend.js';
import { createZooModel, MODEL_ZOO } from '../../../src/model/zoo/index.js';
import type { CtrModel } from '../../../src/model/types.js';

const vocab = { user: 11, item: 13, brand: 5, title: 7, price_bucket: 101 };
const SUM_V = 137;
const D = 4;
const FLAT = 6 * D;
const EMB = SUM_V * D;

function count(m: CtrModel): number {
  return m.trainableVariables().reduce((n, v) => n + v.size, 0);
}

before(async () => {
  await initBackend({ backend: 'cpu' });
});

test('DeepFM: embeddings + first-order weights + global bias + MLP', () => {
  const m = createZooModel('deepfm', { vocab, domains: ['a'], seed: 1, options: { embedding_dim: D, hidden_units: [8, 4] } });
  const lr = SUM_V + 1;
  const mlp = 24 * 8 + 8 + (8 * 4 + 4) + (4 * 1 + 1);
  assert.equal(count(m), EMB + lr + mlp);
  const names = [...m.namedVariables().keys()];
  for (const n of ['embedding.user', 'embedding.price_bucket', 'lr.user', 'lr.bias', 'mlp.0.kernel', 'mlp.2.bias']) assert.ok(names.includes(n), n);
  assert.deepEqual(m.namedVariables().get('embedding.user')!.shape, [11, D]);
  m.dispose();
});

test('DCN: embeddings + cross layers (w, b of width 24 each) + MLP + final Linear', () => {
  const m = createZooModel('dcn', { vocab, domains: ['a'], seed: 1, options: { embedding_dim: D, hidden_units: [8, 4], crossing_layers: 2 } });
  const cross = 2 * (FLAT + FLAT);
  const mlp = 24 * 8 + 8 + (8 * 4 + 4);
  const fc = (FLAT + 4) * 1 + 1;
  assert.equal(count(m), EMB + cross + mlp + fc);
  m.dispose();
});

test('MMoE: 3 experts, one gate and one tower per domain', () => {
  const m = createZooModel('mmoe', {
    vocab,
    domains: ['a', 'b'],
    seed: 1,
    options: { embedding_dim: D, num_experts: 3, expert_hidden_units: [8, 6], tower_hidden_units: [5] },
  });
  const experts = 3 * (24 * 8 + 8 + (8 * 6 + 6));
  const gates = 2 * (24 * 3 + 3);
  const towers = 2 * (6 * 5 + 5 + (5 * 1 + 1));
  assert.equal(count(m), EMB + experts + gates + towers);
  const names = [...m.namedVariables().keys()];
  for (const n of ['gate.0.kernel', 'gate.1.kernel', 'expert.2.1.bias', 'tower.1.1.bias']) assert.ok(names.includes(n), n);
  m.dispose();
});

test('STAR: shared + per-domain copy of every star layer, domain embedding, auxiliary net', () => {
  const m = createZooModel('star', {
    vocab,
    domains: ['a', 'b'],
    seed: 1,
    options: { embedding_dim: D, star_hidden_units: [8, 4], aux_hidden_units: [5] },
  });
  const perCopy = 24 * 8 + 8 + (8 * 4 + 4) + (4 * 1 + 1);
  const star = (2 + 1) * perCopy;
  const domainEmb = 2 * D;
  const aux = (D + FLAT) * 5 + 5 + (5 * 1 + 1);
  assert.equal(count(m), EMB + star + domainEmb + aux);
  const names = [...m.namedVariables().keys()];
  for (const n of ['star.0.shared.kernel', 'star.2.domain.1.bias', 'domain_embedding', 'aux.1.kernel']) assert.ok(names.includes(n), n);
  m.dispose();
});

test('PLE, Shared-Bottom, PNN, FiBiNET, xDeepFM, AutoInt, DNN counts', () => {
  const base = { vocab, seed: 1 };
  const c = (name: string, domains: string[], options: Record<string, unknown>) => {
    const m = createZooModel(name, { ...base, domains, options: { embedding_dim: D, ...options } });
    const n = count(m);
    m.dispose();
    return n;
  };
  // PLE, one level, 2 domains: 1 shared + 2×2 specific experts [8], gates over 3 experts, towers [5].
  const expert = 24 * 8 + 8;
  assert.equal(
    c('ple', ['a', 'b'], { expert_hidden_units: [8], tower_hidden_units: [5] }),
    EMB + 5 * expert + 2 * (24 * 3 + 3) + 2 * (8 * 5 + 5 + 6),
  );
  // Two levels add a shared gate over 2·2+1 experts at level 0, and level-1 experts read width 8.
  assert.equal(
    c('ple', ['a', 'b'], { expert_hidden_units: [8], tower_hidden_units: [5], num_layers: 2 }),
    EMB + 5 * expert + 2 * (24 * 3 + 3) + (24 * 5 + 5) + 5 * (8 * 8 + 8) + 2 * (8 * 3 + 3) + 2 * (8 * 5 + 5 + 6),
  );
  assert.equal(c('shared_bottom', ['a', 'b', 'c'], { bottom_hidden_units: [8], tower_hidden_units: [5] }), EMB + expert + 3 * (8 * 5 + 5 + 6));
  // PNN: 15 inner products join the flat embeddings.
  assert.equal(c('pnn', ['a'], { hidden_units: [8] }), EMB + (24 + 15) * 8 + 8 + 9);
  // FiBiNET field_interaction: 2 × 15 pair matrices d×d, SENET 6→2→6, MLP on 2·15·d.
  assert.equal(
    c('fibinet', ['a'], { hidden_units: [8] }),
    EMB + SUM_V + 1 + 2 * 15 * D * D + (6 * 2 + 2 * 6) + (2 * 15 * D * 8 + 8) + 9,
  );
  assert.equal(c('fibinet', ['a'], { hidden_units: [8], bilinear_type: 'field_all' }), EMB + SUM_V + 1 + 2 * D * D + 24 + (2 * 15 * D * 8 + 8) + 9);
  // xDeepFM: CIN layer k has 6·h_{k−1}·H_k + H_k weights.
  assert.equal(
    c('xdeepfm', ['a'], { hidden_units: [8], cin_hidden_units: [3, 2] }),
    EMB + SUM_V + 1 + (6 * 6 * 3 + 3) + (6 * 3 * 2 + 2) + (5 + 1) + (24 * 8 + 8 + 9),
  );
  // AutoInt: per layer 4 projections in×A; output Linear over 6·A; MLP.
  assert.equal(
    c('autoint', ['a'], { hidden_units: [8], attention_layers: 2, attention_dim: 6, num_heads: 2 }),
    EMB + 4 * D * 6 + 4 * 6 * 6 + (36 + 1) + (24 * 8 + 8 + 9),
  );
  // DIEN, GRU width H = 3: interest GRU (d·3H + H·3H + 3H), attention H·d, evolving GRU
  // (H·3H + H·3H + 3H), MLP on 5 fields + interest state.
  const H = 3;
  assert.equal(
    c('dien', ['a'], { hidden_units: [8], gru_units: H, aux_loss: false }),
    EMB + (D * 3 * H + H * 3 * H + 3 * H) + H * D + (2 * H * 3 * H + 3 * H) + ((5 * D + H) * 8 + 8 + 9),
  );
  // DNN: per-domain towers + general tower, each Linear→BN (γ, β) per hidden layer.
  assert.equal(c('dnn', ['a', 'b'], { hidden_units: [8] }), EMB + 3 * (24 * 8 + 8 + 2 * 8 + 9));
});

test('options are strict: unknown keys and bad values name the key', () => {
  assert.throws(
    () => createZooModel('deepfm', { vocab, domains: ['a'], seed: 1, options: { embeding_dim: 4 }, source: 'x.yaml' }),
    /x\.yaml: unknown key "model\.embeding_dim"/,
  );
  assert.throws(() => createZooModel('dcn', { vocab, domains: ['a'], seed: 1, options: { net_dropout: 1 } }), /model\.net_dropout/);
  // The config's `name` key may ride along with the options, but must match.
  createZooModel('dcn', { vocab, domains: ['a'], seed: 1, options: { name: 'dcn', embedding_dim: 2, hidden_units: [2] } }).dispose();
  assert.throws(() => createZooModel('dcn', { vocab, domains: ['a'], seed: 1, options: { name: 'pnn' } }), /"model\.name": expected "dcn"/);
  assert.throws(() => createZooModel('nope', { vocab, domains: ['a'], seed: 1 }), /unknown baseline "nope".*deepfm/);
  assert.throws(() => createZooModel('deepfm', { vocab, domains: ['a', 'b'], seed: 1 }), /single-domain/);
  assert.throws(() => createZooModel('deepfm', { vocab: { ...vocab, brand: 0 }, domains: ['a'], seed: 1 }), /"brand"/);
});

test('registry kinds', () => {
  const kinds = Object.fromEntries(Object.entries(MODEL_ZOO).map(([k, e]) => [k, e.kind]));
  assert.deepEqual(kinds, {
    pnn: 'single',
    dcn: 'single',
    deepfm: 'single',
    xdeepfm: 'single',
    autoint: 'single',
    fibinet: 'single',
    dien: 'single',
    shared_bottom: 'multi',
    mmoe: 'multi',
    ple: 'multi',
    star: 'multi',
    dnn: 'multi',
    pepnet: 'multi',
    m2m: 'multi',
    apg: 'multi',
    adasparse: 'multi',
    sarnet: 'multi',
    dffm: 'multi',
    inttower: 'single',
  });
  for (const name of ['sarnet', 'dffm', 'inttower']) assert.match(MODEL_ZOO[name]!.about?.paper ?? '', /CIKM 20\d\d$/, name);
});

test('seeded initialisation: same seed → same weights; per-domain copies coexist in one process', () => {
  const mk = (seed: number) => createZooModel('deepfm', { vocab, domains: ['a'], seed, options: { embedding_dim: D, hidden_units: [8] } });
  const [a, b, c] = [mk(5), mk(5), mk(6)];
  for (const [name, v] of a.namedVariables()) {
    assert.deepEqual(Array.from(v.dataSync()), Array.from(b.namedVariables().get(name)!.dataSync()), name);
  }
  const k = (m: CtrModel) => Array.from(m.namedVariables().get('mlp.0.kernel')!.dataSync());
  assert.notDeepEqual(k(a), k(c));
  // Embedding row 0 (padding/unknown) starts at zero.
  assert.deepEqual(Array.from(a.namedVariables().get('embedding.user')!.dataSync().slice(0, D)), [0, 0, 0, 0]);
  [a, b, c].forEach((m) => m.dispose());
});

test('PEPNet, M2M, APG, AdaSparse counts (two domains)', () => {
  const base = { vocab, seed: 1, domains: ['a', 'b'] };
  const dom = 2 * D;
  const c = (name: string, options: Record<string, unknown>) => {
    const m = createZooModel(name, { ...base, options: { embedding_dim: D, ...options } });
    const n = count(m);
    m.dispose();
    return n;
  };
  // PEPNet: EPNet gate (d + 24 → 5 → 24); one PPNet gate (4d + 24 → 5 → layer input) per layer of 24 → 8 → 4 → 1.
  const gate = (i: number, o: number) => i * 5 + 5 + (5 * o + o);
  const dnn = 24 * 8 + 8 + (8 * 4 + 4) + (4 * 1 + 1);
  const pp = gate(40, 24) + gate(40, 8) + gate(40, 4);
  assert.equal(c('pepnet', { hidden_units: [8, 4], gate_hidden_units: 5 }), EMB + dom + gate(28, 24) + pp + dnn);
  assert.equal(c('pepnet', { hidden_units: [8, 4], gate_hidden_units: 5, epnet: false }), EMB + dom + pp + dnn);
  assert.equal(c('pepnet', { hidden_units: [8, 4], gate_hidden_units: 5, ppnet: false }), EMB + dom + gate(28, 24) + dnn);
  // M2M: scenario Linear (d → 3); 2 experts (24 + d) → 8 → 6; task embedding 6; meta layers with
  // base kernel/bias and generators from S (3 wide); attention score 6 → 1; 2 tower meta layers; output.
  const meta = (i: number, o: number) => i * o + o + 3 * i * o + 3 * o;
  const m2m = dom + (D * 3 + 3) + 2 * ((24 + D) * 8 + 8 + (8 * 6 + 6)) + 6 + meta(12, 6) + 6 + 2 * meta(6, 6) + 7;
  assert.equal(c('m2m', { num_experts: 2, expert_hidden_units: [8, 6], scenario_dim: 3, meta_tower_layers: 2 }), EMB + m2m);
  // APG: per layer V [in, 3], U [3, out], bias, generator 28 → 5 → 9; output Linear.
  const gen = 28 * 5 + 5 + (5 * 9 + 9);
  const apg = dom + (24 * 3 + 3 * 8 + 8 + gen) + (8 * 3 + 3 * 4 + 4 + gen) + 5;
  assert.equal(c('apg', { hidden_units: [8, 4], rank: 3, generator_hidden_units: [5] }), EMB + apg);
  // Over-parameterised (P = 7): V [in, 3] → [in, 7]·[7, 3], U [3, out] → [3, 7]·[7, out].
  const apgOver = dom + (24 * 7 + 7 * 3 + 3 * 7 + 7 * 8 + 8 + gen) + (8 * 7 + 7 * 3 + 3 * 7 + 7 * 4 + 4 + gen) + 5;
  assert.equal(c('apg', { hidden_units: [8, 4], rank: 3, generator_hidden_units: [5], overparam_dim: 7 }), EMB + apgOver);
  // AdaSparse: the DNN plus one pruner (d + layer input → layer width) per hidden layer.
  assert.equal(c('adasparse', { hidden_units: [8, 4] }), EMB + dom + dnn + ((D + 24) * 8 + 8) + ((D + 8) * 4 + 4));
});
