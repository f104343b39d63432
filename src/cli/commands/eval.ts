/**
 * `unictr eval --run <dir>`: re-score a run from its best checkpoints. The results go beside the
 * run's own (into `<dir>/eval/`: metrics.json, predictions/test.csv, report.md, curve.svg), so a
 * training run's results are never replaced by accident; `--overwrite` rewrites the run's own files.
 */
import path from 'node:path';
import { readJson } from '../../util/fs.js';
import { existsSync } from 'node:fs';
import type { MetricsFile } from '../../train/run.js';
import { startBackend, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { printMetrics } from './print_metrics.js';

interface EvalArgs extends GlobalArgs, DatasetArgs {
  run: string;
  json?: boolean;
  overwrite?: boolean;
}

export const evalCommand: UnictrCommand<EvalArgs> = {
  command: 'eval',
  describe: 'Evaluate a trained run on its test split (and zero-shot domains) from the best checkpoint',
  examples: [
    ['unictr eval --run runs/quickstart', 'recompute the quickstart metrics into runs/quickstart/eval/'],
  ],
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('run', { type: 'string', demandOption: true, describe: 'run folder written by "unictr train"' })
      .option('json', { type: 'boolean', default: false, describe: 'print the metrics as JSON' })
      .option('overwrite', {
        type: 'boolean',
        default: false,
        describe: "replace the run's own metrics.json, report.md and predictions (default: write them into <run>/eval/)",
      }) as never,
  handler: async (args) => {
    const { evaluateRun, openTrainedRun, writeRunOutputs } = await import('../../train/run.js');
    const { lockRunFolder, requireRunFolder, runPaths } = await import('../../train/run_folder.js');
    requireRunFolder(args.run);
    const lock = lockRunFolder(args.run);
    try {
      await startBackend(args);
      const ctx = await openTrainedRun(args.run, [], { rebuild: args.rebuild });
      try {
        const old = existsSync(runPaths(args.run).metrics) ? await readJson<MetricsFile>(runPaths(args.run).metrics) : null;
        const metrics = await evaluateRun(ctx, old?.epochs ?? {});
        await writeRunOutputs(args.overwrite ? args.run : path.join(args.run, 'eval'), ctx, metrics);
        const { predictions: _p, ...rest } = metrics;
        printMetrics(rest, Boolean(args.json));
      } finally {
        ctx.built.dispose();
      }
    } finally {
      lock.release();
    }
  },
};
