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
import { newDataOptions, newDataSpec, type NewDataArgs } from '../new_data_options.js';
import { printMetrics } from './print_metrics.js';

interface AddDomainArgs extends GlobalArgs, DatasetArgs, NewDataArgs {
  run: string;
  domain: string;
  data?: string;
  set?: string[];
  json?: boolean;
}

export const addDomainCommand: UnictrCommand<AddDomainArgs> = {
  command: 'add-domain',
  describe: 'Add a new domain to a trained Uni-CTR run, training only its new DSN',
  examples: [
    ['unictr add-domain --run runs/quickstart --domain "All Beauty"', 'train a DSN for All Beauty only'],
    ['unictr add-domain --run runs/r --data Digital_Music_5.json.gz --meta meta_Digital_Music.json.gz --domain "Digital Music"', 'a domain from a new file'],
  ],
  builder: (y) =>
    newDataOptions(y)
      .option('rebuild', rebuildOption)
      .option('run', { type: 'string', demandOption: true, describe: 'Uni-CTR run folder' })
      .option('domain', { type: 'string', demandOption: true, describe: 'domain name in the run\'s dataset, or the new domain of --data' })
      .option('data', { type: 'string', describe: 'the new domain\'s rows from a file the dataset never held (or a YAML with a data: block), split by the run\'s time split' })
      .option('set', { ...setOption, describe: 'override train.* keys for this step, e.g. --set train.epochs=3' })
      .option('json', jsonOption) as never,
  handler: async (args) => {
    const { openTrainedRun, slug } = await import('../../train/run.js');
    const { runPaths } = await import('../../train/run_folder.js');
    const { addDomainToRun } = await import('../../train/add_domain.js');
    const { lockRunFolder, requireRunFolder } = await import('../../train/run_folder.js');
    requireRunFolder(args.run);
    lockRunFolder(args.run); // held until the command exits: one writer per run folder
    if (args.data !== undefined) return addFromFile(args);
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

async function addFromFile(args: AddDomainArgs): Promise<void> {
  const { openRunWithNewData, pickDomains, newDomainTrainRows, describeTrainRows } = await import('../../train/new_data.js');
  const { addDomainToRun } = await import('../../train/add_domain.js');
  const { rowsOfDomains } = await import('../../train/batches.js');
  const { describeUnseen } = await import('../../data/new_rows.js');
  const { ConfigError } = await import('../../util/errors.js');
  await startBackend(args);
  const spec = newDataSpec(args.data!, args.domain, args);
  const { ctx, rows } = await openRunWithNewData(args.run, spec, ['train', 'valid', 'test'], { dataset: { rebuild: args.rebuild } });
  try {
    const [d] = pickDomains(rows, args.domain, args.data!);
    if (d!.inRun) throw new ConfigError(`domain "${d!.name}" is in the run's dataset; add it without --data`);
    // The run's train.max_train_rows applies as on the in-dataset path (same cap, same seeded rows).
    const trainRows = newDomainTrainRows(ctx, rows, d!);
    const source = async (s: 'train' | 'valid' | 'test') =>
      ctx.built.sourceOf(rows.parts[s]!, s === 'train' ? trainRows.rows : rowsOfDomains(rows.parts[s]!, [d!.id]));
    const sources = new KeySources(ctx.loaded.file);
    const overrides = applySets({ train: ctx.loaded.raw.train ?? {} }, args.set ?? [], sources);
    const train = parseConfig(TrainConfigSchema, overrides.train, sources, ['train']);
    const res = await addDomainToRun(args.run, ctx, args.domain, train, {
      data: path.resolve(args.data!),
      train: await source('train'),
      valid: await source('valid'),
      test: await source('test'),
    });
    if (!args.json) process.stdout.write(`${describeUnseen(d!)}; ${describeTrainRows(trainRows)}\n`);
    printMetrics({ test: { [args.domain]: res.metrics }, zero_shot: {} }, Boolean(args.json));
  } finally {
    ctx.built.dispose();
  }
}
