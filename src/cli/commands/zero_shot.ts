/**
 * `unictr zero-shot --run <dir> --domain <name>`: score a domain the model never trained on —
 * Uni-CTR with its general network, baselines with the tower chosen on validation data.
 * `--data FILE_OR_CONFIG`: the domain's rows come from a file the run's dataset never held; they go
 * through the run's own preprocessing and only `<out>/<domain>/` is written.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { DomainMetrics, MetricsFile } from '../../train/run.js';
import { atomicWriteJson, readJson } from '../../util/fs.js';
import { CliArgsError } from '../../util/errors.js';
import { startBackend, jsonOption, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { newDataOptions, newDataSpec, type NewDataArgs } from '../new_data_options.js';
import { printMetrics } from './print_metrics.js';

interface ZeroShotArgs extends GlobalArgs, DatasetArgs, NewDataArgs {
  run: string;
  domain?: string[];
  data?: string;
  split: 'test' | 'all';
  out?: string;
  json?: boolean;
}

export const zeroShotCommand: UnictrCommand<ZeroShotArgs> = {
  command: 'zero-shot',
  describe: 'Score unseen domains zero-shot (Uni-CTR: general network), from the run\'s dataset or a new data file',
  examples: [
    ['unictr zero-shot --run runs/quickstart --domain "All Beauty"', 'the paper\'s zero-shot test'],
    ['unictr zero-shot --run runs/three --data ../shared/data/amazon/All_Beauty/All_Beauty_5.json.gz', 'a domain from a file the dataset never held'],
  ],
  builder: (y) =>
    newDataOptions(
      y
        .option('rebuild', rebuildOption)
        .option('run', { type: 'string', demandOption: true, describe: 'run folder written by "unictr train"' })
        .option('domain', { type: 'string', array: true, describe: 'domain name(s) in the dataset; with --data: the file\'s domain (default: from the file name)' })
        .option('data', { type: 'string', describe: 'new data: a reviews file (see --meta, --format, --column) or a YAML with a data: block' })
        .option('split', { choices: ['test', 'all'] as const, default: 'test' as const, describe: 'with --data: score the new domain\'s test split (run\'s time split) or every row' })
        .option('out', { type: 'string', describe: 'with --data: results go to OUT/<domain>/ (default: <run>/zero_shot)' })
        .option('json', jsonOption),
    ) as never,
  handler: async (args) => {
    if (args.data !== undefined) return zeroShotNewData(args);
    if (!args.domain?.length) throw new CliArgsError('zero-shot needs --domain (a domain of the run\'s dataset) or --data (a new data file)');
    if (args.out !== undefined || args.split !== 'test') throw new CliArgsError('--out and --split apply to --data only');
    const domains = args.domain;
    const { domainIds, openTrainedRun, slug, zeroShotEval } = await import('../../train/run.js');
    const { lockRunFolder, requireRunFolder, runPaths, writePredictionsCsv } = await import('../../train/run_folder.js');
    requireRunFolder(args.run);
    lockRunFolder(args.run); // held until the command exits: one writer per run folder
    await startBackend(args);
    // Only the test rows of the scored domains need states.
    const ctx = await openTrainedRun(args.run, domains, { rebuild: args.rebuild }, { split: 'test', domains });
    try {
      const ids = domainIds(ctx.manifest, domains, '--domain', 'command line');
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

async function zeroShotNewData(args: ZeroShotArgs): Promise<void> {
  if ((args.domain?.length ?? 0) > 1) throw new CliArgsError('with --data, --domain names one domain');
  const { openRunWithNewData, pickDomains, scoreNewDomain } = await import('../../train/new_data.js');
  const { describeUnseen } = await import('../../data/new_rows.js');
  const { slug, summarizeRows } = await import('../../train/run.js');
  const { lockRunFolder, requireRunFolder, writePredictionsCsv } = await import('../../train/run_folder.js');
  const { labelsOf } = await import('../../train/batches.js');
  requireRunFolder(args.run);
  lockRunFolder(args.run); // held until the command exits: one writer per run folder
  await startBackend(args);
  const spec = newDataSpec(args.data!, args.domain?.[0], args);
  const { ctx, rows } = await openRunWithNewData(args.run, spec, [args.split], { dataset: { rebuild: args.rebuild } });
  try {
    const split = rows.parts[args.split]!;
    const metrics: Record<string, DomainMetrics> = {};
    const unseen: string[] = [];
    for (const d of pickDomains(rows, args.domain?.[0], args.data!)) {
      const res = await scoreNewDomain(ctx, split, d, true);
      const m: DomainMetrics = { ...summarizeRows(res.src, res.scores, { iterations: ctx.config.train.bootstrap, seed: ctx.config.seed }), head: res.head };
      metrics[d.name] = m;
      unseen.push(`${describeUnseen(d)}; scored with the ${res.rule}`);
      const dir = path.join(args.out ?? path.join(args.run, 'zero_shot'), slug(d.name));
      const labels = labelsOf(res.src.split, res.src.rows);
      const rowIds = res.src.rows;
      await writePredictionsCsv(
        path.join(dir, 'predictions.csv'),
        Array.from(labels, (l, i) => ({ domain: d.name, label: l, score: res.scores[i]!, rowId: res.src.split.rowId[rowIds[i]!]! })),
      );
      await atomicWriteJson(path.join(dir, 'metrics.json'), {
        domain: d.name,
        data: path.resolve(args.data!),
        split: args.split,
        rule: res.rule,
        unseen: { rows: d.rows, users: d.users, users_unseen: d.usersUnseen, items: d.items, items_unseen: d.itemsUnseen },
        metrics: m,
      });
    }
    if (!args.json) process.stdout.write(unseen.join('\n') + '\n');
    printMetrics({ test: {}, zero_shot: metrics }, Boolean(args.json));
  } finally {
    ctx.built.dispose();
  }
}
