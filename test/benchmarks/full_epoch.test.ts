/**
 * The full-epoch benchmark's figures: the epoch time from step arrivals (measured vs
 * extrapolated), the cache sizes the trainer prints, PASS/MISS, and the child watcher (events
 * seen as they are appended, a stop by SIGINT, the peak memory read from /proc).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonlTail, parseVmHwm, runWatched } from '../../benchmarks/child_watch.js';
import { cacheNeeds, estimateEpoch, renderTable, verdict } from '../../benchmarks/epoch_figures.js';

test('an epoch seen to its end is measured: start of training to its last batch', () => {
  // 130 rows in batches of 64: 3 batches.
  const e = estimateEpoch(1000, [{ step: 1, at: 3000 }, { step: 2, at: 4000 }, { step: 3, at: 5000 }], 64, 130);
  assert.equal(e.extrapolated, false);
  assert.equal(e.epoch_batches, 3);
  assert.equal(e.epoch_train_s, 4);
  assert.equal(e.samples_per_s, 130 / 4);
});

test('a partial epoch is extrapolated: first step plus the mean later step for every remaining batch', () => {
  // First step 2 s (warm-up), then 1 s per step; 1,000 batches.
  const steps = [3000, 4000, 5000, 6000].map((at, i) => ({ step: i + 1, at }));
  const e = estimateEpoch(1000, steps, 64, 64_000);
  assert.equal(e.extrapolated, true);
  assert.equal(e.steps_measured, 4);
  assert.equal(e.first_step_s, 2);
  assert.equal(e.steady_step_s, 1);
  assert.equal(e.epoch_train_s, 2 + 999 * 1);
  // One step only: every batch counted at the first step's time.
  assert.equal(estimateEpoch(0, [{ step: 1, at: 500 }], 64, 640).epoch_train_s, 5);
  assert.throws(() => estimateEpoch(0, [], 64, 640), /no training step/);
});

test('cacheNeeds reads the sizes of every "state cache needs" line of the trainer output', () => {
  const out = [
    '2026-12-02T12:00:00Z state cache needs 7.41 GB on disk (72000 rows, 5760000 tokens, 80.0 per row, 2 layers × d 512, int8)',
    '2026-12-02T12:01:00Z train states cached (72,000 prompts)',
    '2026-12-02T12:01:01Z state cache needs 812.5 MB on disk (8000 rows, 640000 tokens, 80.0 per row, 2 layers × d 512, int8)',
    '2026-12-02T12:01:02Z state cache needs 3.2 kB on disk (3 rows, 6 tokens, 2.0 per row, 2 layers × d 512, int8)',
  ].join('\n');
  const got = cacheNeeds(out);
  assert.deepEqual(got.map((g) => g.bytes), [7.41e9, 812.5e6, 3.2e3]);
  assert.match(got[0]!.line, /^state cache needs 7\.41 GB on disk \(72000 rows/);
  assert.deepEqual(cacheNeeds('train states cached'), []);
});

test('targets are upper bounds; a missing figure is n/a, and the table aligns its columns', () => {
  assert.equal(verdict(8e9, 8e9), 'PASS');
  assert.equal(verdict(8e9 + 1, 8e9), 'MISS');
  assert.equal(verdict(null, 8e9), 'n/a');
  const t = renderTable([['epoch', '31.0 min', '≤ 30 min', 'MISS'], ['peak memory', '1.20 GB', '≤ 8 GB', 'PASS']]).split('\n');
  assert.equal(t.length, 3);
  assert.equal(t[1]!.indexOf('31.0 min'), t[2]!.indexOf('1.20 GB'));
  assert.equal(t[1]!.indexOf('MISS'), t[2]!.indexOf('PASS'));
});

test('parseVmHwm reads the peak resident set of a /proc status text in bytes', () => {
  assert.equal(parseVmHwm('Name:\tnode\nVmPeak:\t 999 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n'), 123456 * 1024);
  assert.equal(parseVmHwm('Name:\tnode\n'), null);
});

test('JsonlTail returns each complete line once and holds back a line still being written', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unictr-tail-'));
  try {
    const file = path.join(dir, 'log.jsonl');
    const tail = new JsonlTail(file);
    assert.deepEqual(tail.poll(), [], 'a missing file has no events yet');
    writeFileSync(file, '{"event":"data"}\n{"event":"step","st');
    assert.deepEqual(tail.poll(1).map((e) => e.event.event), ['data']);
    appendFileSync(file, 'ep":1}\n');
    const next = tail.poll(2);
    assert.deepEqual(next.map((e) => [e.event.event, e.event.step, e.at]), [['step', 1, 2]]);
    assert.deepEqual(tail.poll(3), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runWatched sees the child log events as they come, stops it with SIGINT on request and reads its peak memory', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'unictr-watch-'));
  try {
    const log = path.join(dir, 'log.jsonl');
    // A child that logs a step every 100 ms for 20 s unless interrupted (exit 130, as the CLI does).
    const script = `const fs=require('fs');process.on('SIGINT',()=>{console.log('interrupted');process.exit(130)});let k=0;` +
      `const t=setInterval(()=>{fs.appendFileSync(${JSON.stringify(log)},JSON.stringify({event:'step',step:++k})+'\\n');if(k>=200)clearInterval(t)},100);`;
    const r = await runWatched({
      args: ['-e', script],
      cwd: dir,
      outputFile: path.join(dir, 'out.log'),
      logFile: log,
      onEvent: (e) => (e.event.step as number) >= 3,
      pollMs: 20,
    });
    assert.equal(r.stopped, true);
    assert.equal(r.code, 130);
    assert.ok(r.endAt - r.startAt < 10_000, 'stopped long before the child would have ended');
    const steps = r.events.map((e) => e.event.step as number);
    assert.deepEqual(steps.slice(0, 3), [1, 2, 3]);
    // Arrival times follow the child's 100 ms rhythm (not all stamped at the end).
    assert.ok(r.events[2]!.at - r.events[0]!.at >= 150, `steps 1 and 3 seen ${r.events[2]!.at - r.events[0]!.at} ms apart`);
    if (process.platform === 'linux') assert.ok(r.peakRssBytes !== null && r.peakRssBytes > 10e6, `peak ${r.peakRssBytes}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
