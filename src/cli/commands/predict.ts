/**
 * `unictr predict --run <dir> --split test --out scores.csv|scores.arrow`: score rows of the
 * run's processed dataset and write probabilities (CSV or Arrow IPC).
 */
import path from 'node:path';
import { atomicWriteFile } from '../../util/fs.js';
import { CliArgsError } from '../../util/errors.js';
import { SPLITS, type SplitName } from '../../data/types.js';
import { startBackend, rebuildOption, type DatasetArgs, type GlobalArgs, type UnictrCommand } from '../common.js';

interface PredictArgs extends GlobalArgs, DatasetArgs {
  run: string;
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
  ],
  builder: (y) =>
    y
      .option('rebuild', rebuildOption)
      .option('run', { type: 'string', demandOption: true, describe: 'trained run folder' })
      .option('split', { choices: SPLITS, default: 'test' as const, describe: 'which split to score' })
      .option('domain', { type: 'string', array: true, describe: 'only these domains (default: the run\'s training and zero-shot domains)' })
      .option('head', {
        type: 'string',
        describe: 'score every row with this head: "general" (Uni-CTR) or a training domain\'s name; default: own domain, unseen domains zero-shot',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'output file (.csv or .arrow)' })
      .option('format', { choices: ['csv', 'arrow'] as const, describe: 'default: from the --out extension' }) as never,
  handler: async (args) => {
    const { tableFromArrays, tableToIPC } = await import('apache-arrow');
    const { domainIds, openTrainedRun } = await import('../../train/run.js');
    const { predictRows } = await import('../../train/fit.js');
    const { csvField } = await import('../../train/run_folder.js');
    const format = args.format ?? (args.out.endsWith('.arrow') ? 'arrow' : args.out.endsWith('.csv') ? 'csv' : null);
    if (!format) throw new CliArgsError(`--out ${args.out}: cannot tell the format from the extension; use .csv, .arrow or --format`);
    await startBackend(args);
    const ctx = await openTrainedRun(args.run, args.domain, { rebuild: args.rebuild });
    try {
      const ids = args.domain ? domainIds(ctx.manifest, args.domain, '--domain', 'command line') : [...new Set([...ctx.trainIds, ...ctx.zeroIds])];
      const split = ctx.splits[args.split];
      const rowId: number[] = [];
      const domain: string[] = [];
      const label: number[] = [];
      const score: number[] = [];
      const head: string[] = [];
      const bs = ctx.config.train.eval_batch_size;
      const zero = ctx.zeroIds.length || ids.some((id) => !ctx.trainIds.includes(id)) ? await ctx.built.zeroShotScorer() : null;
      for (const id of ids) {
        const name = ctx.manifest.domains[id]!.name;
        const unit = ctx.built.unitFor(id) ?? ctx.built.units[0]!;
        let src = unit.source(args.split, [id]);
        let scores: Float64Array;
        let used: string;
        if (args.head !== undefined) {
          const k = args.head === 'general' ? 'general' : unit.model.domains.indexOf(args.head);
          if (k === -1) {
            throw new CliArgsError(`--head "${args.head}": not a head of this model (allowed: ${[...(ctx.config.model.name === 'unictr' ? ['general'] : []), ...unit.model.domains].join(', ')})`);
          }
          scores = await predictRows(unit.model, src, unit.towerOf, bs, k);
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
    } finally {
      ctx.built.dispose();
    }
  },
};
