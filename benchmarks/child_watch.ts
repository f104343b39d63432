/**
 * Runs one `unictr` command as a child process the way a user would, while watching it from the
 * outside: its peak resident memory (VmHWM in /proc/<pid>/status, polled) and the events its run
 * folder's log.jsonl gains, each stamped with the time this process first saw it. Step events
 * carry no time of their own, so arrival times are the clock (to within one poll interval).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/** `VmHWM` (peak resident set) of a /proc/<pid>/status text, in bytes; null when absent. */
export function parseVmHwm(status: string): number | null {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

function readVmHwm(pid: number): number | null {
  try {
    return parseVmHwm(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    // Not Linux, or the process has just exited.
    return null;
  }
}

export interface LogEvent {
  event: Record<string, unknown>;
  /** performance.now() when this process first read the line. */
  at: number;
}

/** Reads the complete lines a JSONL file has gained since the last call (none while it is missing). */
export class JsonlTail {
  private offset = 0;
  private partial = '';
  constructor(readonly file: string) {}

  poll(at = performance.now()): LogEvent[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop()!;
    return lines.filter((l) => l.trim()).map((l) => ({ event: JSON.parse(l) as Record<string, unknown>, at }));
  }
}

export interface WatchOptions {
  /** Arguments after `node`, e.g. [bin/unictr.js, 'train', ...]. */
  args: string[];
  cwd: string;
  /** stdout and stderr of the child, together. */
  outputFile: string;
  /** log.jsonl to watch (absent: no events). */
  logFile?: string;
  /** Called for each new log event; returning true stops the child with SIGINT (once). */
  onEvent?: (e: LogEvent) => boolean | void;
  pollMs?: number;
}

export interface WatchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether this process stopped the child (onEvent asked for it). */
  stopped: boolean;
  startAt: number;
  endAt: number;
  /** Highest VmHWM seen, in bytes; null where /proc cannot be read. */
  peakRssBytes: number | null;
  events: LogEvent[];
}

export function runWatched(opts: WatchOptions): Promise<WatchResult> {
  const out = openSync(opts.outputFile, 'w');
  const startAt = performance.now();
  // Plain progress lines (no terminal bar) in the output file.
  const child = spawn(process.execPath, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, UNICTR_PROGRESS: 'plain' },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const tail = opts.logFile ? new JsonlTail(opts.logFile) : null;
  const events: LogEvent[] = [];
  let peak: number | null = null;
  let stopped = false;
  const poll = () => {
    const hwm = child.pid === undefined ? null : readVmHwm(child.pid);
    if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
    for (const e of tail?.poll() ?? []) {
      events.push(e);
      if (!stopped && opts.onEvent?.(e) === true) {
        stopped = true;
        child.kill('SIGINT');
      }
    }
  };
  const timer = setInterval(poll, opts.pollMs ?? 50);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      const endAt = performance.now();
      // Lines written just before the exit: seen now, stamped with the exit time.
      for (const e of tail?.poll(endAt) ?? []) events.push(e);
      resolve({ code, signal, stopped, startAt, endAt, peakRssBytes: peak, events });
    });
  });
}
