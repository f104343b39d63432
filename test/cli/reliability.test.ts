/**
 * Fault tests of the guarantees in docs/reliability.md, through the real CLI: output paths that
 * are files, the user's folders, read-only or full; signals during prepare; one owner per run
 * folder; validation before a run folder exists; log.jsonl after resume; verified checkpoints;
 * eval beside the originals; divergence messages.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli, startCli, writeTinyConfig } from '../helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'unictr-rel-'));
// World-readable, so that the read-only case can run as an unprivileged user.
chmodSync(tmp, 0o755);
const dataset = path.join(tmp, 'data');
const BACKEND = ['--backend', 'wasm'];
const mounts: string[] = [];

function config(name: string, extra = ''): string {
  return writeTinyConfig(
    tmp,
    name,
    dataset,
    `model: { name: mmoe, embedding_dim: 8, num_experts: 2, expert_hidden_units: [32], tower_hidden_units: [16] }
train: { optimizer: adam, lr: 0.01, batch_size: 32, epochs: 2, patience: 3, bootstrap: 20 }
${extra}`,
  );
}

/** The one `error:` line of a failed command (and that there is exactly one). */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, `expected one error line in:\n${stderr}`);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /, 'no internal error or stack trace');
  return lines[0]!;
}

const tempsIn = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));

/** A small tmpfs (root only); null where mounting is not allowed. */
function smallDisk(name: string, size: string): string | null {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  mounts.push(dir);
  return dir;
}

function stepsOf(logFile: string): { epoch: number; batch: number; model: string | null }[] {
  return readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.event === 'step');
}

before(() => {
  const r = runCli(['prepare', '--config', path.join(ROOT, 'experiments/tiny-base.yaml'), '--out', dataset]);
  assert.equal(r.code, 0, r.stderr);
});

after(() => {
  for (const m of mounts) spawnSync('umount', [m]);
});

test('prepare never deletes a file or a folder of the user\'s at --out', () => {
  const file = path.join(tmp, 'a-file');
  writeFileSync(file, 'keep me');
  const r = runCli(['prepare', '--config', config('p'), '--out', file]);
  assert.equal(r.code, 2);
  assert.match(errorLine(r.stderr), /a-file: is a file, not a folder; refusing to replace it/);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');

  const mine = path.join(tmp, 'my-folder');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'notes.txt'), 'mine');
  const f = runCli(['prepare', '--config', config('p'), '--out', mine]);
  assert.equal(f.code, 2);
  assert.match(errorLine(f.stderr), /my-folder: is a folder this tool did not write \(no manifest\.json\)/);
  assert.deepEqual(readdirSync(mine), ['notes.txt']);
  assert.deepEqual(tempsIn(tmp), []);
});

test('train --out a file, or a path through a file: one error line, nothing written', () => {
  const file = path.join(tmp, 'out-file');
  writeFileSync(file, 'x');
  const a = runCli(['train', '--config', config('t'), '--out', file, ...BACKEND]);
  assert.equal(a.code, 2);
  assert.match(errorLine(a.stderr), /out-file: is a file, not a run folder/);
  const b = runCli(['train', '--config', config('t'), '--out', path.join(file, 'sub'), ...BACKEND]);
  assert.equal(b.code, 2);
  assert.match(errorLine(b.stderr), /out-file\/sub: .*out-file is a file, not a folder/);
  assert.equal(readFileSync(file, 'utf8'), 'x');
  // predict/embed --out a folder: a located error, not EISDIR.
  const dir = path.join(tmp, 'a-dir');
  mkdirSync(dir, { recursive: true });
  const e = runCli(['embed', '--model', 'use-lite', '--text', file, '--out', dir, '--format', 'json', ...BACKEND]);
  assert.equal(e.code, 2, e.stderr);
  assert.match(errorLine(e.stderr), /a-dir: is a folder; expected a file path/);
});

test('a read-only output folder (as an unprivileged user): "not writable" naming the user\'s path', (t) => {
  const ro = path.join(tmp, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  const probe = spawnSync('runuser', ['-u', 'nobody', '--', 'true']);
  if (process.getuid?.() !== 0 || probe.status !== 0) return t.skip('needs root to run the case as "nobody"');
  const asNobody = (args: string[]) =>
    spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, path.join(ROOT, 'bin/unictr.js'), ...args], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, UNICTR_PROGRESS: 'plain', HOME: tmp },
    });
  const tr = asNobody(['train', '--config', config('ro'), '--out', path.join(ro, 'run'), ...BACKEND]);
  assert.equal(tr.status, 2, tr.stderr);
  assert.match(errorLine(tr.stderr), /read-only\/run: not writable \(permission denied\)/);
  const pr = asNobody(['prepare', '--config', config('ro'), '--out', path.join(ro, 'data')]);
  assert.equal(pr.status, 2, pr.stderr);
  assert.match(errorLine(pr.stderr), /read-only\/data: not writable \(permission denied\)/);
  assert.doesNotMatch(pr.stderr, /\.tmp-/);
  assert.deepEqual(readdirSync(ro), []);
});

