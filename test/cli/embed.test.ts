import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { cosine } from '../helpers/vectors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'unictr.js');
const TINY_BERT = path.join(ROOT, 'test', 'fixtures', 'tiny-bert');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}


describe('unictr embed', { concurrency: true }, () => {
  let dir: string;
  let textFile: string;
  const texts = ['a cheap guitar string set', 'guitar strings, low price', 'gift card for a birthday'];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'unictr-embed-'));
    textFile = path.join(dir, 'texts.txt');
    writeFileSync(textFile, texts.join('\n') + '\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes pooled USE-lite vectors as Arrow', async () => {
    const out = path.join(dir, 'vectors.arrow');
    const r = await run(['embed', '--model', 'use-lite', '--text', textFile, '--out', out, '--backend', 'wasm']);
    assert.equal(r.code, 0, r.stderr);
    const table = tableFromIPC(readFileSync(out));
    assert.equal(table.numRows, 3);
    assert.deepEqual(table.schema.fields.map((f) => f.name), ['line', 'text', 'n_tokens', 'embedding']);
    assert.deepEqual(table.getChild('line')!.toArray(), Int32Array.from([1, 2, 3]));
    assert.deepEqual(Array.from(table.getChild('text')!.toArray() as string[]), texts);
    assert.deepEqual(Array.from(table.getChild('n_tokens')!.toArray() as Int32Array), [5, 6, 5]);
    const emb = table.getChild('embedding')!;
    const v = [0, 1, 2].map((i) => Array.from(emb.get(i)!.toArray() as Float32Array));
    assert.equal(v[0]!.length, 512);
    assert.ok(cosine(v[0]!, v[1]!) > cosine(v[0]!, v[2]!));
    assert.ok(cosine(v[0]!, v[1]!) > cosine(v[1]!, v[2]!));
  });

  it('writes every layer of a Hugging Face folder as JSON; onnx and tfjs engines agree', async () => {
    const outs: Record<string, { input_ids: number[][]; hidden_states: number[][][][] }> = {};
    for (const engine of ['tfjs', 'onnx']) {
      const out = path.join(dir, `states-${engine}.json`);
      const r = await run(['embed', '--model', TINY_BERT, '--text', textFile, '--out', out, '--all-layers', '--engine', engine, '--backend', 'cpu']);
      assert.equal(r.code, 0, r.stderr);
      outs[engine] = JSON.parse(readFileSync(out, 'utf8'));
      assert.deepEqual(Object.keys(outs[engine]!), ['input_ids', 'hidden_states']);
    }
    const a = outs.tfjs!;
    const b = outs.onnx!;
    assert.deepEqual(a.input_ids, b.input_ids);
    for (const ids of a.input_ids) {
      assert.equal(ids[0], 101, '[CLS] first');
      assert.equal(ids[ids.length - 1], 102, '[SEP] last');
    }
    assert.equal(a.hidden_states.length, 3, 'H0..H2');
    a.hidden_states.forEach((layer, l) => {
      assert.equal(layer.length, 3);
      layer.forEach((tokens, t) => {
        assert.equal(tokens.length, a.input_ids[t]!.length);
        tokens.forEach((vec, k) => {
          assert.equal(vec.length, 32);
          const ref = b.hidden_states[l]![t]![k]!;
          const scale = Math.max(...ref.map(Math.abs));
          const diff = Math.max(...vec.map((x, j) => Math.abs(x - ref[j]!)));
          assert.ok(diff <= 1e-4 * Math.max(1, scale), `layer ${l} text ${t} token ${k}: diff ${diff}`);
        });
      });
    });
  });

  it('--truncation middle keeps the start and the end of a long text, right keeps the start', async () => {
    const long = path.join(dir, 'long.txt');
    writeFileSync(long, 'one two three four five six seven eight nine ten eleven twelve thirteen\n');
    const ids = async (name: string, extra: string[]): Promise<number[]> => {
      const out = path.join(dir, `${name}.json`);
      const r = await run(['embed', '--model', TINY_BERT, '--text', long, '--out', out, '--all-layers', '--backend', 'cpu', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(readFileSync(out, 'utf8')).input_ids[0];
    };
    const full = await ids('full', ['--max-length', '64']);
    const right = await ids('right', ['--max-length', '8']);
    const middle = await ids('middle', ['--max-length', '8', '--truncation', 'middle']);
    assert.ok(full.length > 8);
    assert.equal(right.length, 8);
    assert.equal(middle.length, 8);
    assert.equal(middle[0], full[0]);
    assert.deepEqual(middle.slice(-3), full.slice(-3), 'middle keeps the end');
    assert.deepEqual(right.slice(0, 6), full.slice(0, 6), 'right keeps the start');
    assert.notDeepEqual(right.slice(-3, -1), full.slice(-3, -1));
    const bad = await run(['embed', '--model', TINY_BERT, '--text', long, '--out', path.join(dir, 'x.json'), '--truncation', 'left']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /truncation/);
  });

  it('fails with exit code 2 and the path when the text file is missing', async () => {
    const missing = path.join(dir, 'nope.txt');
    const r = await run(['embed', '--model', 'use-lite', '--text', missing, '--out', path.join(dir, 'x.json')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--text .*nope\.txt: file not found/);
  });

  it('rejects --all-layers with Arrow output and an unknown extension', async () => {
    const r1 = await run(['embed', '--model', 'use-lite', '--text', textFile, '--out', path.join(dir, 'x.arrow'), '--all-layers']);
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--all-layers needs --format json/);
    const r2 = await run(['embed', '--model', 'use-lite', '--text', textFile, '--out', path.join(dir, 'x.bin')]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /cannot tell the format from the extension "\.bin"/);
  });

  it('names the folder when the model folder does not exist', async () => {
    const r = await run(['embed', '--model', path.join(dir, 'no-model'), '--text', textFile, '--out', path.join(dir, 'x.json'), '--backend', 'cpu']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no-model: model folder not found/);
  });
});
