/**
 * `unictr prepare --config <yaml> --out <dir> [--set k=v ...]`: raw sources → processed dataset.
 */
import { announceNoBackend, type GlobalArgs, type UnictrCommand } from '../common.js';
import { formatCounts } from './inspect.js';

interface PrepareArgs extends GlobalArgs {
  config: string;
  out: string;
  set?: string[];
}

export const prepareCommand: UnictrCommand<PrepareArgs> = {
  command: 'prepare',
  describe: 'Read raw reviews + metadata, preprocess (spec §1), write Arrow splits, manifest and vocabularies',
  examples: [
    ['unictr prepare --config experiments/amazon-local.yaml --out runs/data/amazon', 'the shipped Amazon data as a processed dataset'],
  ],
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'experiment YAML with a data: block' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (replaced atomically)' })
      .option('set', { type: 'string', array: true, describe: 'override a config key, e.g. --set data.join=inner' }) as never,
  handler: async (args) => {
    announceNoBackend(args);
    const { prepareDataset } = await import('../../data/prepare.js');
    const manifest = await prepareDataset({ config: args.config, out: args.out, sets: args.set ?? [] });
    process.stdout.write(`wrote ${args.out}\n${formatCounts(manifest)}`);
  },
};
