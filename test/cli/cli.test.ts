/**
 * The command line as a user meets it: a wrong flag stops the command before anything runs (one
 * `error:` line, exit 2, nothing written), help with pasteable examples, --version, models,
 * config and train --dry-run.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT, runCli } from '../helpers/cli.js';
import { MODEL_NAMES } from '../../src/model/registry.js';
import { commands } from '../../src/cli/commands/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'unictr-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Exit 2 and exactly one stderr line, which starts with "error: " and matches `message`. */
function assertOneError(r: ReturnType<typeof runCli>, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(r.stderr, /internal error|TypeError|at .*\.ts:/);
}

describe('a wrong command line stops before anything runs', { concurrency: 2 }, () => {
  it('an unknown flag on train: nothing trained, nothing written, --set hint', () => {
    const out = path.join(dir, 'never');
    const r = runCli(['train', '--config', 'experiments/tiny.yaml', '--out', out, '--epochs', '1']);
    assertOneError(r, /Unknown argument: epochs; .*--set train\.epochs=/);
    assert.equal(existsSync(out), false);
    assert.doesNotMatch(r.stderr, /backend:/);
  });

  it('a misspelt flag with --dry-run still fails, naming the flag it resembles', () => {
    const out = path.join(dir, 'never2');
    const r = runCli(['train', '--config', 'experiments/tiny.yaml', '--outt', out, '--dry-run']);
    assertOneError(r, /Unknown argument: outt; did you mean --out\?/);
    assert.equal(r.stdout, '');
  });

  it('inspect without a folder', () => {
    assertOneError(runCli(['inspect']), /missing argument; usage: unictr inspect <dir>/);
  });

  it('a bad choice names the closest allowed value', () => {
    assertOneError(runCli(['predict', '--run', 'runs/x', '--out', path.join(dir, 's.csv'), '--split', 'tets']), /--split: "tets" is not one of .*did you mean "test"\?/);
    assertOneError(runCli(['models', '--backend', 'gpuu']), /--backend: "gpuu" is not one of .*did you mean "gpu"\?/);
  });

  it('a misspelt command and no command', () => {
    assertOneError(runCli(['trian']), /unknown command "trian"; did you mean train\?/);
    assertOneError(runCli([]), /Name a command/);
  });
});

describe('help, version, models, config', { concurrency: 2 }, () => {
  it('--version prints the package version', () => {
    const r = runCli(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('every command has examples, each on its own unwrapped line, and every flag is described', () => {
    const top = runCli(['--help']);
    assert.equal(top.code, 0, top.stderr);
    for (const c of commands) {
      const name = String(c.command).split(' ')[0]!;
      assert.match(top.stdout, new RegExp(`^\\s+unictr ${name}\\b`, 'm'), `top-level help lists ${name}`);
      assert.ok(c.examples.length > 0, `${name} has an example`);
      const r = runCli([name, '--help'], { env: { COLUMNS: '80' } });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      for (const [cmd] of c.examples) {
        assert.ok(cmd.startsWith(`unictr ${name}`), cmd);
        assert.ok(lines.includes(`  ${cmd}`), `${name} --help shows "${cmd}" on one line:\n${r.stdout}`);
      }
      // Every option line has a description between the flag and the [type] column.
      const options = r.stdout.slice(r.stdout.indexOf('Options:'), r.stdout.indexOf('Examples:'));
      for (const line of options.split('\n').slice(1)) {
        const m = /^\s+(?:-\w, )?(--[\w-]+)\s{2,}(.*)$/.exec(line);
        if (!m) continue;
        assert.doesNotMatch(m[2]!, /^\[/, `${name}: ${m[1]} has no description`);
      }
    }
  });

  it('required flags are marked', () => {
    const train = runCli(['train', '--help']).stdout;
    assert.match(train, /--config\s+experiment YAML \[required unless --resume\]/);
    assert.match(runCli(['prepare', '--help']).stdout, /--config .*\[required\]/);
  });

  it('quickstart help quotes the measured time from the README', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const help = runCli(['quickstart', '--help']).stdout;
    const measured = /quickstart alone (\d+) min \d+ s/.exec(readme);
    assert.ok(measured, 'README gives the quickstart time as "quickstart alone M min S s"');
    const range = /about (\d+) to (\d+) minutes/.exec(help);
    assert.ok(range, help);
    const m = Number(measured[1]);
    assert.ok(Number(range[1]) <= m && m < Number(range[2]), `help says ${range[0]}, README ${measured[0]}`);
  });

  it('models lists every registered model with a description and a paper', () => {
    const r = runCli(['models', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { name: string; description: string; paper: string }[];
    assert.deepEqual(list.map((m) => m.name), MODEL_NAMES);
    for (const m of list) {
      assert.doesNotMatch(m.description, /no description/, m.name);
      assert.match(m.paper, /\d{4}/, `${m.name}: paper with a year`);
    }
    const text = runCli(['models']).stdout;
    assert.match(text, /^deepfm\s+single-domain; .*\n\s+paper: Guo et al\./m);
  });

  it('config prints the merged, validated config with defaults; a bad key is one error line', () => {
    const r = runCli(['config', '--config', 'experiments/tiny.yaml', '--set', 'train.epochs=1', '--seed', '5']);
    assert.equal(r.code, 0, r.stderr);
    const c = YAML.parse(r.stdout) as { seed: number; train: Record<string, unknown>; model: Record<string, unknown> };
    assert.equal(c.seed, 5);
    assert.equal(c.train.epochs, 1);
    assert.equal(c.train.batch_size, 32);
    assert.equal(c.train.weight_decay, 0.001, 'a default filled in');
    assert.deepEqual(c.model.tower_hidden, [64, 32]);
    assert.ok('ladder_frequency' in c.model && Object.keys(c.model).length > 4, 'model defaults filled in');
    assertOneError(runCli(['config', '--config', 'experiments/tiny.yaml', '--set', 'model.tower_hiden=[8]']), /tower_hiden/);
  });

  it('train --dry-run validates and describes the run without writing anything', () => {
    const out = path.join(dir, 'dry');
    const r = runCli(['train', '--config', 'experiments/tiny.yaml', '--out', out, '--dry-run', '--seed', '9']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dry run \(nothing written\)/);
    assert.match(r.stdout, /model: unictr/);
    assert.match(r.stdout, /seed 9/);
    assert.match(r.stdout, /domains: train Synthetic A, Synthetic B, Synthetic C; zero-shot Synthetic D/);
    assert.equal(existsSync(out), false);
    const bad = runCli(['train', '--config', 'experiments/tiny.yaml', '--out', out, '--dry-run', '--set', `backbone.path=${path.join(dir, 'nope')}`]);
    assertOneError(bad, /backbone\.path/);
    const badModel = runCli(['train', '--config', 'experiments/tiny.yaml', '--dry-run', '--set', 'model.ladder_frequency=0']);
    assertOneError(badModel, /ladder_frequency/);
  });

  it('completion prints a shell script', () => {
    const r = runCli(['completion']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /unictr/);
    assert.match(r.stdout, /--get-yargs-completions/);
  });
});
