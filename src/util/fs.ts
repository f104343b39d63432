/**
 * Atomic file and folder writes: a crash never leaves a half-written file or folder behind. Temp
 * siblings (`.NAME.tmp-PID-XXXXXXXX`) are removed on failure and on SIGINT/SIGTERM; those of a
 * process that died (SIGKILL, power loss) are swept by the next write to the same target. File
 * system failures become one OutputError naming the user's path, never the temp path.
 */
import { promises as fsp, existsSync, lstatSync, readdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputError, UserError } from './errors.js';
import { onInterrupt } from './interrupt.js';

function tmpSibling(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Whether a process with this id is running (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temp siblings of `target` left by processes that no longer run. */
export function sweepStaleTemps(target: string): string[] {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.tmp-`;
  const swept: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return swept;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]{8}(-old)?$/.exec(n.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    // Died between moving the old folder aside and moving the new one in: put the old one back.
    if (m[2] && !existsSync(target)) renameSync(path.join(dir, n), target);
    else rmSync(path.join(dir, n), { recursive: true, force: true });
    swept.push(n);
  }
  return swept;
}

/**
 * A file-system failure as a user-facing error naming `target` and the cause in words, or null
 * when `e` is not such a failure (bugs and user errors pass through unchanged).
 */
export function outputError(e: unknown, target: string): UserError | null {
  if (e instanceof UserError) return e;
  switch ((e as NodeJS.ErrnoException | null)?.code) {
    case 'EACCES':
    case 'EPERM':
      return new OutputError(`${target}: not writable (permission denied)`);
    case 'EROFS':
      return new OutputError(`${target}: not writable (read-only file system)`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new OutputError(`${target}: disk full (no space left on the device)`);
    case 'ENOTDIR':
      return new OutputError(`${target}: a part of this path is a file, not a folder`);
    case 'EEXIST':
    case 'EISDIR':
      return new OutputError(`${target}: is in the way (a file or folder already exists there)`);
    case 'ENAMETOOLONG':
      return new OutputError(`${target}: the path is too long`);
    default:
      return null;
  }
}

/** Re-throw `e` as the OutputError for `target` when it is a file-system failure. */
export function rethrowAsOutputError(e: unknown, target: string): never {
  throw outputError(e, target) ?? e;
}

/** mkdir -p with errors that name `dir` (e.g. "is a file", "not writable"). */
export async function ensureDir(dir: string, shownAs = dir): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    rethrowAsOutputError(e, shownAs);
  }
}

/** Write a file via temp file + rename in the same folder. */
export async function atomicWriteFile(target: string, data: string | Uint8Array): Promise<void> {
  if (existsSync(target) && lstatSync(target).isDirectory()) throw new OutputError(`${target}: is a folder; expected a file path`);
  await ensureDir(path.dirname(target), target);
  sweepStaleTemps(target);
  const tmp = tmpSibling(target);
  const cancel = onInterrupt(() => rmSync(tmp, { force: true }));
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    rethrowAsOutputError(e, target);
  } finally {
    cancel();
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
    rethrowAsOutputError(e, target);
  }
}

export async function atomicWriteJson(target: string, value: unknown): Promise<void> {
  await atomicWriteFile(target, JSON.stringify(value, null, 2) + '\n');
}

export interface AtomicDirOptions {
  /**
   * A file that marks a folder as one this tool made (e.g. `manifest.json`): an existing non-empty
   * `target` without it is the user's folder and is never replaced. Unset: any folder is replaced.
   */
  marker?: string;
}

/** Refuse to replace `target` unless it is absent, an empty folder, or a folder with `marker`. */
export function checkReplaceable(target: string, marker?: string): void {
  if (!existsSync(target)) return;
  if (!lstatSync(target).isDirectory()) throw new OutputError(`${target}: is a file, not a folder; refusing to replace it`);
  if (marker === undefined || existsSync(path.join(target, marker))) return;
  if (readdirSync(target).length > 0) {
    throw new OutputError(`${target}: is a folder this tool did not write (no ${marker}); refusing to replace it, choose another output path`);
  }
}

/**
 * Build a whole folder in a temp sibling, then swap it into place. On failure (or SIGINT/SIGTERM)
 * the temp folder is removed and any previous `target` is left untouched.
 */
export async function atomicWriteDir<T>(target: string, build: (tmpDir: string) => Promise<T>, opts: AtomicDirOptions = {}): Promise<T> {
  const abs = path.resolve(target);
  checkReplaceable(abs, opts.marker);
  await ensureDir(path.dirname(abs), target);
  sweepStaleTemps(abs);
  const tmp = tmpSibling(abs);
  const old = tmp + '-old';
  // A signal can land anywhere in the swap below: drop the new folder, and either put the previous
  // one back (if it was already moved aside) or finish removing it.
  const cancel = onInterrupt(() => {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old)) {
      if (existsSync(abs)) rmSync(old, { recursive: true, force: true });
      else renameSync(old, abs);
    }
  });
  try {
    await ensureDir(tmp, target);
    let result: T;
    try {
      result = await build(tmp);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      rethrowAsOutputError(e, target);
    }
    try {
      if (existsSync(abs)) {
        await fsp.rename(abs, old);
        await fsp.rename(tmp, abs);
        await fsp.rm(old, { recursive: true, force: true });
      } else {
        await fsp.rename(tmp, abs);
      }
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      rethrowAsOutputError(e, target);
    }
    return result;
  } finally {
    cancel();
  }
}

/**
 * Remove a whole folder so that it is never seen half-deleted: it is first renamed to a hidden
 * sibling (one atomic step), then deleted.
 */
export async function discardDir(target: string): Promise<void> {
  if (!existsSync(target)) return;
  const old = tmpSibling(path.resolve(target)) + '-old';
  try {
    await fsp.rename(target, old);
  } catch (e) {
    rethrowAsOutputError(e, target);
  }
  await fsp.rm(old, { recursive: true, force: true });
}

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
}
