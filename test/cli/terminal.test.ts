/**
 * The terminal in a pseudo-terminal (util-linux `script`): bars stop at their final count, log
 * lines are printed above a live bar, encoding bars show prompts/s and no loss, and Ctrl-C
 * restores the cursor and line wrap and says where training stopped and how to resume.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../helpers/cli.js';

const HIDE = '\x1b[?25l';
const SHOW = '\x1b[?25h';
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Runs `command` in a pseudo-terminal; `onOutput` may write keys (e.g. Ctrl-C) to its input. */
function inPty(
  command: string,
  onOutput?: (sofar: string, keys: (s: string) => void) => void,
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: '120', LINES: '40', TERM: 'xterm' };
    delete env.CI;
    delete env.UNICTR_PROGRESS;
    const p = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    const keys = (s: string) => p.stdin.write(s);
    p.stdout.on('data', (d) => {
      screen += String(d);
      onOutput?.(screen, keys);
    });
    p.on('close', (code) => resolve({ code, screen }));
  });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('terminal (pseudo-terminal)', { skip: !hasScript && 'util-linux script is not installed' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'unictr-pty-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bars: log lines above the bar, finished at N/N, prompts/s and no loss for encoding, terminal restored', async () => {
    const script = path.join(dir, 'bars.mts');
    writeFileSync(
      script,
      [
        `import { Progress } from ${JSON.stringify(path.join(ROOT, 'src/train/progress.ts'))};`,
        `import { log } from ${JSON.stringify(path.join(ROOT, 'src/util/log.ts'))};`,
        `const p = new Progress('encoding train prompts', 1301, { unit: 'prompts', loss: false });`,
        `for (let i = 100; i <= 1301; i += 100) { p.update(Math.min(i, 1301)); if (i === 500) log.info('building state cache X'); await new Promise((r) => setTimeout(r, 30)); }`,
        `p.update(1301);`,
        `p.stop();`,
        `log.info('after the bar');`,
      ].join('\n'),
    );
    const r = await inPty(`${q(process.execPath)} --import tsx ${q(script)}`);
    assert.equal(r.code, 0, r.screen);
    const s = r.screen;
    assert.ok(s.includes(HIDE) && s.includes(WRAP_OFF), 'the bar hides the cursor and turns wrap off');
    assert.ok(s.lastIndexOf(SHOW) > s.lastIndexOf(HIDE) && s.lastIndexOf(WRAP_ON) > s.lastIndexOf(WRAP_OFF), 'terminal restored');
    assert.match(s, /encoding train prompts \[[^\]]*\] 1301\/1301 \| [\d.]+ prompts\/s \| ETA/);
    assert.doesNotMatch(s, /loss/);
    // The log line replaces the bar's line (cleared first) and the bar is drawn again below it.
    assert.match(s, /\x1b\[2Kbuilding state cache X\r?\n\x1b\[1Gencoding train prompts \[/);
    assert.match(s, /\nafter the bar/);
  });

  it('Ctrl-C while training: terminal restored, where it stopped and how to resume, exit 130', async () => {
    const out = path.join(dir, 'run');
    const args = [
      'train', '--config', 'experiments/tiny-base.yaml', '--out', out,
      '--set', 'model.name=dnn', '--set', 'train.epochs=3', '--set', 'train.batch_size=8',
    ];
    let sent = false;
    const r = await inPty(`${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}`, (sofar, keys) => {
      // Ctrl-C once the first epoch's bar has moved past a few batches.
      if (!sent && /epoch 1\/3 \[[^\]]*\] [1-9]\d*\/\d+/.test(sofar)) {
        sent = true;
        keys('\x03');
      }
    });
    assert.ok(sent, `the bar never showed progress:\n${r.screen}`);
    assert.equal(r.code, 130, r.screen);
    const s = r.screen;
    assert.ok(s.lastIndexOf(SHOW) > s.lastIndexOf(HIDE), 'cursor shown again');
    assert.ok(s.lastIndexOf(WRAP_ON) > s.lastIndexOf(WRAP_OFF), 'line wrap back on');
    assert.match(s, new RegExp(`interrupted at epoch 1 batch \\d+; resume with \`unictr train --resume ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``));
    assert.doesNotMatch(readFileSync(path.join(out, 'run.json'), 'utf8'), /finished_at/);
  });
});
