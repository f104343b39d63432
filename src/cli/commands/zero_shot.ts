/**
 * `unictr zero-shot --run <dir> --domain <name>`: score a domain the model never trained on —
 * Uni-CTR with its general network, baselines with the tower chosen on validation data.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { MetricsFile } from '../../train/run.js';
import { atomicWriteJson, readJson } from '../../util/fs.js';
import { startBackend, jsonOption, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { printMetrics } from './print_metrics.js';

interface ZeroShotArgs extends GlobalArgs, DatasetArgs {
  run: string;
  domain: string[];
  json?: boolean;
}

export const zeroShotCommand: UnictrCommand<ZeroShotArgs> = {
  command: 'zero-shot',
  describe: 'Score unseen domains zero-shot (Uni-CTR: general network)',
  examples: [
    ['unictr zero-shot --run runs/quickstart --domain "All Beauty"', 'the paper\'s zero-shot test'],
  ],
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('run', { type: 'string', demandOption: true, describe: 'run folder written by "unictr train"' })
      .option('domain', { type: 'string', array: true, demandOption: true, describe: 'domain name(s) in the dataset' })
      .option('json', jsonOption) as never,
  handler: async (args) => {
    const { domainIds, openTrainedRun, slug, zeroShotEval } = await import('../../train/run.js');
    const { lockRunFolder, requireRunFolder, runPaths, writePredictionsCsv } = await import('../../train/run_folder.js');
    requireRunFolder(args.run);
    lockRunFolder(args.run); // held until the command exits: one writer per run folder
    await startBackend(args);
    // Only the test rows of the scored domains need states.
    const ctx = await openTrainedRun(args.run, args.domain, { rebuild: args.rebuild }, { split: 'test', domains: args.domain });
    try {
      const ids = domainIds(ctx.manifest, args.domain, '--domain', 'command line');
      const res = await zeroShotEval(ctx, ids);
      const p = runPaths(args.run);
      for (const name of Object.keys(res.metrics)) {
        await writePredictionsCsv(
          path.join(p.predictions, `zero_shot_${slug(name)}.csv`),
          res.predictions.filter((r) => r.domain === name),
        );
      }
      if (existsSync(p.metrics)) {
        const m = await readJson<MetricsFile>(p.metrics);
        m.zero_shot = { ...m.zero_shot, ...res.metrics };
        m.zero_shot_head_choice = res.description;
        await atomicWriteJson(p.metrics, m);
      }
      printMetrics({ test: {}, zero_shot: res.metrics }, Boolean(args.json));
    } finally {
      ctx.built.dispose();
    }
  },
};
