/**
 * The learning-rate range test's plot and table from a run trained with
 * `train.schedule.type: range_test` (docs/training.md): training loss per step against log10 of
 * the learning rate, raw and smoothed (exponential moving average with bias correction, β 0.9).
 *
 *   npx tsx scripts/lr-range.ts runs/mag-lr/log.jsonl docs/img/magazines-lr-range.svg
 *
 * Prints the smoothed loss at every half decade, the rate where it falls fastest and its minimum.
 */
import { writeFileSync } from 'node:fs';
import { trainingCurveSvg } from '../src/train/plot.js';
import { readStepLosses } from '../src/train/run_folder.js';

const [logFile, out] = process.argv.slice(2);
if (!logFile || !out) {
  console.error('usage: npx tsx scripts/lr-range.ts LOG.jsonl OUT.svg');
  process.exit(2);
}
// Steps redone after a resume count once; a range test has one model, so steps are in order.
const steps = readStepLosses(logFile).flatMap((s) => (s.lr === undefined ? [] : [{ ...s, lr: s.lr }]));
if (steps.length < 10) {
  console.error(`error: ${logFile} holds ${steps.length} step events with a learning rate; a range test needs a run of at least 10 steps`);
  process.exit(2);
}
const beta = 0.9;
let avg = 0;
const smooth = steps.map((s, i) => {
  avg = beta * avg + (1 - beta) * s.loss;
  return avg / (1 - beta ** (i + 1));
});
const x = steps.map((s) => Math.log10(s.lr));
writeFileSync(
  out,
  trainingCurveSvg(
    [
      { name: 'loss per step', points: steps.map((s, i) => [x[i]!, s.loss]), width: 1, dots: false, color: '#bbbbbb' },
      { name: `smoothed (EMA ${beta})`, points: smooth.map((v, i) => [x[i]!, v]), dots: false },
    ],
    { title: 'learning-rate range test: training loss', xLabel: 'log10 learning rate', yLabel: 'loss' },
  ),
);
console.log(`wrote ${out}`);
console.log('| learning rate | step | smoothed loss |\n|---|---|---|');
const first = Math.ceil(x[0]! * 2) / 2;
for (let h = first; h <= x[x.length - 1]! + 1e-9; h += 0.5) {
  const i = x.findIndex((v) => v >= h - 1e-9);
  if (i >= 0) console.log(`| ${steps[i]!.lr.toExponential(1)} | ${steps[i]!.step} | ${smooth[i]!.toFixed(4)} |`);
}
// Steepest fall of the smoothed loss per unit of log10(lr), over windows of 10 steps (skip the EMA's warm-up).
let best = { slope: Infinity, i: 0 };
for (let i = 10; i + 10 < steps.length; i++) {
  const slope = (smooth[i + 10]! - smooth[i]!) / (x[i + 10]! - x[i]!);
  if (slope < best.slope) best = { slope, i: i + 5 };
}
const min = smooth.reduce((m, v, i) => (v < smooth[m]! ? i : m), 0);
console.log(`steepest fall at lr ${steps[best.i]!.lr.toExponential(1)} (${best.slope.toFixed(3)} per decade); minimum ${smooth[min]!.toFixed(4)} at lr ${steps[min]!.lr.toExponential(1)}`);
