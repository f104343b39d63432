/**
 * `unictr compare [--ref <run>] <run>...`: one markdown table of finished runs (test AUC per domain,
 * zero-shot AUC, RelaImpr over a reference run) — the paper's tables for your runs.
 */
import { announceNoBackend, type GlobalArgs, type UnictrCommand } from '../common.js';

interface CompareArgs extends GlobalArgs {
  runs: string[];
  ref?: string;
}

export const compareCommand: UnictrCommand<CompareArgs> = {
  command: 'compare <runs..>',
  describe: 'Table of test and zero-shot AUCs of finished runs, with RelaImpr over a reference run',
  examples: [
    ['unictr compare --ref runs/baselines/dnn runs/quickstart runs/baselines/*', 'Uni-CTR vs the baselines'],
  ],
  builder: (y) =>
    y
      .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run folders' })
      .option('ref', { type: 'string', describe: 'reference run for RelaImpr' }) as never,
  handler: async (args) => {
    announceNoBackend(args);
    const { compareRuns } = await import('../../train/compare.js');
    process.stdout.write(compareRuns(args.runs, args.ref));
  },
};
