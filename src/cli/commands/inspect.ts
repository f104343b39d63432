/**
 * `unictr inspect <dir> [--samples N]`: per-domain split counts and sample prompts of a processed
 * dataset folder.
 */
import { announceNoBackend, jsonOption, type GlobalArgs, type UnictrCommand } from '../common.js';
import { SPLITS, type Manifest, type SplitColumns } from '../../data/types.js';

interface InspectArgs extends GlobalArgs {
  dir: string;
  samples: number;
  json: boolean;
}

/** Table of rows/positives per domain and split. */
export function formatCounts(m: Manifest): string {
  const header = ['domain', ...SPLITS.flatMap((s) => [`${s} rows`, `${s} pos`])];
  const lines = m.domains.map((d) => [d.name, ...SPLITS.flatMap((s) => [String(d.splits[s].rows), String(d.splits[s].positives)])]);
  const total = ['total', ...SPLITS.flatMap((s) => [0, 1].map((k) => String(m.domains.reduce((a, d) => a + (k ? d.splits[s].positives : d.splits[s].rows), 0))))];
  const all = [header, ...lines, total];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const table = all.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ')).join('\n') + '\n';
  return table + formatDuplicates(m) + '\n';
}

function formatPrice(m: Manifest): string {
  const stats = `price mean ${m.price.global_mean.toFixed(2)} (min ${m.price.min}, max ${m.price.max})`;
  const n = m.price.rows_with_price;
  if (n === undefined) return stats;
  return n === 0 ? 'price: no row has a price (every price is the fill value)' : `${stats}, ${n} rows with a price`;
}

/** One line: exact duplicate review rows per domain, and whether they were removed. */
export function formatDuplicates(m: Manifest): string {
  const per = m.domains.filter((d) => (d.exact_duplicates ?? 0) > 0).map((d) => `${d.name} ${d.exact_duplicates}`);
  const n = m.domains.reduce((a, d) => a + (d.exact_duplicates ?? 0), 0);
  const dedupe = (m.config as { dedupe?: boolean } | null)?.dedupe !== false;
  if (n === 0) return 'exact duplicate review rows: none';
  return `exact duplicate review rows (same user, item, rating, time): ${n} ${dedupe ? 'removed' : 'kept (data.dedupe: false)'} (${per.join(', ')})`;
}

/** `k` rows of a domain, evenly spaced over its rows, so late rows (with histories) show up too. */
function sampleRows(split: SplitColumns, domainId: number, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < split.rows; i++) if (split.domainId[i] === domainId) idx.push(i);
  const n = Math.min(k, idx.length);
  return Array.from({ length: n }, (_, j) => idx[Math.floor((j * idx.length) / n)]!);
}

export const inspectCommand: UnictrCommand<InspectArgs> = {
  command: 'inspect <dir>',
  describe: 'Show per-domain split counts and sample prompts of a processed dataset folder',
  examples: [
    ['unictr inspect runs/data/tiny --samples 1', 'counts and one sample prompt per domain'],
    ['unictr inspect runs/data/tiny --json', 'the counts as JSON'],
  ],
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'folder written by "unictr prepare"' })
      .option('samples', { type: 'number', default: 2, describe: 'sample prompts per domain (from train)' })
      .option('json', { ...jsonOption, describe: 'print the manifest (counts, vocab sizes, template) and the samples as JSON' }) as never,
  handler: async (args) => {
    announceNoBackend(args);
    const { loadSplit, readManifest } = await import('../../data/dataset.js');
    const m = await readManifest(args.dir);
    if (args.json) {
      const samples: Record<string, { label: number; prompt: string }[]> = {};
      if (args.samples > 0) {
        const train = await loadSplit(args.dir, 'train');
        for (const d of m.domains) samples[d.name] = sampleRows(train, d.id, args.samples).map((i) => ({ label: train.label[i]!, prompt: train.prompt[i]! }));
      }
      process.stdout.write(JSON.stringify({ dir: args.dir, manifest: m, samples }, null, 2) + '\n');
      return;
    }
    const out: string[] = [
      `dataset ${args.dir} (schema ${m.schema_version}, template ${m.template.name}, config ${m.config_hash.slice(0, 12)})`,
      formatCounts(m),
      `vocab sizes: user ${m.vocab_sizes.user}, item ${m.vocab_sizes.item}, brand ${m.vocab_sizes.brand}, title ${m.vocab_sizes.title}; ${formatPrice(m)}`,
      `split: ${JSON.stringify((m.config as { split?: unknown } | null)?.split ?? 'released_81_9_10')}`,
    ];
    if (args.samples > 0) {
      const train = await loadSplit(args.dir, 'train');
      for (const d of m.domains) {
        out.push(`\n${d.name}:`);
        for (const i of sampleRows(train, d.id, args.samples)) out.push(`  [label ${train.label[i]}] ${train.prompt[i]}`);
      }
    }
    process.stdout.write(out.join('\n') + '\n');
  },
};
