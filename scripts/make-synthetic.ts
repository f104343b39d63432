/**
 * Write synthetic Amazon-2018-format data with a planted signal.
 * Usage: npx tsx scripts/make-synthetic.ts --out <dir> [--rows 10000] [--users 2000] [--items 500]
 *        [--domains "Synthetic A,Synthetic B,Synthetic C"] [--seed 2012]
 * Then: unictr prepare --config <dir>/synthetic.yaml --out <processed dir>
 */
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../src/data/synthetic/generate.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    rows: { type: 'string', default: '10000' },
    users: { type: 'string', default: '2000' },
    items: { type: 'string', default: '500' },
    domains: { type: 'string', default: 'Synthetic A,Synthetic B,Synthetic C' },
    seed: { type: 'string', default: '2012' },
  },
});
if (!values.out) {
  process.stderr.write('error: --out <dir> is required\n');
  process.exit(2);
}
const r = await generateSynthetic({
  outDir: values.out,
  domains: values.domains!.split(',').map((s) => s.trim()),
  users: Number(values.users),
  itemsPerDomain: Number(values.items),
  rowsPerDomain: Number(values.rows),
  seed: Number(values.seed),
});
process.stdout.write(`wrote ${r.files.length} domains; config ${r.config}\n`);
