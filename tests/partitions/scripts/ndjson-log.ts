/**
 * An append-only NDJSON file for the workload scripts: lines are buffered and written every
 * 100 ms (or at 64 KiB), so logging every operation costs little, and `close()` writes the rest.
 * A script stopped with SIGTERM closes its log first (`stopOnSignal`), so the test reads
 * everything it did; a SIGKILLed script loses at most its last 100 ms, which the checker treats
 * like operations that never finished.
 */
const encoder = new TextEncoder();
const FLUSH_INTERVAL_MS = 100;
const FLUSH_BYTES = 64 * 1024;

export class NdjsonLog {
  readonly #file: Deno.FsFile;
  #pending: string[] = [];
  #pendingBytes = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(path: string) {
    this.#file = Deno.openSync(path, { create: true, append: true });
    this.#timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  write(entry: Record<string, unknown>): void {
    const line = JSON.stringify(entry) + "\n";
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = encoder.encode(this.#pending.join(""));
    this.#pending = [];
    this.#pendingBytes = 0;
    for (let written = 0; written < bytes.length;) written += this.#file.writeSync(bytes.subarray(written));
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
    this.#file.close();
  }
}

/** Call `stop` once on SIGTERM or SIGINT; the script exits when its loops end. */
export function stopOnSignal(stop: () => void): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, stop);
}

/** Read a whole NDJSON file written by NdjsonLog (a missing file is an empty log). */
export async function readNdjson<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n").filter((line) => line.length > 0);
  return lines.flatMap((line, i) => {
    try {
      return [JSON.parse(line) as T];
    } catch (error) {
      // Only the last line can be cut short (the writer was killed mid-write); anything else is a bug.
      if (i === lines.length - 1) return [];
      throw new Error(`${path}:${i + 1}: ${(error as Error).message}`);
    }
  });
}
