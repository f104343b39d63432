/**
 * The prompts, labels and domains of a processed dataset's splits as plain files, for probes
 * outside the project (e.g. scripts/probe_pooled_states.py):
 *
 *   npx tsx scripts/dump-prompts.ts runs/data/magazines /tmp/mag
 *   # writes /tmp/mag-{train,valid,test}.txt (one prompt per line) and .csv (label,domain)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const [dir, prefix] = process.argv.slice(2);
if (!dir || !prefix) {
  console.error('usage: npx tsx scripts/dump-prompts.ts DATASET_DIR OUT_PREFIX');
  process.exit(2);
}
for (const split of ['train', 'valid', 'test']) {
  const file = path.join(dir, `${split}.arrow`);
  const t = tableFromIPC(readFileSync(file));
  const column = (name: string) => {
    const c = t.getChild(name);
    if (!c) throw new Error(`${file}: no column "${name}"`);
    return c.toArray() as ArrayLike<unknown>;
  };
  const prompts = column('prompt') as string[];
  const labels = column('label');
  const domains = column('domain');
  // One prompt per line: a newline inside a prompt would shift every later row.
  writeFileSync(`${prefix}-${split}.txt`, prompts.map((p) => p.replace(/[\r\n]+/g, ' ')).join('\n') + '\n');
  // The domain is last and may hold commas: readers split each line once, at the first comma.
  writeFileSync(`${prefix}-${split}.csv`, Array.from(labels, (y, i) => `${Number(y)},${String(domains[i])}`).join('\n') + '\n');
  console.log(`${split}: ${prompts.length} rows`);
}
