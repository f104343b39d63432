/** Mean process CPU milliseconds of `f` over `reps` runs after one warm-up run (less distorted than wall time on a busy machine). */
export function cpuMs(f: () => void, reps: number): number {
  f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

/**
 * Median wall-clock milliseconds of `f` over `reps` runs after one warm-up run. Wall time, unlike
 * CPU time, shows what a second core buys; compare sides only within one interleaved run.
 */
export async function medianWallMs(f: () => unknown, reps: number): Promise<number> {
  await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const m = times.length >> 1;
  return times.length % 2 ? times[m]! : (times[m - 1]! + times[m]!) / 2;
}
