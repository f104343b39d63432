/**
 * Console logging (to stderr, so stdout stays clean for --json output) and a JSONL event writer.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { rethrowAsOutputError } from './fs.js';

let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}

export const log = {
  info(msg: string): void {
    if (!quiet) process.stderr.write(msg + '\n');
  },
  warn(msg: string): void {
    process.stderr.write(`warning: ${msg}\n`);
  },
};

/** Appends one JSON object per line; each append is a single write, so a crash loses at most one line. */
export class JsonlWriter {
  constructor(readonly file: string) {
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (e) {
      rethrowAsOutputError(e, file);
    }
  }
  write(event: Record<string, unknown>): void {
    try {
      appendFileSync(this.file, JSON.stringify(event) + '\n');
    } catch (e) {
      // Disk full or not writable: a located error (a partial line is cut off again on --resume).
      rethrowAsOutputError(e, this.file);
    }
  }
}
