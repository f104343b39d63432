/**
 * `unictr config --config <yaml> [--set k=v …]`: the merged (extends + --set), validated config
 * with every default filled in, as YAML — what `unictr train` would run.
 */
import { setOption, type GlobalArgs, type UnictrCommand } from '../common.js';

interface ConfigArgs extends GlobalArgs {
  config: string;
  set?: string[];
  seed?: number;
}

export const configCommand: UnictrCommand<ConfigArgs> = {
  command: 'config',
  describe: 'Print the merged, validated experiment config (extends and --set applied, defaults filled in)',
  examples: [
    ['unictr config --config experiments/tiny.yaml', 'the tiny experiment with every default'],
    ['unictr config --config experiments/baselines/deepfm.yaml --set train.epochs=3', 'after an override'],
  ],
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'experiment YAML' })
      .option('set', setOption)
      .option('seed', { type: 'number', describe: 'override the seed (same as --set seed=N)' }) as never,
  handler: async (args) => {
    const YAML = (await import('yaml')).default;
    const { loadExperiment } = await import('../../train/experiment.js');
    const { validateModelBlock } = await import('../../model/registry.js');
    const { withSeed } = await import('./train.js');
    const loaded = loadExperiment(args.config, withSeed(args.set, args.seed));
    const model = validateModelBlock(loaded.config.model, loaded.file);
    process.stdout.write(YAML.stringify({ ...loaded.config, model }));
  },
};
