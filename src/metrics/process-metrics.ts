/**
 * The standard `process_*` metrics every Prometheus client library exposes (CPU seconds, resident
 * and virtual memory, open and maximum file descriptors, start time), read from /proc/self at scrape
 * time on Linux; where /proc is missing only what Deno itself reports is given.
 *
 * @example
 * ```ts
 * registry.collect(processMetrics);
 * ```
 */
import type { Exposition } from "./registry.ts";

/** Linux's USER_HZ: the unit of utime/stime/starttime in /proc (100 on every mainstream arch). */
const CLOCK_TICKS_PER_SECOND = 100;

const startedAtSeconds = Date.now() / 1000;

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    // Not Linux, or /proc not mounted: the metric is left out.
    return null;
  }
}

/** Fields of /proc/self/stat after the command name (which may contain spaces). */
function statFields(): string[] | null {
  const stat = readText("/proc/self/stat");
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
}

function bootTimeSeconds(): number | null {
  const match = /^btime (\d+)$/m.exec(readText("/proc/stat") ?? "");
  return match ? Number(match[1]) : null;
}

/** Collector for the process_* families. */
export function processMetrics(out: Exposition): void {
  const fields = statFields();
  // After ")": state(0) ppid(1) … utime(11) stime(12) … starttime(19) vsize(20).
  if (fields) {
    out.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
      .sample({}, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND);
    out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").sample({}, Number(fields[20]));
  }
  out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").sample(
    {},
    Deno.memoryUsage().rss,
  );
  const boot = bootTimeSeconds();
  const start = fields && boot !== null
    ? boot + Number(fields[19]) / CLOCK_TICKS_PER_SECOND
    : startedAtSeconds;
  out.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
    .sample({}, start);
  try {
    let open = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
    out.gauge("process_open_fds", "Number of open file descriptors.").sample({}, open);
  } catch {
    // No /proc: left out.
  }
  const limit = /^Max open files\s+(\d+)/m.exec(readText("/proc/self/limits") ?? "");
  if (limit) {
    out.gauge("process_max_fds", "Maximum number of open file descriptors.").sample({}, Number(limit[1]));
  }
  const heap = Deno.memoryUsage();
  out.gauge("deno_heap_used_bytes", "V8 heap in use, bytes.").sample({}, heap.heapUsed);
}