test('disk full during prepare: "disk full" naming --out, no temp folder left', (t) => {
  const disk = smallDisk('disk-prepare', '256k');
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  const out = path.join(disk, 'data');
  const r = runCli(['prepare', '--config', config('p'), '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(errorLine(r.stderr), new RegExp(`${out}: disk full`));
  assert.doesNotMatch(r.stderr, /\.tmp-/);
  assert.deepEqual(readdirSync(disk), []);
});

test('disk full during train: one error line, the run stays resumable and finishes once there is room', (t) => {
  const disk = smallDisk('disk-train', '1m');
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  // Room for the header, the log, one mid-epoch checkpoint (~175 kB) and best (~62 kB), but not
  // for a second checkpoint written beside the first.
  const ballast = path.join(disk, 'ballast');
  writeFileSync(ballast, Buffer.alloc(1024 * 1024 - 330 * 1024));
  const out = path.join(disk, 'run');
  const r = runCli(['train', '--config', config('full'), '--out', out, '--set', 'train.checkpoint_every_steps=10', ...BACKEND]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(errorLine(r.stderr), /run\/.*: disk full \(no space left on the device\)/);
  assert.ok(existsSync(path.join(out, 'checkpoints/model/last/state.json')), 'the earlier checkpoint is intact');
  assert.deepEqual(tempsIn(path.join(out, 'checkpoints/model')), []);
  rmSync(ballast);
  const resumed = runCli(['train', '--resume', out, ...BACKEND]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resumed/);
  assert.ok(existsSync(path.join(out, 'metrics.json')));
});

test('SIGINT/SIGTERM during prepare remove the temp folder; a SIGKILLed one is swept by the next prepare', async () => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    const parent = path.join(tmp, `sig-${sig}`);
    mkdirSync(parent);
    const child = startCli(['prepare', '--config', config('p'), '--out', path.join(parent, 'data')]);
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const iv = setInterval(() => {
        // Kill once the hidden temp folder holds a partial Arrow file.
        const tmpDir = tempsIn(parent)[0];
        if (tmpDir && readdirSync(path.join(parent, tmpDir)).length > 0) {
          clearInterval(iv);
          child.kill(sig);
          resolve();
        } else if (Date.now() - t0 > 60_000 || child.exitCode !== null) {
          clearInterval(iv);
          reject(new Error('prepare ended before it could be interrupted'));
        }
      }, 5);
    });
    const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
    // Ended by the signal: killed by it, or exiting with the shell's 128 + signal number.
    assert.ok(signal === sig || code === 128 + os.constants.signals[sig], `ended by ${sig} (code ${code}, signal ${signal})`);
    if (sig === 'SIGKILL') {
      assert.equal(tempsIn(parent).length, 1, 'SIGKILL cannot clean up');
      const again = runCli(['prepare', '--config', config('p'), '--out', path.join(parent, 'data')]);
      assert.equal(again.code, 0, again.stderr);
    }
    assert.deepEqual(tempsIn(parent), [], `${sig}: no temp folder is left`);
  }
});

test('SIGTERM during train: no temp checkpoint folder, the lock released, and --resume finishes the run', async () => {
  const out = path.join(tmp, 'terminated');
  const child = startCli(['train', '--config', config('term'), '--out', out, '--set', 'train.checkpoint_every_steps=1', ...BACKEND]);
  const logFile = path.join(out, 'log.jsonl');
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      const n = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"event":"step"')).length : 0;
      if (n >= 5) {
        clearInterval(iv);
        child.kill('SIGTERM');
        resolve();
      } else if (Date.now() - t0 > 120_000 || child.exitCode !== null) {
        clearInterval(iv);
        reject(new Error('train ended before it could be interrupted'));
      }
    }, 5);
  });
  const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
  assert.ok(signal === 'SIGTERM' || code === 143, `ended by SIGTERM (code ${code}, signal ${signal})`);
  assert.ok(!existsSync(path.join(tmp, '.terminated.lock')), 'the lock is released');
  assert.deepEqual(tempsIn(path.join(out, 'checkpoints/model')), []);
  const r = runCli(['train', '--resume', out, ...BACKEND]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resumed/);
});

