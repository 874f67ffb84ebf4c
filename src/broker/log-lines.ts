/**
 * The broker's log lines on stderr, written together: every line logged during one task of the
 * event loop goes out in one write when the task ends (a microtask), not one write each. A broker
 * applying a LeaderAndIsr for thousands of partitions, or a controller deciding them, logs a line
 * per partition; at one synchronous write(2) per line to a pipe that was up to half of the
 * controller's CPU in a failover at 3,000 partitions (issue 16). Lines keep their order; a
 * process that exits (Deno.exit) writes what is pending first ("unload").
 *
 * @example
 * ```ts
 * logLine("broker 1: scale-0:7: following broker 2 in epoch 3");
 * ```
 */

/** Lines held at most before a write, whatever the task: bounds the memory a long task takes. */
const MAX_PENDING_LINES = 4096;

const pending: string[] = [];
let scheduled = false;
let unloadHooked = false;
const encoder = new TextEncoder();

/** Log one line (no trailing newline) to stderr, in order, written when the current task ends. */
export function logLine(line: string): void {
  pending.push(line);
  if (pending.length >= MAX_PENDING_LINES) return flushLogLines();
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(flushLogLines);
  if (!unloadHooked) {
    unloadHooked = true;
    globalThis.addEventListener("unload", flushLogLines);
  }
}

/** Write every pending line now. */
export function flushLogLines(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const bytes = encoder.encode(pending.join("\n") + "\n");
  pending.length = 0;
  try {
    for (let written = 0; written < bytes.length;) {
      written += Deno.stderr.writeSync(bytes.subarray(written));
    }
  } catch {
    // stderr is gone (closed pipe): there is no one left to tell, and logging must never take
    // the broker down.
  }
}
