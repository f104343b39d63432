/**
 * Synthetic generator: Amazon-2018 raw formats, seeded, and a planted signal that the text shows:
 * a row is mostly positive when its title's topic word is the one in the user's earlier positive
 * titles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { generateSynthetic, TOPICS } from '../../src/data/synthetic/generate.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { loadSplit } from '../../src/data/dataset.js';
import { tempDir } from './helpers.js';

test('synthetic data: seeded 2018 format, prepares, and carries a text-visible signal', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const opts = { domains: ['Synthetic A', 'Synthetic B'], users: 150, itemsPerDomain: 60, rowsPerDomain: 3000, seed: 7 };
    const a = await generateSynthetic({ outDir: path.join(dir, 'a'), ...opts });
    const b = await generateSynthetic({ outDir: path.join(dir, 'b'), ...opts });
    const lines = (f: string) => gunzipSync(readFileSync(f)).toString('utf8').trim().split('\n');
    assert.deepEqual(lines(a.files[0]!.reviews), lines(b.files[0]!.reviews), 'same seed, same files');
    const r0 = JSON.parse(lines(a.files[0]!.reviews)[0]!) as Record<string, unknown>;
    for (const k of ['overall', 'reviewerID', 'asin', 'unixReviewTime']) assert.ok(k in r0, k);
    const m0 = JSON.parse(lines(a.files[0]!.meta)[0]!) as Record<string, unknown>;
    for (const k of ['asin', 'title', 'brand', 'price']) assert.ok(k in m0, k);

    const out = path.join(dir, 'out');
    const m = await prepareDataset({ config: a.config, out });
    assert.deepEqual(m.domains.map((d) => d.name), opts.domains);
    const train = await loadSplit(out, 'train');
    // Signal: among rows with a history, is the current title's topic the most frequent topic in
    // the history titles? Positive rate must be much higher when it is.
    const topicOf = (s: string) => TOPICS.find((t) => s.includes(` ${t} `)) ?? null;
    const stats = { match: [0, 0], other: [0, 0] };
    for (let i = 0; i < train.rows; i++) {
      const p = train.prompt[i]!;
      const hm = /who clicked (.*) recently\./.exec(p)![1]!;
      if (hm === 'nothing') continue;
      const counts = new Map<string, number>();
      for (const t of hm.split(' & ')) {
        const tp = topicOf(t);
        if (tp) counts.set(tp, (counts.get(tp) ?? 0) + 1);
      }
      const top = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
      const k = top !== undefined && top === topicOf(train.title[i]!) ? 'match' : 'other';
      stats[k][0]! += train.label[i]!;
      stats[k][1]! += 1;
    }
    const rate = (s: number[]) => s[0]! / s[1]!;
    assert.ok(stats.match[1]! > 100 && stats.other[1]! > 100, JSON.stringify(stats));
    assert.ok(rate(stats.match) > rate(stats.other) + 0.2, JSON.stringify(stats));
  } finally {
    cleanup();
  }
});
