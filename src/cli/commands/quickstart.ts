/**
 * `unictr quickstart` (npm run quickstart): prepare the shipped Amazon data, train Uni-CTR on the
 * frozen USE-lite backbone (Fashion, Musical Instruments, Gift Cards), score All Beauty
 * zero-shot, and write runs/quickstart/ with metrics, predictions, report and curve.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setInterruptNote, setOption, startBackend, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { printMetrics } from './print_metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

interface QuickstartArgs extends GlobalArgs, DatasetArgs {
  out: string;
  config: string;
  set?: string[];
  overwrite?: boolean;
  seed?: number;
}

export const quickstartCommand: UnictrCommand<QuickstartArgs> = {
  command: 'quickstart',
  describe: 'The main job: real Amazon data → Uni-CTR (frozen USE-lite) → test + zero-shot metrics',
  examples: [
    ['unictr quickstart', 'about 2 to 3 minutes on 2 CPU cores (see README, Measured)'],
  ],
  builder: (y) =>
    y
      .option('out', { type: 'string', default: 'runs/quickstart', describe: 'run folder' })
      .option('rebuild', rebuildOption)
      .option('config', { type: 'string', default: path.join(ROOT, 'experiments/quickstart.yaml'), describe: 'experiment YAML' })
      .option('set', setOption)
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace an earlier quickstart run in --out (otherwise it is an error)' })

      .option('seed', { type: 'number', describe: 'override the seed (same as --set seed=N)' }) as never,
  handler: async (args) => {
    const { loadExperiment } = await import('../../train/experiment.js');
    const { runExperiment } = await import('../../train/run.js');
    const { runPaths } = await import('../../train/run_folder.js');
    const t0 = Date.now();
    const { withSeed } = await import('./train.js');
    const loaded = loadExperiment(args.config, withSeed(args.set, args.seed));
    const backend = await startBackend(args);
    let where = 'before training started';
    setInterruptNote(() => `interrupted ${where}; resume with \`unictr train --resume ${args.out}\``);
    const metrics = await runExperiment({
      dataset: { rebuild: args.rebuild },
      loaded,
      out: path.resolve(args.out),
      overwrite: Boolean(args.overwrite),
      backend: backend.choice,
      command: process.argv.slice(2),
      onPosition: (p) => (where = `at epoch ${p.epoch} batch ${p.batch}`),
    });
    setInterruptNote(null);
    process.stdout.write(`\nUni-CTR quickstart (${loaded.config.domains.train.join(', ')}; zero-shot: ${loaded.config.domains.zero_shot.join(', ')})\n`);
    printMetrics(metrics, false);
    const p = runPaths(path.resolve(args.out));
    process.stdout.write(`\nrun folder: ${path.resolve(args.out)}\nreport: ${p.report}\ncurve: ${p.curve}\nwall time: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  },
};
