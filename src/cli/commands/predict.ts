/**
 * `unictr predict --run <dir> --split test --out scores.csv|scores.arrow`: score rows of the
 * run's processed dataset and write probabilities (CSV or Arrow IPC).
 * `--input FILE`: score every row of a new file instead, in input order (row_id = its record
 * index), through the run's own preprocessing (src/data/new_rows.ts).
 */
import path from 'node:path';
import { atomicWriteFile } from '../../util/fs.js';
import { CliArgsError } from '../../util/errors.js';
import { SPLITS, type SplitName } from '../../data/types.js';
import type { RunContext } from '../../train/run.js';
import type { TrainUnit } from '../../train/model_setup.js';
import { startBackend, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';
import { newDataOptions, newDataSpec, type NewDataArgs } from '../new_data_options.js';

interface PredictArgs extends GlobalArgs, DatasetArgs, NewDataArgs {
  run: string;
  input?: string;
  split: SplitName;
  domain?: string[];
  head?: string;
  out: string;
  format?: 'csv' | 'arrow';
}

export const predictCommand: UnictrCommand<PredictArgs> = {
  command: 'predict',
  describe: 'Score rows of the run\'s dataset and write probabilities as CSV or Arrow',
  examples: [
    ['unictr predict --run runs/quickstart --split test --out runs/quickstart/scores.arrow', 'score the test split'],
    ['unictr predict --run runs/r --input new_rows.csv --input-format csv --domain "Gift Cards" --out scores.csv', 'score a file of new rows'],
  ],
  builder: (y) =>
    newDataOptions(y, 'input-format')
      .option('rebuild', rebuildOption)
      .option('input', { type: 'string', describe: 'score every row of this new data file (or YAML with a data: block) instead of a split' })
      .option('run', { type: 'string', demandOption: true, describe: 'trained run folder' })
      .option('split', { choices: SPLITS, default: 'test' as const, describe: 'which split to score' })
      .option('domain', { type: 'string', array: true, describe: 'only these domains (default: the run\'s training and zero-shot domains); with --input: the file\'s domain (default: from the file name)' })
      .option('head', {
        type: 'string',
        describe: 'score every row with this head: "general" (Uni-CTR) or a training domain\'s name; default: own domain, unseen domains zero-shot',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (.csv or .arrow)' })
      .option('format', { choices: ['csv', 'arrow'] as const, describe: 'default: from the --out extension' }) as never,
  handler: async (args) => {
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const { csvField } = await import('../../train/run_folder.js');
    const format = args.format ?? (args.out.endsWith('.arrow') ? 'arrow' : args.out.endsWith('.csv') ? 'csv' : null);
    if (!format) throw new CliArgsError(`--out ${args.out}: cannot tell the format from the extension; use .csv, .arrow or --format`);
    await startBackend(args);
    const out: Scored = { rowId: [], domain: [], label: [], score: [], head: [] };
    if (args.input !== undefined) await scoreInput(args, out);
    else await scoreSplit(args, out);
    const { rowId, domain, label, score, head } = out;
    if (format === 'csv') {
      const lines = ['row_id,domain,label,score,head'];
      for (let i = 0; i < score.length; i++) {
        lines.push(`${rowId[i]},${csvField(domain[i]!)},${label[i]},${score[i]!.toPrecision(17)},${csvField(head[i]!)}`);
      }
      await atomicWriteFile(args.out, lines.join('\n') + '\n');
    } else {
      const table = tableFromArrays({
        row_id: Int32Array.from(rowId),
        domain,
        label: Int8Array.from(label),
        score: Float64Array.from(score),
        head,
      });
      await atomicWriteFile(args.out, tableToIPC(table, 'file'));
    }
    process.stdout.write(`wrote ${score.length} scores to ${path.resolve(args.out)}\n`);
  },
};

/** Scored rows, in output order. */
interface Scored {
  rowId: number[];
  domain: string[];
  label: number[];
  score: number[];
  head: string[];
}

/** The `--head` override: "general" or a tower's index (error naming the allowed heads). */
function forcedHead(ctx: RunContext, unit: TrainUnit, head: string): number | 'general' {
  const k = head === 'general' && ctx.config.model.name === 'unictr' ? 'general' : unit.model.domains.indexOf(head);
  if (k === -1) {
    throw new CliArgsError(`--head "${head}": not a head of this model (allowed: ${[...(ctx.config.model.name === 'unictr' ? ['general'] : []), ...unit.model.domains].join(', ')})`);
  }
  return k;
}

/** Rows of a split of the run's dataset. */
async function scoreSplit(args: PredictArgs, out: Scored): Promise<void> {
  const { domainIds, openTrainedRun } = await import('../../train/run.js');
  const { predictRows } = await import('../../train/fit.js');
  const { loadExperiment } = await import('../../train/experiment.js');
  const { requireRunFolder, runPaths } = await import('../../train/run_folder.js');
  requireRunFolder(args.run);
  // States are encoded for exactly the rows scored: training caches hold zero-shot domains' test
  // rows only, so scoring their valid or train rows needs rows no training run encoded.
  const { domains } = loadExperiment(runPaths(args.run).config).config;
  const names = args.domain ?? [...new Set([...domains.train, ...domains.zero_shot])];
  const ctx = await openTrainedRun(args.run, args.domain, { rebuild: args.rebuild }, { split: args.split, domains: names });
  try {
    const ids = domainIds(ctx.manifest, names, '--domain', 'command line');
    const split = ctx.splits[args.split];
    const { rowId, domain, label, score, head } = out;
    const bs = ctx.config.train.eval_batch_size;
    const zero = ctx.zeroIds.length || ids.some((id) => !ctx.trainIds.includes(id)) ? await ctx.built.zeroShotScorer() : null;
    for (const id of ids) {
      const name = ctx.manifest.domains[id]!.name;
      const unit = ctx.built.unitFor(id) ?? ctx.built.units[0]!;
      let src = unit.source(args.split, [id]);
      let scores: Float64Array;
      let used: string;
      if (args.head !== undefined) {
        scores = await predictRows(unit.model, src, unit.towerOf, bs, forcedHead(ctx, unit, args.head));
        used = args.head;
      } else if (ctx.trainIds.includes(id) || unit.towerOf(id) >= 0) {
        scores = await predictRows(unit.model, src, unit.towerOf, bs);
        used = name;
      } else {
        src = zero!.source(args.split, [id]);
        scores = await zero!.score(src);
        used = zero!.head;
      }
      src.rows.forEach((r, i) => {
        rowId.push(split.rowId[r]!);
        domain.push(name);
        label.push(split.label[r]!);
        score.push(scores[i]!);
        head.push(used);
      });
    }
  } finally {
    ctx.built.dispose();
  }
}

/** Every row of a new file, in input order. */
async function scoreInput(args: PredictArgs, out: Scored): Promise<void> {
  if (args.split !== 'test') throw new CliArgsError('--split applies to the run\'s dataset; --input scores every row of the file');
  if ((args.domain?.length ?? 0) > 1) throw new CliArgsError('with --input, --domain names one domain');
  const { openRunWithNewData, pickDomains, scoreNewDomain } = await import('../../train/new_data.js');
  const { rowsOfDomains } = await import('../../train/batches.js');
  const { predictRows } = await import('../../train/fit.js');
  const spec = newDataSpec(args.input!, args.domain?.[0], { ...args, format: args['input-format'] });
  const { ctx, rows } = await openRunWithNewData(args.run, spec, ['all'], { scoreEveryRow: true, dataset: { rebuild: args.rebuild } });
  try {
    const split = rows.parts.all!;
    const score = new Float64Array(split.rows).fill(NaN);
    const head = new Array<string>(split.rows);
    for (const d of pickDomains(rows, args.domain?.[0], args.input!)) {
      if (args.head !== undefined) {
        const unit = ctx.built.units[0]!;
        if (ctx.built.units.length > 1) throw new CliArgsError('--head applies to one-model runs (Uni-CTR and multi-domain baselines)');
        const src = await ctx.built.sourceOf(split, rowsOfDomains(split, [d.id]));
        const s = await predictRows(unit.model, src, unit.towerOf, ctx.config.train.eval_batch_size, forcedHead(ctx, unit, args.head));
        src.rows.forEach((r, i) => ((score[r] = s[i]!), (head[r] = args.head!)));
        continue;
      }
      const res = await scoreNewDomain(ctx, split, d);
      res.src.rows.forEach((r, i) => ((score[r] = res.scores[i]!), (head[r] = res.head)));
    }
    for (let r = 0; r < split.rows; r++) {
      if (Number.isNaN(score[r]!)) continue;
      out.rowId.push(rows.inputIndex![r]!);
      out.domain.push(split.domain[r]!);
      out.label.push(split.label[r]!);
      out.score.push(score[r]!);
      out.head.push(head[r]!);
    }
  } finally {
    ctx.built.dispose();
  }
}