test('an existing run is refused unless --resume or --overwrite; --overwrite replaces it as a whole', () => {
  const out = path.join(tmp, 'owned');
  const a = runCli(['train', '--config', config('own'), '--out', out, ...BACKEND]);
  assert.equal(a.code, 0, a.stderr);
  writeFileSync(path.join(out, 'old-marker'), 'from the first run');
  const metricsBefore = readFileSync(path.join(out, 'metrics.json'), 'utf8');
  const again = runCli(['train', '--config', config('own'), '--out', out, ...BACKEND]);
  assert.equal(again.code, 2);
  assert.match(errorLine(again.stderr), /owned already holds a run; continue it with "unictr train --resume .*owned" or replace it with --overwrite/);
  assert.equal(readFileSync(path.join(out, 'metrics.json'), 'utf8'), metricsBefore);
  const steps = stepsOf(path.join(out, 'log.jsonl')).length;

  const both = runCli(['train', '--resume', out, '--overwrite', ...BACKEND]);
  assert.equal(both.code, 2);
  const ow = runCli(['train', '--config', config('own'), '--out', out, '--overwrite', '--set', 'train.epochs=1', ...BACKEND]);
  assert.equal(ow.code, 0, ow.stderr);
  assert.ok(!existsSync(path.join(out, 'old-marker')), 'nothing of the old run is left');
  assert.ok(stepsOf(path.join(out, 'log.jsonl')).length < steps, 'the log starts afresh');
  assert.deepEqual(tempsIn(tmp), []);

  const mine = path.join(tmp, 'not-a-run');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'notes.txt'), 'mine');
  const n = runCli(['train', '--config', config('own'), '--out', mine, '--overwrite', ...BACKEND]);
  assert.equal(n.code, 2);
  assert.match(errorLine(n.stderr), /not-a-run: is a folder that holds no run/);
  assert.deepEqual(readdirSync(mine), ['notes.txt']);
});

test('two trains on one run folder: the second is refused while the first runs; a dead owner\'s lock is taken over', async () => {
  const out = path.join(tmp, 'locked');
  const lock = path.join(tmp, '.locked.lock');
  // Long enough to still run while the second command starts; stopped once it has been refused.
  const first = startCli(['train', '--config', config('lock'), '--out', out, '--set', 'train.epochs=200', ...BACKEND]);
  let firstErr = '';
  first.stderr.on('data', (d) => (firstErr += d));
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (existsSync(lock)) {
        clearInterval(iv);
        resolve();
      } else if (Date.now() - t0 > 60_000 || first.exitCode !== null) {
        clearInterval(iv);
        reject(new Error('the first train never took the lock'));
      }
    }, 10);
  });
  assert.equal(readFileSync(lock, 'utf8').trim(), String(first.pid));
  const second = runCli(['train', '--config', config('lock'), '--out', out, ...BACKEND]);
  assert.equal(second.code, 2);
  assert.match(errorLine(second.stderr), new RegExp(`run folder .*locked is in use by process ${first.pid}`));
  assert.equal(first.exitCode, null, `the first train still runs: ${firstErr}`);
  first.kill('SIGTERM');
  await new Promise((r) => first.once('close', r));
  assert.ok(!existsSync(lock), 'the lock is released when the owner ends');

  // A lock left by a process that no longer runs.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = path.join(tmp, 'stale');
  writeFileSync(path.join(tmp, '.stale.lock'), `${dead.stdout}\n`);
  const s = runCli(['train', '--config', config('lock'), '--out', stale, '--set', 'train.epochs=1', ...BACKEND]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, new RegExp(`taking over the lock .* of process ${dead.stdout}, which no longer runs`));
});

