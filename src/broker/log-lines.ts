/**
 * The broker's log lines on stderr, written together and never in the event loop's way: every
 * line logged during one task of the event loop is encoded once when the task ends (a microtask)
 * and queued; one asynchronous write at a time drains the queue. A broker applying a LeaderAndIsr
 * for thousands of partitions, or a controller deciding them, logs a line per partition; at one
 * synchronous write(2) per line that was up to half of the controller's CPU in a failover at 3,000
 * partitions (issue 16), and even one synchronous write per task blocks the whole broker (its
 * coordinator heartbeats included) whenever the reader of stderr is slower than the broker: a pipe
 * holds 64 KiB, and a busy parent process reads late (profiled: 37 % of the controller's busy time
 * in a failover at 3,000 partitions, at load 18, was spent blocked in that write).
 *
 * The queue is bounded (MAX_QUEUED_BYTES): a reader that falls that far behind loses the lines
 * past the bound, and a line saying how many follows once the queue drained — a broker must not
 * grow without bound or stop for its log. Lines keep their order; a process that exits
 * (Deno.exit) writes what is still queued first, synchronously ("unload").
 *
 * @example
 * ```ts
 * logLine("broker 1: scale-0:7: following broker 2 in epoch 3");
 * ```
 */
import { concatBytes } from "../wire/concat-bytes.ts";

/** Lines held at most before they are queued, whatever the task: bounds a long task's memory. */
const MAX_PENDING_LINES = 4096;

/** Bytes queued for stderr at most; lines beyond are dropped (and counted) until it drains. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** Bytes handed to one asynchronous write at most. */
const MAX_WRITE_BYTES = 256 * 1024;

const pending: string[] = [];
let scheduled = false;
let unloadHooked = false;
const encoder = new TextEncoder();

/** Encoded lines waiting for the writer, oldest first. */
const queue: Uint8Array[] = [];
let queuedBytes = 0;
let dropped = 0;
let writing = false;
/** stderr failed (a closed pipe): nothing more is written. */
let broken = false;
/** The process is exiting: what is left is written synchronously, no new asynchronous write. */
let exiting = false;
/** Waiting for the queue to drain (a clean exit that wants every line out). */
const drainWaiters: (() => void)[] = [];

/** Log one line (no trailing newline) to stderr, in order, written after the current task ends. */
export function logLine(line: string): void {
  pending.push(line);
  if (pending.length >= MAX_PENDING_LINES) return flushLogLines();
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(flushLogLines);
  if (!unloadHooked) {
    unloadHooked = true;
    globalThis.addEventListener("unload", writeQueuedNow);
  }
}

/** Queue every pending line for the writer now (it writes them without blocking the event loop). */
export function flushLogLines(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const bytes = encoder.encode(pending.join("\n") + "\n");
  const lines = pending.length;
  pending.length = 0;
  if (broken) return;
  if (queuedBytes + bytes.length > MAX_QUEUED_BYTES) {
    dropped += lines;
    return;
  }
  enqueue(bytes);
}

/**
 * Resolves once every line logged so far is written (or dropped, or stderr failed), or after
 * timeoutMs: a stopping process awaits it so its last lines are out before it exits.
 */
export async function logLinesWritten(timeoutMs: number): Promise<void> {
  flushLogLines();
  if (!writing && queue.length === 0) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    new Promise<void>((resolve) => drainWaiters.push(resolve)),
    new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs)),
  ]);
  clearTimeout(timer);
}

function enqueue(bytes: Uint8Array): void {
  queue.push(bytes);
  queuedBytes += bytes.length;
  if (!writing && !exiting) void drain();
}

/** Say how many lines the bound cost, once there is room again (or at exit). */
function queueDroppedNotice(): void {
  const notice = `${dropped} log line(s) dropped: stderr was not read fast enough`;
  dropped = 0;
  enqueue(encoder.encode(notice + "\n"));
}

/** The one writer: takes up to MAX_WRITE_BYTES from the queue at a time, in order. */
async function drain(): Promise<void> {
  writing = true;
  try {
    while (queue.length > 0 && !broken) {
      const chunk = take();
      for (let written = 0; written < chunk.length;) {
        written += await Deno.stderr.write(chunk.subarray(written));
      }
      if (queue.length === 0 && dropped > 0) queueDroppedNotice();
    }
  } catch {
    // stderr is gone (closed pipe): there is no one left to tell, and logging must never take
    // the broker down. Later lines are discarded.
    broken = true;
    queue.length = 0;
    queuedBytes = 0;
  } finally {
    writing = false;
    for (const resolve of drainWaiters.splice(0)) resolve();
  }
}

/** Remove the oldest queued bytes, several small entries joined, up to MAX_WRITE_BYTES (or one larger entry). */
function take(): Uint8Array {
  let size = queue[0].length;
  let count = 1;
  while (count < queue.length && size + queue[count].length <= MAX_WRITE_BYTES) size += queue[count++].length;
  const parts = queue.splice(0, count);
  queuedBytes -= size;
  return parts.length === 1 ? parts[0] : concatBytes(parts);
}

/**
 * At exit: write what is pending and queued synchronously (the process ends, blocking no longer
 * matters). A write still in flight is not waited for (an exit cannot wait): its bytes may land
 * after these, or be lost if the process is gone first; a clean stop awaits logLinesWritten()
 * before it exits, so only an abrupt exit (Deno.exit from a fatal path) can lose that last chunk.
 */
function writeQueuedNow(): void {
  exiting = true;
  flushLogLines();
  if (dropped > 0 && !broken) queueDroppedNotice();
  if (broken || queue.length === 0) return;
  const parts = queue.splice(0);
  queuedBytes = 0;
  try {
    for (const part of parts) {
      for (let written = 0; written < part.length;) written += Deno.stderr.writeSync(part.subarray(written));
    }
  } catch {
    // stderr is gone: as above, nothing to tell and no reason to fail the exit.
  }
}
