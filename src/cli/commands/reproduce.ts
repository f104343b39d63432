/**
 * `unictr reproduce --config experiments/reproduce/<name>.yaml --out results/<name>`: trains the
 * grid of runs a reproduce config names (model × seed × variant, skipping finished ones) and writes
 * the paper-shaped tables, CSVs, figures and summary.json from the run folders.
 */
import path from 'node:path';
import { CliArgsError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { startBackend, type GlobalArgs, type UnictrCommand } from '../common.js';

interface ReproduceArgs extends GlobalArgs {
  config: string;
  out: string;
  seeds?: number;
  only?: string;
  models?: string;
  train: boolean;
  resume: boolean;
  'dry-run': boolean;
}

export const reproduceCommand: UnictrCommand<ReproduceArgs> = {
  command: 'reproduce',
  describe: "Train a grid of runs over seeds on equal budgets and write the paper's tables with significance tests",
  examples: [
    ['unictr reproduce --config experiments/reproduce/smoke.yaml --out results/smoke', 'the two-minute check of the whole command'],
    ['unictr reproduce --config experiments/reproduce/magazines.yaml --out results/magazines --only table3 --resume', 'Table III only, continuing an interrupted grid'],
    ['unictr reproduce --config experiments/reproduce/magazines.yaml --out results/magazines --models sarnet,dffm', 'train only these rows (e.g. models added to the config), then write the tables'],
    ['unictr reproduce --config experiments/reproduce/magazines.yaml --out results/magazines --no-train', 'tables from the runs finished so far (an incomplete grid says so)'],
  ],
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'reproduce YAML (experiments/reproduce/*.yaml)' })
      .option('out', { type: 'string', demandOption: true, describe: 'results folder (run folders go to OUT/runs/)' })
      .option('seeds', { type: 'number', describe: "number of seeds (default: the config's list)" })
      .option('only', { type: 'string', describe: 'comma-separated tables: table3, zero_shot, ablation, scaling' })
      .option('models', { type: 'string', describe: 'comma-separated model ids of reproduce.models: train only their runs (the tables use every finished run)' })
      .option('train', { type: 'boolean', default: true, describe: 'train unfinished runs (--no-train: only write the tables from the finished ones)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue interrupted runs from their last checkpoint instead of restarting them' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate the config and print what would run' }) as never,
  handler: async (args) => {
    const { loadReproduceConfig, TABLE_NAMES } = await import('../../eval/reproduce_config.js');
    const { planGrid, describeGrid, runGrid, gridSeeds } = await import('../../eval/grid.js');
    type Table = (typeof TABLE_NAMES)[number];
    const only = args.only?.split(',').map((s) => s.trim()).filter(Boolean);
    for (const t of only ?? []) {
      if (!(TABLE_NAMES as readonly string[]).includes(t)) throw new CliArgsError(`--only: unknown table "${t}" (allowed: ${TABLE_NAMES.join(', ')})`);
    }
    if (args.seeds !== undefined && !(Number.isInteger(args.seeds) && args.seeds > 0)) throw new CliArgsError(`--seeds: expected a positive integer, got ${args.seeds}`);
    const rc = loadReproduceConfig(args.config);
    const out = path.resolve(args.out);
    const plan = planGrid(rc, out, { seeds: args.seeds, only: only as Table[] | undefined });
    const models = args.models?.split(',').map((s) => s.trim()).filter(Boolean);
    for (const m of models ?? []) {
      if (!plan.some((r) => r.model === m)) {
        const known = [...new Set(plan.map((r) => r.model))];
        throw new CliArgsError(`--models: "${m}" is not a model of the selected tables in ${args.config} (they are: ${known.join(', ')})`);
      }
    }
    const toTrain = args.train ? plan.filter((r) => !models || models.includes(r.model)) : [];
    const seeds = gridSeeds(rc.reproduce.seeds, args.seeds);
    // Every run's experiment is validated before anything trains (a typo fails now, not hours in).
    const { loadExperiment, validateExperiment } = await import('../../train/experiment.js');
    for (const run of plan) validateExperiment(run.raw, `${args.config} (reproduce.models "${run.model}")`);
    if (args['dry-run']) {
      process.stdout.write(`${toTrain.length} runs under ${path.join(out, 'runs')}:\n${describeGrid(toTrain, args.resume)}`);
      return;
    }
    const { runExperiment } = await import('../../train/run.js');
    const backend = toTrain.length > 0 ? await startBackend(args) : null;
    const crash = process.env.UNICTR_CRASH_AFTER_STEPS ? Number(process.env.UNICTR_CRASH_AFTER_STEPS) : undefined;
    // --no-train (or --models naming nothing): no training loop, only its outcome below.
    if (toTrain.length > 0) {
      await runGrid(
        toTrain,
        async (run, resume) => {
          const loaded = loadExperiment(run.configFile);
          if (loaded.hash !== run.hash) throw new Error(`${run.configFile}: config hash ${loaded.hash} differs from the planned ${run.hash}`);
          await runExperiment({ loaded, out: run.dir, resume, backend: backend!.choice, command: process.argv.slice(2), crashAfterSteps: crash });
        },
        { resume: args.resume },
      );
    }
    const { buildTables, collectResults, writeTables } = await import('../../eval/tables.js');
    const results = collectResults(plan);
    const missing = plan.filter((r) => !results.some((x) => x.run.id === r.id)).map((r) => r.id);
    if (missing.length > 0) log.warn(`reproduce: ${missing.length} of ${plan.length} planned runs have not finished; the tables say so`);
    else log.info(`reproduce: all ${plan.length} planned runs have finished; the grid is complete`);
    const tables = buildTables(rc, results, seeds, only as Table[] | undefined);
    const command = `unictr reproduce --config ${path.relative(process.cwd(), rc.file)} --out ${args.out}${args.seeds ? ` --seeds ${args.seeds}` : ''}${only ? ` --only ${only.join(',')}` : ''}`;
    const written = await writeTables(out, rc, tables, { seeds, command, missing });
    process.stdout.write(`wrote ${written.map((f) => path.join(args.out, f)).join(', ')}\n`);
  },
};
