/**
 * This project's Uni-CTR head (benchmarks/unictr_step.bench.ts) next to an independent PyTorch
 * implementation of the same head (benchmarks/reference/unictr_torch.py): same shapes, same
 * parameter count (checked), at 1 and 2 threads. Each round runs every (seq, threads) pair on both
 * sides back to back, alternating which side goes first, so both see the same machine load; the
 * figure per side is the median over rounds of each process's median step.
 *
 * Run: npm run bench:vs-torch -- [--rounds 3] [--reps 3] [--seq 32,64] [--threads 1,2] [--batch 64] [--out benchmarks/results/vs_torch.json]
 * Needs python3 with torch (Debian: apt-get install -y python3-torch); without it, says so and exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { atomicWriteJson } from '../src/util/fs.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    reps: { type: 'string', default: '3' },
    seq: { type: 'string', default: '32,64' },
    threads: { type: 'string', default: '1,2' },
    batch: { type: 'string', default: '64' },
    out: { type: 'string', default: 'benchmarks/results/vs_torch.json' },
  },
});
// The first interpreter that imports torch: $PYTHON, else python3 on PATH, else Debian's.
const candidates = process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
const probes = candidates.map((py) => ({ py, r: spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }) }));
const found = probes.find((p) => p.r.status === 0);
if (!found) {
  console.log(`PyTorch is not importable from ${candidates.join(' or ')}; no ratio measured. Install it with \`apt-get install -y python3-torch\` (Debian/Ubuntu) or \`pip install torch\`, or point PYTHON at an interpreter that has it.`);
  process.exit(0);
}
const python = found.py;
const torchVersion = found.r.stdout.trim();
const list = (s: string) => s.split(',').map(Number);
const [seqs, threadList, rounds, reps, batch] = [list(args.seq), list(args.threads), Number(args.rounds), args.reps, args.batch];

interface SideResult {
  params: { trainable: number; total: number };
  threads: number;
  threads_note?: string;
  train_samples_per_s: number;
  infer_samples_per_s: number;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vs-torch-'));
function runSide(side: 'tfjs' | 'pytorch', seq: number, threads: number): SideResult {
  const json = path.join(tmp, `${side}-${seq}-${threads}.json`);
  const common = ['--threads', String(threads), '--batch', batch, '--seq', String(seq), '--reps', reps, '--json', json];
  const [cmd, cmdArgs] =
    side === 'tfjs'
      ? [process.execPath, ['--import', 'tsx', 'benchmarks/unictr_step.bench.ts', ...common]]
      : [python, ['benchmarks/reference/unictr_torch.py', ...common]];
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${side} benchmark failed (exit ${r.status}):\n${r.stdout}`);
  const line = r.stdout.split('\n').find((l) => l.includes('samples/s'));
  console.log(`  ${line ?? ''}`);
  return JSON.parse(readFileSync(json, 'utf8')) as SideResult;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const samples = new Map<string, { tfjs: SideResult[]; pytorch: SideResult[] }>();
const load0 = os.loadavg();
const t0 = Date.now();
for (let round = 0; round < rounds; round++) {
  console.log(`round ${round + 1}/${rounds}`);
  for (const seq of seqs) {
    for (const threads of threadList) {
      const key = `${seq}/${threads}`;
      const entry = samples.get(key) ?? { tfjs: [], pytorch: [] };
      const order: ('tfjs' | 'pytorch')[] = round % 2 === 0 ? ['tfjs', 'pytorch'] : ['pytorch', 'tfjs'];
      for (const side of order) entry[side].push(runSide(side, seq, threads));
      samples.set(key, entry);
    }
  }
}
rmSync(tmp, { recursive: true, force: true });

const rows = [...samples].map(([key, e]) => {
  const [seq, threads] = key.split('/').map(Number) as [number, number];
  const pt = e.pytorch[0]!.params;
  const tp = e.tfjs[0]!.params;
  if (pt.trainable !== tp.trainable || pt.total !== tp.total) {
    throw new Error(`parameter counts differ: tfjs ${JSON.stringify(tp)} vs pytorch ${JSON.stringify(pt)}; the comparison is void`);
  }
  const side = (rs: SideResult[]) => ({
    threads_used: rs[0]!.threads,
    train_samples_per_s: median(rs.map((r) => r.train_samples_per_s)),
    infer_samples_per_s: median(rs.map((r) => r.infer_samples_per_s)),
    train_samples: rs.map((r) => r.train_samples_per_s),
    infer_samples: rs.map((r) => r.infer_samples_per_s),
  });
  const tfjs = side(e.tfjs);
  const pytorch = side(e.pytorch);
  return {
    seq,
    threads_requested: threads,
    params: tp,
    tfjs,
    pytorch,
    ratio_train: tfjs.train_samples_per_s / pytorch.train_samples_per_s,
    ratio_infer: tfjs.infer_samples_per_s / pytorch.infer_samples_per_s,
  };
});
const result = {
  command: `npm run bench:vs-torch -- --rounds ${rounds} --reps ${reps} --seq ${args.seq} --threads ${args.threads} --batch ${batch}`,
  conditions: {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    load_average_1min_start: load0[0],
    load_average_1min_end: os.loadavg()[0],
    wall_s: (Date.now() - t0) / 1000,
    node: process.version,
    torch: torchVersion,
    tfjs_threads_note: e0Note(),
  },
  batch: Number(batch),
  rows,
};
function e0Note(): string {
  return [...samples.values()][0]?.tfjs[0]?.threads_note ?? '';
}
await atomicWriteJson(args.out, result);

console.log(`\nsamples/s, median of ${rounds} interleaved rounds (load average ${load0[0]!.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs)`);
console.log('| seq | threads asked | tfjs threads | tfjs train | torch train | ratio | tfjs infer | torch infer | ratio |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.seq} | ${r.threads_requested} | ${r.tfjs.threads_used} | ${r.tfjs.train_samples_per_s.toFixed(1)} | ${r.pytorch.train_samples_per_s.toFixed(1)} | ` +
      `${r.ratio_train.toFixed(2)}× | ${r.tfjs.infer_samples_per_s.toFixed(1)} | ${r.pytorch.infer_samples_per_s.toFixed(1)} | ${r.ratio_infer.toFixed(2)}× |`,
  );
}
console.log(`written ${args.out}`);
