/**
 * Learning-curve SVGs from a run's log.jsonl ("eval" events of train.eval_every_steps), e.g. for a
 * run that has not finished yet:
 *
 *   npx tsx scripts/learning-curves.ts runs/x/log.jsonl docs/img/x    # writes x_auc.svg, x_logloss.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { evalEvents, learningCurveSeries } from '../src/train/diagnostics.js';
import { trainingCurveSvg } from '../src/train/plot.js';

const [logFile, prefix] = process.argv.slice(2);
if (!logFile || !prefix) {
  console.error('usage: npx tsx scripts/learning-curves.ts LOG.jsonl OUT_PREFIX');
  process.exit(2);
}
const events = evalEvents(readFileSync(logFile, 'utf8'));
if (events.length === 0) {
  console.error(`error: ${logFile} holds no "eval" events (train.eval_every_steps was 0?)`);
  process.exit(2);
}
for (const metric of ['auc', 'logloss'] as const) {
  const file = `${prefix}_${metric}.svg`;
  writeFileSync(file, trainingCurveSvg(learningCurveSeries(events, metric), { title: `${metric}: validation per domain, training sample pooled`, xLabel: 'optimizer step', yLabel: metric }));
  console.log(`wrote ${file}`);
}
