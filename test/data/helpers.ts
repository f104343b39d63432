/** Shared helpers for the data tests: temp folders, YAML writing, running the real CLI. */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIX = path.join(ROOT, 'test', 'fixtures', 'data');

export function tempDir(prefix = 'unictr-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write `data:` YAML text (already indented under `data:`) into `dir/name`. */
export function writeYaml(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/unictr.js ...args` as a child process. */
export function runCli(args: string[], cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin', 'unictr.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += String(d)));
    p.stderr.on('data', (d) => (stderr += String(d)));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
