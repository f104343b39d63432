/**
 * `unictr compare [--ref <run>] <run>...`: finished runs side by side (test AUC per domain with
 * 95% intervals, zero-shot AUC, logloss, RelaImpr over a reference run) as markdown, CSV or JSON.
 */
import { announceNoBackend, type GlobalArgs, type UnictrCommand } from '../common.js';

interface CompareArgs extends GlobalArgs {
  runs: string[];
  ref?: string;
  json: boolean;
  format: 'md' | 'csv';
}

export const compareCommand: UnictrCommand<CompareArgs> = {
  command: 'compare <runs..>',
  describe: 'Test and zero-shot AUCs (95% intervals, logloss) of finished runs, with RelaImpr over a reference run',
  examples: [
    ['unictr compare --ref runs/baselines/dnn runs/quickstart runs/baselines/*', 'Uni-CTR vs the baselines'],
    ['unictr compare --format csv runs/a runs/b > compare.csv', 'the same numbers as CSV'],
  ],
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders' })
      .option('ref', { type: 'string', describe: 'reference run for RelaImpr (shown as the first row)' })
      .option('format', { choices: ['md', 'csv'] as const, default: 'md' as const, describe: 'markdown tables or one CSV line per run and domain' })
      .option('json', { type: 'boolean', default: false, describe: 'print the comparison as JSON' }) as never,
  handler: async (args) => {
    announceNoBackend(args);
    const { compareRuns, comparisonCsv, comparisonMarkdown } = await import('../../eval/compare.js');
    const cmp = compareRuns(args.runs, args.ref);
    if (args.json) process.stdout.write(JSON.stringify(cmp, null, 2) + '\n');
    else process.stdout.write(args.format === 'csv' ? comparisonCsv(cmp) : comparisonMarkdown(cmp));
  },
};
