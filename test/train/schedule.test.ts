import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrSchedule, cyclicLr, type CyclicScheduleConfig } from '../../src/train/schedule.js';
import { TrainConfigSchema } from '../../src/train/train_config.js';
import { ConfigError, RunFolderError } from '../../src/util/errors.js';

const SPEC: CyclicScheduleConfig = { type: 'triangular2', base_lr: 8e-5, max_lr: 5e-4, step_size_up: 5 };

/**
 * Independent statement of triangular2: piecewise-linear between vertices. Cycle c (1-based) starts
 * at base_lr, peaks `up` ticks later at base + (max − base)/2^(c−1), and is back at base after `down`.
 */
function vertexTriangular2(t: number, base: number, max: number, up: number, down: number): number {
  const vertices: [number, number][] = [];
  for (let c = 1, start = 0; start <= t + up + down; c++, start += up + down) {
    vertices.push([start, base], [start + up, base + (max - base) / 2 ** (c - 1)]);
  }
  for (let i = 0; i + 1 < vertices.length; i++) {
    const [t0, y0] = vertices[i]!;
    const [t1, y1] = vertices[i + 1]!;
    if (t >= t0 && t <= t1) return y0 + ((y1 - y0) * (t - t0)) / (t1 - t0);
  }
  throw new Error(`t=${t} outside vertices`);
}

test('spec triangular2 (8e-5..5e-4, step 5): hand-computed values', () => {
  const expected: [number, number][] = [
    [0, 8e-5],
    [1, 8e-5 + 0.2 * 4.2e-4],
    [5, 5e-4],
    [7, 8e-5 + 0.6 * 4.2e-4],
    [10, 8e-5],
    [15, 8e-5 + 4.2e-4 / 2],
    [20, 8e-5],
    [25, 8e-5 + 4.2e-4 / 4],
    [35, 8e-5 + 4.2e-4 / 8],
  ];
  for (const [t, lr] of expected) assert.ok(Math.abs(cyclicLr(t, SPEC) - lr) < 1e-15, `t=${t}: ${cyclicLr(t, SPEC)} vs ${lr}`);
});

test('first 30 values match the vertex formulation (symmetric and asymmetric cycles)', () => {
  for (const [up, down] of [[5, 5], [3, 2], [1, 4]] as const) {
    const cfg: CyclicScheduleConfig = { ...SPEC, step_size_up: up, step_size_down: down };
    for (let t = 0; t < 30; t++) {
      const a = cyclicLr(t, cfg);
      const b = vertexTriangular2(t, SPEC.base_lr, SPEC.max_lr, up, down);
      assert.ok(Math.abs(a - b) < 1e-15, `up=${up} down=${down} t=${t}: ${a} vs ${b}`);
    }
  }
});

test('triangular keeps the amplitude; exp_range decays it by gamma^t', () => {
  const tri: CyclicScheduleConfig = { ...SPEC, type: 'triangular' };
  assert.equal(cyclicLr(15, tri), 5e-4);
  assert.equal(cyclicLr(25, tri), 5e-4);
  const exp: CyclicScheduleConfig = { ...SPEC, type: 'exp_range', gamma: 0.9 };
  assert.ok(Math.abs(cyclicLr(15, exp) - (8e-5 + 4.2e-4 * 0.9 ** 15)) < 1e-15);
});

test('LrSchedule steps per epoch or per step, and its state round-trips', () => {
  const perEpoch = new LrSchedule(SPEC);
  assert.equal(perEpoch.stepOn, 'epoch');
  perEpoch.onStepEnd();
  assert.equal(perEpoch.t, 0, 'a step does not move an epoch schedule');
  const seen: number[] = [];
  for (let e = 0; e < 25; e++) {
    seen.push(perEpoch.lr);
    perEpoch.onEpochEnd();
  }
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, t) => cyclicLr(t, SPEC)));

  const perStep = new LrSchedule({ ...SPEC, step_on: 'step' });
  for (let i = 0; i < 7; i++) perStep.onStepEnd();
  perStep.onEpochEnd();
  assert.equal(perStep.t, 7);

  const restored = new LrSchedule({ ...SPEC, step_on: 'step' });
  restored.setState(JSON.parse(JSON.stringify(perStep.getState())));
  assert.equal(restored.lr, perStep.lr);
  restored.onStepEnd();
  perStep.onStepEnd();
  assert.equal(restored.lr, perStep.lr);
  assert.throws(() => restored.setState({ type: 'constant', t: 1 }), RunFolderError);
  assert.throws(() => restored.setState({ type: 'triangular2', t: -1 }), RunFolderError);
});

test('constant schedule', () => {
  const s = new LrSchedule({ type: 'constant', lr: 1e-3 });
  for (let i = 0; i < 3; i++) s.onEpochEnd();
  assert.equal(s.lr, 1e-3);
  assert.deepEqual(s.getState(), { type: 'constant', t: 3 });
});

test('range test: geometric from base_lr to max_lr over step_size_up ticks, then flat', () => {
  const s = new LrSchedule({ type: 'range_test', base_lr: 1e-5, max_lr: 1e-1, step_size_up: 8, step_on: 'step' });
  // Four decades in 8 ticks: every 2 ticks multiply by 10.
  const expected = [1e-5, 10 ** -4.5, 1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5, 1e-1, 1e-1, 1e-1];
  expected.forEach((lr, t) => assert.ok(Math.abs(s.lrAt(t) - lr) <= 1e-12 * lr + 1e-18, `t=${t}: ${s.lrAt(t)} vs ${lr}`));
  s.onStepEnd();
  s.onStepEnd();
  assert.ok(Math.abs(s.lr - 1e-4) < 1e-16);
  // The train block accepts it (keys shared with the cyclic schedules).
  const cfg = TrainConfigSchema.parse({ schedule: { type: 'range_test', base_lr: 1e-5, max_lr: 0.1, step_size_up: 157, step_on: 'step' } });
  assert.equal(cfg.schedule.type, 'range_test');
  assert.throws(() => new LrSchedule({ type: 'range_test', base_lr: 1e-3, max_lr: 1e-4, step_size_up: 5 }, 'train.schedule'), /train\.schedule\.max_lr/);
});

test('bad configs name the key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...SPEC, max_lr: 1e-5 }, /train\.schedule\.max_lr is 0\.00001; expected a number >= base_lr/],
    [{ ...SPEC, step_size_up: 0 }, /train\.schedule\.step_size_up/],
    [{ ...SPEC, step_size_down: 1.5 }, /train\.schedule\.step_size_down/],
    [{ ...SPEC, step_on: 'batch' }, /train\.schedule\.step_on is "batch"; expected one of: epoch, step/],
    [{ ...SPEC, type: 'cosine' }, /train\.schedule\.type is "cosine"/],
    [{ type: 'constant', lr: 0 }, /train\.schedule\.lr/],
  ];
  for (const [cfg, re] of cases) {
    assert.throws(() => new LrSchedule(cfg as never, 'train.schedule'), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(cfg));
  }
});
