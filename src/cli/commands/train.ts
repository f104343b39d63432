/**
 * `unictr train --config <yaml> --out <dir>` trains an experiment and writes the run folder;
 * `unictr train --resume <dir>` continues an interrupted run from its last checkpoint.
 */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { CliArgsError } from '../../util/errors.js';
import { setOption, startBackend, rebuildOption, type DatasetArgs, type GlobalArgs } from '../common.js';
import { printMetrics } from './print_metrics.js';

interface TrainArgs extends GlobalArgs, DatasetArgs {
  config?: string;
  out?: string;
  resume?: string;
  overwrite?: boolean;
  set?: string[];
  json?: boolean;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'Train an experiment (Uni-CTR or a baseline) and write its run folder',
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('config', { type: 'string', describe: 'experiment YAML' })
      .option('out', { type: 'string', describe: 'run folder to write' })
      .option('resume', { type: 'string', describe: 'continue the run in this folder from its last checkpoint' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace the run already in --out (otherwise an existing run is an error)' })
      .option('set', setOption)
      .option('json', { type: 'boolean', default: false, describe: 'print metrics.json to stdout' })
      .example('$0 train --config experiments/tiny.yaml --out runs/tiny', 'train the fast test config')
      .example('$0 train --resume runs/tiny', 'continue an interrupted run')
      .example('$0 train --config experiments/baselines/deepfm.yaml --out runs/deepfm --set train.epochs=3', 'a baseline, fewer epochs') as never,
  handler: async (args) => {
    const { loadExperiment } = await import('../../train/experiment.js');
    const { runExperiment } = await import('../../train/run.js');
    const { requireRunFolder, runPaths } = await import('../../train/run_folder.js');
    let file: string;
    let out: string;
    if (args.resume) {
      if (args.config || args.out || args.overwrite) {
        throw new CliArgsError('--resume takes the run folder alone; do not combine it with --config, --out or --overwrite');
      }
      requireRunFolder(args.resume);
      out = args.resume;
      file = runPaths(out).config;
    } else {
      if (!args.config || !args.out) throw new CliArgsError('train needs --config <yaml> and --out <dir> (or --resume <dir>)');
      file = args.config;
      out = args.out;
    }
    const loaded = loadExperiment(file, args.set ?? []);
    const backend = await startBackend(args);
    const metrics = await runExperiment({
      dataset: { rebuild: args.rebuild },
      loaded,
      out: path.resolve(out),
      resume: Boolean(args.resume),
      overwrite: Boolean(args.overwrite),
      backend: backend.choice,
      command: process.argv.slice(2),
      crashAfterSteps: process.env.UNICTR_CRASH_AFTER_STEPS ? Number(process.env.UNICTR_CRASH_AFTER_STEPS) : undefined,
    });
    printMetrics(metrics, Boolean(args.json));
  },
};
