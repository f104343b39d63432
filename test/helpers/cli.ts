/**
 * Runs the real CLI as a child process (as a user would) and captures its output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/unictr.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, UNICTR_PROGRESS: 'plain', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI without waiting (for kill tests). */
export function startCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, UNICTR_PROGRESS: 'plain', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Whether Debian's python3 with scikit-learn is available (the independent reference). */
export function hasSklearn(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * For a test whose check needs scikit-learn: true when it is there. Without it the test is
 * skipped on a developer machine, but fails when the CI environment variable is set (CI installs
 * it, so a missing reference there must never pass silently).
 */
export function needSklearn(t: { skip(message?: string): void }): boolean {
  if (hasSklearn()) return true;
  if (process.env.CI) throw new Error('/usr/bin/python3 cannot import sklearn and numpy, which CI installs (see .ci/run)');
  t.skip('/usr/bin/python3 with scikit-learn is not available');
  return false;
}

/**
 * Writes `<dir>/<name>.yaml`: an experiment extending experiments/tiny-base.yaml with its own name and
 * dataset folder, then `body` (model, train and other blocks as YAML lines). Returns its path.
 */
export function writeTinyConfig(dir: string, name: string, dataset: string, body: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `extends: ${path.join(ROOT, 'experiments/tiny-base.yaml')}\nname: ${name}\ndataset_dir: ${dataset}\n${body}`);
  return file;
}
