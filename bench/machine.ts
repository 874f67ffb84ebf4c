/**
 * What of the machine shapes a latency benchmark's tail, read from sysfs, so that each run says
 * under which conditions its figures were made. Read-only: a benchmark reports the machine, it
 * does not change it.
 *
 * - The kernel's DAMON monitor (`/sys/kernel/mm/damon/admin/kdamonds/N`): this project's VMs
 *   came with one running on physical memory, sampling every 500 ms with a pageout scheme. Each
 *   sample held a vCPU for about 4 ms (`perf sched`), and with it on three brokers at 5,000
 *   records/s had p99 6.4–9.2 ms in most runs against 2.2–3.8 ms with it off, the slowest records
 *   sent 0.5 s apart (README, issue 14).
 * - Free page reporting (`/sys/module/page_reporting`): freed memory goes back to the host, so the
 *   first write into such a page costs the host a fault (README: 0.74–0.95 GB/s on a first pass
 *   into the page cache against 4.5–7.5 GB/s on a second).
 *
 * @example
 * ```ts
 * for (const line of machineConditions()) console.log(`machine: ${line}`);
 * ```
 */
import * as path from "node:path";

/** One line per condition found under `sysRoot`; none when there is nothing to say. */
export function machineConditions(sysRoot = "/sys"): string[] {
  const lines: string[] = [];
  const kdamonds = path.join(sysRoot, "kernel/mm/damon/admin/kdamonds");
  for (const id of numberedEntries(kdamonds)) {
    const kdamond = path.join(kdamonds, id);
    const state = readTrimmed(path.join(kdamond, "state"));
    if (state !== "on") {
      lines.push(`DAMON kdamond ${id} is ${state ?? "unreadable"}`);
      continue;
    }
    const contexts = numberedEntries(path.join(kdamond, "contexts")).map((context) => {
      const at = path.join(kdamond, "contexts", context);
      const operations = readTrimmed(path.join(at, "operations")) ?? "?";
      const sampleUs = Number(readTrimmed(path.join(at, "monitoring_attrs/intervals/sample_us")));
      const actions = numberedEntries(path.join(at, "schemes"))
        .map((scheme) => readTrimmed(path.join(at, "schemes", scheme, "action")) ?? "?");
      const every = Number.isFinite(sampleUs) ? `, samples every ${sampleUs / 1000} ms` : "";
      return `${operations}${every}${actions.length > 0 ? `, scheme ${actions.join(" and ")}` : ""}`;
    });
    lines.push(
      `DAMON kdamond ${id} is ON (${contexts.join("; ") || "no context"}): on this project's VMs it ` +
        `raised the three-broker p99 at 5,000 records/s two- to threefold in most runs (README); as root, ` +
        `\`echo off > ${path.join(kdamond, "state")}\` before measuring gives figures comparable to README's`,
    );
  }
  if (exists(path.join(sysRoot, "module/page_reporting"))) {
    lines.push(
      "free page reporting is on: freed memory returns to the host, and the first write into such " +
        "a page costs a fault in the host (page-cache appends after a topic's deletion among them)",
    );
  }
  return lines;
}

/** Names of the numbered entries of a sysfs directory, in order; none when it is missing. */
function numberedEntries(directory: string): string[] {
  try {
    return [...Deno.readDirSync(directory)]
      .map((entry) => entry.name)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(a) - Number(b));
  } catch {
    return []; // no such directory (no DAMON in this kernel, or no sysfs): nothing to report
  }
}

function readTrimmed(file: string): string | undefined {
  try {
    return Deno.readTextFileSync(file).trim();
  } catch {
    return undefined; // unreadable (not root, or the kernel has no such file): the caller says so
  }
}

function exists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false; // no such entry: the condition is absent
  }
}