test('a config that fails validation leaves no run folder (model, domains, duplicates, dropout, backbone folder)', () => {
  const cfg = config('invalid');
  const cases: [string[], RegExp][] = [
    [['--set', 'model.name=deepfmm'], /^error: --set model\.name=deepfmm: key "model\.name": unknown model "deepfmm" \(did you mean "deepfm"\?\)/],
    [['--set', 'domains.train=[Nowhere]'], /invalid\.yaml: key "domains\.train": unknown domain "Nowhere"/],
    [['--set', 'domains.train=[Synthetic A, Synthetic A]'], /key "domains\.train": domain "Synthetic A" is listed twice/],
    [['--set', 'model.dropout=-0.5'], /--set model\.dropout=-0\.5: .*"model\.dropout"/],
    [['--set', 'model.ladder_dropout=1.5'], /--set model\.ladder_dropout=1\.5: key "model\.ladder_dropout"/],
    [
      ['--set', 'backbone={kind: hf, path: ./no-such-model}'],
      /^error: --set backbone=\{kind: hf, path: \.\/no-such-model\}: key "backbone\.path": model folder not found: .*no-such-model/,
    ],
  ];
  const uni = path.join(tmp, 'invalid-unictr.yaml');
  writeFileSync(uni, readFileSync(cfg, 'utf8').replace(/^model: .*$/m, 'model: { name: unictr }'));
  cases.forEach(([sets, want], i) => {
    const out = path.join(tmp, `invalid-${i}`);
    const r = runCli(['train', '--config', i >= 4 ? uni : cfg, '--out', out, ...sets, ...BACKEND]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(errorLine(r.stderr), want);
    assert.ok(!existsSync(out), `case ${i}: no run folder is made`);
  });
  // A model folder that exists but is not one: named with backbone.path and the config file.
  const empty = path.join(tmp, 'empty-model');
  mkdirSync(empty, { recursive: true });
  const f = path.join(tmp, 'bad-backbone.yaml');
  writeFileSync(f, `extends: ${uni}\nbackbone: { kind: hf, path: ${empty} }\n`);
  const r = runCli(['train', '--config', f, '--out', path.join(tmp, 'invalid-bb'), ...BACKEND]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(errorLine(r.stderr), /bad-backbone\.yaml: key "backbone\.path": .*empty-model/);
  assert.ok(!existsSync(path.join(tmp, 'invalid-bb')));
  const proto = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'invalid-proto'), '--set', '__proto__.x=1', ...BACKEND]);
  assert.equal(proto.code, 2);
  assert.match(errorLine(proto.stderr), /--set __proto__\.x=1: unknown key "__proto__\.x"/);
});

test('after a crash, --resume cuts log.jsonl back to the checkpoint: every step appears once', () => {
  const out = path.join(tmp, 'crashed');
  const cfg = config('crash');
  const sets = ['--set', 'train.checkpoint_every_steps=4'];
  const a = runCli(['train', '--config', cfg, '--out', out, ...sets, ...BACKEND], { env: { UNICTR_CRASH_AFTER_STEPS: '10' } });
  assert.notEqual(a.code, 0);
  assert.equal(stepsOf(path.join(out, 'log.jsonl')).length, 10);
  const b = runCli(['train', '--resume', out, ...BACKEND]);
  assert.equal(b.code, 0, b.stderr);
  const steps = stepsOf(path.join(out, 'log.jsonl'));
  const keys = steps.map((s) => `${s.epoch}:${s.batch}`);
  assert.equal(new Set(keys).size, keys.length, 'no step is logged twice');
  const full = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'uncrashed'), ...sets, ...BACKEND]);
  assert.equal(full.code, 0, full.stderr);
  assert.deepEqual(keys, stepsOf(path.join(tmp, 'uncrashed/log.jsonl')).map((s) => `${s.epoch}:${s.batch}`));
});

test('--resume of a run with no checkpoint says that it starts again', () => {
  const out = path.join(tmp, 'no-ckpt');
  const a = runCli(['train', '--config', config('noc'), '--out', out, ...BACKEND], { env: { UNICTR_CRASH_AFTER_STEPS: '2' } });
  assert.notEqual(a.code, 0);
  const b = runCli(['train', '--resume', out, '--set', 'train.epochs=1', ...BACKEND]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /warning: .*no-ckpt has no checkpoint yet: the run starts again from epoch 1/);
  const first = stepsOf(path.join(out, 'log.jsonl'))[0]!;
  assert.deepEqual([first.epoch, first.batch], [1, 1]);
  assert.equal(stepsOf(path.join(out, 'log.jsonl')).filter((s) => s.epoch === 1 && s.batch === 1).length, 1);
});

