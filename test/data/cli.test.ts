/** `unictr prepare` and `unictr inspect` through the real CLI (child process). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readManifest } from '../../src/data/dataset.js';
import { FIX, runCli, tempDir } from './helpers.js';

test('prepare prints per-domain counts; inspect prints counts and sample prompts', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'out');
    const p = await runCli(['prepare', '--config', path.join(FIX, 'basic', 'basic.yaml'), '--out', out, '--set', 'data.three_star=negative']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Gift Cards\s+4\s+2\s+1\s+1\s+1\s+0\n/);
    assert.match(p.stdout, /Musical Instruments\s+4\s+3\s+1\s+0\s+1\s+1\n/);
    assert.equal(((await readManifest(out)).config as { three_star: string }).three_star, 'negative');
    const i = await runCli(['inspect', out, '--samples', '1']);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /total\s+8\s+5\s+2\s+1\s+2\s+1\n/);
    assert.ok(i.stdout.includes("[label 1] Gift Cards: The user ID is user_1, who clicked nothing recently. The ID of current product is product_1, the title is 'Cafe Card', the brand is 'Cafe', the price is 25.00$."), i.stdout);
  } finally {
    cleanup();
  }
});
