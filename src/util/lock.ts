/**
 * Exclusive PID lock files: a second process that wants the same lock is refused with the PID of
 * the holder; the lock of a process that no longer runs (killed, crashed) is taken over. The lock
 * is released on exit and on SIGINT/SIGTERM.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { RunFolderError } from './errors.js';
import { processAlive, rethrowAsOutputError } from './fs.js';
import { onInterrupt } from './interrupt.js';
import { log } from './log.js';

export interface Lock {
  readonly file: string;
  release(): void;
}

function holder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Take the lock `file` for `what` (named in messages). `shownAs` is the user's path named when the
 * lock cannot be written (e.g. the run folder's parent is read-only).
 */
export function acquireLock(file: string, what: string, shownAs: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') rethrowAsOutputError(e, shownAs);
      const pid = holder(file);
      if (pid !== null && pid !== process.pid && processAlive(pid)) {
        throw new RunFolderError(`${what} is in use by process ${pid} (lock file ${file}); wait for it to finish or stop it first`);
      }
      // A lock of a dead process (or an unreadable one, e.g. half-written at a crash): take it over.
      if (pid !== process.pid) log.warn(`taking over the lock ${file} of process ${pid ?? '?'}, which no longer runs`);
      try {
        unlinkSync(file);
      } catch {
        // Another process took it over first; the next attempt sees its PID.
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      process.removeListener('exit', release);
      cancel();
      if (holder(file) === process.pid) {
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      }
    };
    const cancel = onInterrupt(release);
    process.on('exit', release);
    return { file, release };
  }
  throw new RunFolderError(`${what}: could not take the lock ${file} (other processes keep taking it)`);
}
