/**
 * Clean-up on SIGINT / SIGTERM: temp folders being built and lock files are removed before the
 * process ends. Each signal then takes its usual course (the process ends by that signal) unless
 * another part of the program listens for it too and ends the process itself.
 */
const cleanups = new Set<() => void>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let installed = false;

function onSignal(sig: NodeJS.Signals): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // Best effort: a clean-up that fails must not keep the others from running.
    }
  }
  cleanups.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  installed = false;
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

/** Run `fn` (synchronous) if the process is interrupted; returns the function that cancels it. */
export function onInterrupt(fn: () => void): () => void {
  if (!installed) {
    for (const s of SIGNALS) process.on(s, onSignal);
    installed = true;
  }
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}
