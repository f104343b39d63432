/**
 * The paper's Table III numbers that the reproduce tables print beside local results
 * (src/train/paper.ts) against the reference document's table (../shared/docs/uni-ctr-spec.md §6):
 * every row of the document is in the code, with the same four-digit AUCs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { PAPER_DOMAINS, PAPER_TABLE3 } from '../../src/train/paper.js';
import { MODEL_NAMES } from '../../src/model/registry.js';

const SPEC = path.resolve(ROOT, '..', 'shared', 'docs', 'uni-ctr-spec.md');

test("PAPER_TABLE3 holds every row of the reference document's Table III", () => {
  const text = readFileSync(SPEC, 'utf8');
  const start = text.indexOf('Table III (Sheared-LLaMA backbone)');
  assert.ok(start >= 0, `${SPEC}: no Table III heading`);
  const rows = text
    .slice(start)
    .split('\n')
    .filter((l) => /^\| [^-|]/.test(l))
    .slice(1) // the header row
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/\*\*/g, '')));
  const tableEnd = rows.findIndex((r) => r.length !== 4 || Number.isNaN(Number(r[1])));
  const table = tableEnd < 0 ? rows : rows.slice(0, tableEnd);
  assert.ok(table.length >= 15, `${table.length} rows parsed`);
  const ids = new Map(MODEL_NAMES.map((id) => [id.replace(/_/g, ''), id]));
  for (const [name, ...aucs] of table) {
    const id = ids.get(name!.toLowerCase().replace(/[^a-z0-9]/g, ''));
    assert.ok(id, `the document's row "${name}" names no model of the zoo`);
    assert.ok(PAPER_TABLE3[id], `PAPER_TABLE3 has no row for ${id} (${name})`);
    PAPER_DOMAINS.forEach((d, i) => assert.equal(PAPER_TABLE3[id]![d], Number(aucs[i]), `${name} ${d}`));
  }
});
