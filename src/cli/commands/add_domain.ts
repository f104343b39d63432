/**
 * `unictr add-domain --run <dir> --domain <name>`: freeze a trained Uni-CTR model and train only a
 * new domain-specific network for `name` (paper Table IV).
 */
import { parseConfig } from '../../util/config.js';
import { TrainConfigSchema } from '../../train/train_config.js';
import { applySets, KeySources } from '../../util/config.js';
import { startBackend, setOption, jsonOption, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import path from 'node:path';
import { log } from '../../util/log.js';
import { printMetrics } from './print_metrics.js';

interface AddDomainArgs extends GlobalArgs, DatasetArgs {
  run: string;
  domain: string;
  set?: string[];
  json?: boolean;
}

export const addDomainCommand: UnictrCommand<AddDomainArgs> = {
  command: 'add-domain',
  describe: 'Add a new domain to a trained Uni-CTR run, training only its new DSN',
  examples: [
    ['unictr add-domain --run runs/quickstart --domain "All Beauty"', 'train a DSN for All Beauty only'],
  ],
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('run', { type: 'string', demandOption: true, describe: 'Uni-CTR run folder' })
      .option('domain', { type: 'string', demandOption: true, describe: 'domain name in the run\'s dataset' })
      .option('set', { ...setOption, describe: 'override train.* keys for this step, e.g. --set train.epochs=3' })
      .option('json', jsonOption) as never,
  handler: async (args) => {
    const { openTrainedRun, slug } = await import('../../train/run.js');
    const { runPaths } = await import('../../train/run_folder.js');
    const { addDomainToRun } = await import('../../train/add_domain.js');
    const { lockRunFolder, requireRunFolder } = await import('../../train/run_folder.js');
    requireRunFolder(args.run);
    lockRunFolder(args.run); // held until the command exits: one writer per run folder
    await startBackend(args);
    const ctx = await openTrainedRun(args.run, [args.domain], { rebuild: args.rebuild });
    try {
      const sources = new KeySources(ctx.loaded.file);
      const overrides = applySets({ train: ctx.loaded.raw.train ?? {} }, args.set ?? [], sources);
      const train = parseConfig(TrainConfigSchema, overrides.train, sources, ['train']);
      const res = await addDomainToRun(args.run, ctx, args.domain, train);
      printMetrics({ test: { [args.domain]: res.metrics }, zero_shot: {} }, Boolean(args.json));
      log.info(`wrote ${path.join(args.run, 'checkpoints', `added-${slug(args.domain)}`)}, ${path.join(runPaths(args.run).predictions, `added_${slug(args.domain)}.csv`)}, ${runPaths(args.run).metrics}`);
    } finally {
      ctx.built.dispose();
    }
  },
};
