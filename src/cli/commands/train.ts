/**
 * `unictr train --config <yaml> [--out <dir>]` trains an experiment and writes the run folder;
 * `unictr train --resume <dir>` continues an interrupted run from its last checkpoint;
 * `--dry-run` validates everything and prints what would run, writing nothing.
 */
import path from 'node:path';
import { CliArgsError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import type { MetricsFile } from '../../train/run.js';
import { jsonOption, rebuildOption, setInterruptNote, setOption, startBackend, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { printMetrics } from './print_metrics.js';

interface TrainArgs extends GlobalArgs, DatasetArgs {
  config?: string;
  out?: string;
  resume?: string;
  overwrite?: boolean;
  set?: string[];
  seed?: number;
  'dry-run': boolean;
  json: boolean;
}

/** `--seed N` is `--set seed=N`, applied last. */
export function withSeed(sets: readonly string[] | undefined, seed: number | undefined): string[] {
  return [...(sets ?? []), ...(seed === undefined ? [] : [`seed=${seed}`])];
}

/** Default run folder: runs/<experiment name>/<UTC timestamp>. */
export function defaultRunFolder(name: string, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return path.join('runs', name.replace(/[^\w.-]+/g, '_'), stamp);
}

/** One line at the end of a run: best epoch, total time, where the results are. */
export function summaryLine(metrics: Pick<MetricsFile, 'epochs'>, seconds: number, out: string): string {
  const bests = Object.entries(metrics.epochs).flatMap(([unit, h]) => {
    const finite = h.filter((e) => Number.isFinite(e.valid_auc));
    if (!finite.length) return [];
    const b = finite.reduce((a, e) => (e.valid_auc > a.valid_auc ? e : a));
    return [`${unit === 'model' ? '' : `${unit} `}best epoch ${b.epoch}/${h.length} (valid AUC ${b.valid_auc.toFixed(4)})`];
  });
  return `done: ${bests.join(', ') || 'no validation score'}; ${seconds.toFixed(1)} s; results in ${out}`;
}

export const trainCommand: UnictrCommand<TrainArgs> = {
  command: 'train',
  describe: 'Train an experiment (Uni-CTR or a baseline) and write its run folder',
  examples: [
    ['unictr train --config experiments/tiny.yaml --out runs/tiny', 'train the fast test config'],
    ['unictr train --resume runs/tiny', 'continue an interrupted run'],
    ['unictr train --config experiments/baselines/deepfm.yaml --set train.epochs=3 --seed 7', 'a baseline, fewer epochs, another seed (run folder runs/deepfm/<time>)'],
    ['unictr train --config experiments/tiny.yaml --dry-run', 'check the config, data and model; print what would run'],
  ],
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('config', { type: 'string', describe: 'experiment YAML [required unless --resume]' })
      .option('out', { type: 'string', describe: 'run folder to write (default: runs/<config name>/<UTC time>)' })
      .option('resume', { type: 'string', describe: 'continue the run in this folder from its last checkpoint' })
      .option('overwrite', { type: 'boolean', default: false, describe: 'replace the run already in --out (otherwise an existing run is an error)' })
      .option('set', setOption)
      .option('seed', { type: 'number', describe: 'override the seed (same as --set seed=N)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate config, data and model, print what would run, write nothing' })
      .option('json', { ...jsonOption, describe: 'print metrics.json to stdout' })
      .conflicts('resume', ['config', 'out', 'seed']) as never,
  handler: async (args) => {
    const { loadExperiment } = await import('../../train/experiment.js');
    const { requireRunFolder, runPaths } = await import('../../train/run_folder.js');
    const t0 = Date.now();
    let file: string;
    let out: string;
    let sets: string[] = [];
    if (args.resume) {
      if (args.config || args.out || args.overwrite) {
        throw new CliArgsError('--resume takes the run folder alone; do not combine it with --config, --out or --overwrite');
      }
      requireRunFolder(args.resume);
      out = args.resume;
      file = runPaths(out).config;
      sets = args.set ?? [];
    } else {
      if (!args.config) throw new CliArgsError('train needs --config <yaml> (or --resume <dir>)');
      file = args.config;
      sets = withSeed(args.set, args.seed);
      out = args.out ?? '';
    }
    const loaded = loadExperiment(file, sets);
    if (!out) out = defaultRunFolder(loaded.config.name);
    if (args['dry-run']) {
      const { planRun } = await import('../../train/dry_run.js');
      const lines = await planRun(loaded, path.resolve(out));
      process.stdout.write(`dry run (nothing written):\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
      return;
    }
    const backend = await startBackend(args);
    const { runExperiment } = await import('../../train/run.js');
    let where = 'before training started';
    setInterruptNote(() => `interrupted ${where}; resume with \`unictr train --resume ${out}\``);
    const metrics = await runExperiment({
      dataset: { rebuild: args.rebuild },
      loaded,
      out: path.resolve(out),
      resume: Boolean(args.resume),
      overwrite: Boolean(args.overwrite),
      backend: backend.choice,
      command: process.argv.slice(2),
      crashAfterSteps: process.env.UNICTR_CRASH_AFTER_STEPS ? Number(process.env.UNICTR_CRASH_AFTER_STEPS) : undefined,
      onPosition: (p) => (where = `at ${p.label ? `${p.label} ` : ''}epoch ${p.epoch} batch ${p.batch}`),
    });
    setInterruptNote(null);
    printMetrics(metrics, args.json);
    log.info(summaryLine(metrics, (Date.now() - t0) / 1000, out));
  },
};
