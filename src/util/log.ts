/**
 * Console logging (to stderr, so stdout stays clean for --json output) and a JSONL event writer.
 *
 * On a terminal, while a progress bar is drawn, lines go through the bar (printed above it), so
 * the bar is never overwritten. On a pipe or in CI every line starts with a UTC timestamp.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { rethrowAsOutputError } from './fs.js';

let quiet = false;
/** Quiet drops progress output (bars and per-step lines); summaries and warnings stay. */
export function setQuiet(q: boolean): void {
  quiet = q;
}
export function isQuiet(): boolean {
  return quiet;
}

type LineSink = (line: string) => void;
let sink: LineSink | null = null;
/** While a progress bar is active it takes the lines, to print them above itself. */
export function setLineSink(s: LineSink | null): void {
  sink = s;
}

/** A plain (non-terminal) stream gets timestamps, so logs of long runs can be read afterwards. */
export function stamped(line: string): string {
  return process.stderr.isTTY ? line : `${new Date().toISOString().slice(0, 19)}Z ${line}`;
}

function emit(line: string): void {
  if (sink) sink(line);
  else process.stderr.write(stamped(line) + '\n');
}

export const log = {
  /** A summary line: kept under --quiet. */
  info(msg: string): void {
    emit(msg);
  },
  /** Progress detail: dropped under --quiet. */
  progress(msg: string): void {
    if (!quiet) emit(msg);
  },
  warn(msg: string): void {
    emit(`warning: ${msg}`);
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
