/**
 * CPU seconds a process has used, from /proc (Linux): the figure a benchmark can trust on a
 * shared, loaded machine, where wall-clock rates swing with other people's work but the CPU a
 * broker spends per record does not.
 *
 * @example
 * ```ts
 * const before = cpuSeconds(broker.program.pid);
 * await work();
 * console.log(`${cpuSeconds(broker.program.pid) - before} s of broker CPU`);
 * ```
 */

/** User + system CPU seconds of `pid` so far (10 ms resolution: USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return ticks / 100;
}
