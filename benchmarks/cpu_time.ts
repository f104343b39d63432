/** Mean process CPU milliseconds of `f` over `reps` runs after one warm-up run (less distorted than wall time on a busy machine). */
export function cpuMs(f: () => void, reps: number): number {
  f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}