test('checkpoints are verified: garbage, NaN weights and a cut tensors.bin are named; eval never overwrites by default', () => {
  const run = path.join(tmp, 'verified');
  const a = runCli(['train', '--config', config('ver'), '--out', run, ...BACKEND]);
  assert.equal(a.code, 0, a.stderr);
  const metrics = readFileSync(path.join(run, 'metrics.json'), 'utf8');
  const report = readFileSync(path.join(run, 'report.md'), 'utf8');

  // eval writes beside the originals; --overwrite rewrites the run's own files.
  const e = runCli(['eval', '--run', run, '--json', ...BACKEND]);
  assert.equal(e.code, 0, e.stderr);
  for (const f of ['metrics.json', 'report.md', 'predictions/test.csv']) assert.ok(existsSync(path.join(run, 'eval', f)), f);
  assert.deepEqual(JSON.parse(readFileSync(path.join(run, 'eval/metrics.json'), 'utf8')).test, JSON.parse(metrics).test);
  const before = statSync(path.join(run, 'metrics.json')).mtimeMs;
  assert.equal(statSync(path.join(run, 'metrics.json')).mtimeMs, before);

  const best = path.join(run, 'checkpoints/model/best');
  const bin = path.join(best, 'tensors.bin');
  const stateFile = path.join(best, 'state.json');
  const good = readFileSync(bin);
  const goodState = readFileSync(stateFile, 'utf8');
  const evalFails = (want: RegExp) => {
    const r = runCli(['eval', '--run', run, '--overwrite', ...BACKEND]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(errorLine(r.stderr), want);
    assert.equal(readFileSync(path.join(run, 'metrics.json'), 'utf8'), metrics, 'metrics.json is untouched');
    assert.equal(readFileSync(path.join(run, 'report.md'), 'utf8'), report, 'report.md is untouched');
  };

  // Finite garbage of the right length: caught by the hash.
  const garbage = new Float32Array(good.byteLength / 4).map((_, i) => Math.sin(i));
  writeFileSync(bin, new Uint8Array(garbage.buffer));
  evalFails(/best\/tensors\.bin: corrupt checkpoint \(its sha256 does not match/);

  // NaN weights with a matching hash (as a bug writing them would leave): named by tensor.
  const nan = new Float32Array(good.byteLength / 4).fill(NaN);
  const nanBytes = new Uint8Array(nan.buffer);
  writeFileSync(bin, nanBytes);
  const st = JSON.parse(goodState);
  st.sha256['tensors.bin'] = createHash('sha256').update(nanBytes).digest('hex');
  writeFileSync(stateFile, JSON.stringify(st));
  evalFails(/best\/tensors\.bin: weight ".*" holds a non-finite value \(NaN/);

  // A tensors.bin cut to an odd length (a checkpoint written before hashes were stored).
  writeFileSync(bin, good);
  delete st.sha256;
  writeFileSync(stateFile, JSON.stringify(st));
  truncateSync(bin, good.byteLength - 3);
  evalFails(/best\/tensors\.bin: corrupt checkpoint \(\d+ bytes is not a whole number of float32 values\)/);

  writeFileSync(bin, good);
  writeFileSync(stateFile, goodState);
  const ok = runCli(['eval', '--run', run, '--overwrite', ...BACKEND]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('divergence: says what checkpoint exists, names the variable, epoch and batch, and suggests a lower train.lr', () => {
  const cfg = config('div');
  const noClip = runCli(
    ['train', '--config', cfg, '--out', path.join(tmp, 'div-1'), '--set', 'train.lr=1e30', '--set', 'train.grad_clip=null', ...BACKEND],
  );
  assert.equal(noClip.code, 2, noClip.stderr);
  const m1 = errorLine(noClip.stderr);
  assert.match(m1, /training diverged at epoch 1, batch \d+/);
  assert.match(m1, /lower train\.lr \(now 1e\+30\) or set train\.grad_clip/);
  assert.match(m1, /No checkpoint was written before it diverged/);
  assert.doesNotMatch(m1, /kept in/);

  const clip = runCli(['train', '--config', cfg, '--out', path.join(tmp, 'div-2'), '--set', 'train.lr=1e30', ...BACKEND]);
  assert.equal(clip.code, 2, clip.stderr);
  const m2 = errorLine(clip.stderr);
  assert.match(m2, /training diverged at epoch 1, batch \d+: (the gradient of "[a-z_]+[.\w/]*" holds NaN or Infinity|the loss became (NaN|Infinity))/);
  assert.doesNotMatch(m2, /gradient of "\d+"/, 'a model path, not a tfjs index');
  assert.match(m2, /lower train\.lr/);

  // Diverging after a checkpoint names it.
  const later = runCli(
    ['train', '--config', cfg, '--out', path.join(tmp, 'div-3'), '--set', 'train.lr=1e30', '--set', 'train.checkpoint_every_steps=1', '--set', 'train.grad_clip=null', ...BACKEND],
  );
  assert.equal(later.code, 2, later.stderr);
  const m3 = errorLine(later.stderr);
  if (!/No checkpoint/.test(m3)) assert.match(m3, /The last good checkpoint \(epoch 1, batch \d+\) is kept in .*div-3\/checkpoints\/model\/last/);
});
