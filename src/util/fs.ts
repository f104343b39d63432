/**
 * Atomic file and folder writes: a crash never leaves a half-written file or folder behind.
 */
import { promises as fsp, existsSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

function tmpSibling(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Write a file via temp file + rename in the same folder. */
export async function atomicWriteFile(target: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const tmp = tmpSibling(target);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Synchronous variant, for exit handlers and small files. */
export function atomicWriteFileSync(target: string, data: string | Uint8Array): void {
  const tmp = tmpSibling(target);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function atomicWriteJson(target: string, value: unknown): Promise<void> {
  await atomicWriteFile(target, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Build a whole folder in a temp sibling, then swap it into place. On failure the temp folder is
 * removed and any previous `target` is left untouched.
 */
export async function atomicWriteDir<T>(target: string, build: (tmpDir: string) => Promise<T>): Promise<T> {
  const abs = path.resolve(target);
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  const tmp = tmpSibling(abs);
  await fsp.mkdir(tmp, { recursive: true });
  let result: T;
  try {
    result = await build(tmp);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(abs)) {
    const old = tmpSibling(abs) + '-old';
    await fsp.rename(abs, old);
    await fsp.rename(tmp, abs);
    await fsp.rm(old, { recursive: true, force: true });
  } else {
    await fsp.rename(tmp, abs);
  }
  return result;
}

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
}
