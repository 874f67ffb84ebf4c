/**
 * Positional file I/O for the log: whole writes and reads at a given position (pwrite/pread
 * through node:fs, which measured as fast as Deno.FsFile seek+write and needs no cursor state),
 * directory fsync, and the temp-fsync-rename-fsync dance for small files replaced atomically (also
 * with its fsyncs off the event loop).
 *
 * @example
 * ```ts
 * writeFullyAt(fd, bytes, 0, bytes.length, positionBytes);
 * replaceFileAtomically("/data/t-0/offsets.checkpoint", text);
 * ```
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Suffix of the temporary file an atomic replace writes first; leftovers are ignored and removed. */
export const TEMP_SUFFIX = ".tmp";

/** Write bytes[start, end) at `position`, looping over short writes. */
export function writeFullyAt(
  fd: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  position: number,
): void {
  let offset = start;
  let at = position;
  while (offset < end) {
    const written = fs.writeSync(fd, bytes, offset, end - offset, at);
    if (written <= 0) {
      throw Object.assign(new Error(`Short write at ${at}: wrote ${written} bytes`), { code: "EIO" });
    }
    offset += written;
    at += written;
  }
}

/**
 * An error the operating system raised about a file or disk (ENOSPC, EIO, EROFS, EDQUOT, …): it
 * carries an errno-style `code`, which neither validation errors nor bugs (RangeError) have.
 */
export function isIoError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/** Read up to `length` bytes at `position` into target[start…]; returns the bytes read (less at end of file). */
export function readFullyAt(
  fd: number,
  target: Uint8Array,
  start: number,
  length: number,
  position: number,
): number {
  let done = 0;
  while (done < length) {
    const read = fs.readSync(fd, target, start + done, length - done, position + done);
    if (read <= 0) break;
    done += read;
  }
  return done;
}

/**
 * Directory fsyncs and blocking segment syncs made by this process: tests observe which
 * operations cost one (an idle log's open must cost none).
 */
export const syncCounts = { directories: 0, segments: 0 };

/** fsync a directory so that creates, renames and deletes in it survive a power loss. */
export function fsyncDirectory(directory: string): void {
  syncCounts.directories++;
  const fd = fs.openSync(directory, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replace `file` with `bytes` so that a crash leaves either the old or the new content: write
 * `file.tmp`, fsync it, rename it over `file`, fsync the directory. With `sync` false the two
 * fsyncs are the caller's: one file-system sync afterwards (file-system-sync.ts) covers them.
 */
export function replaceFileAtomically(file: string, bytes: Uint8Array | string, sync = true): void {
  const temp = file + TEMP_SUFFIX;
  const fd = fs.openSync(temp, "w");
  try {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    writeFullyAt(fd, data, 0, data.length, 0);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  if (sync) fsyncDirectory(path.dirname(file));
}

/**
 * replaceFileAtomically without holding the event loop for its file creation and two fsyncs (each
 * a few ms, tens on a busy disk), which run on the I/O thread pool: the bytes go to a temp file of
 * this function's own; once they are durable the temp file replaces `file` only if `stillWanted()` (a
 * caller that wrote `file` another way meanwhile holds newer content: this older one must not
 * replace it), and the directory is fsynced last. Resolves true when `file` was replaced.
 */
export async function replaceFileAtomicallyInBackground(
  file: string,
  bytes: Uint8Array | string,
  stillWanted: () => boolean,
): Promise<boolean> {
  await backgroundReplaces.acquire();
  try {
    return await replaceInBackground(file, bytes, stillWanted);
  } finally {
    backgroundReplaces.release();
  }
}

/**
 * How many background replacements run at once in this process; the rest wait their turn, in
 * order. Each holds a file descriptor across its fsync, and a broker whose 10,000 logs all took
 * their first record starts two per log (offsets and epoch checkpoints) in the same second: with
 * no bound those descriptors, beside the segments' own, passed the process's limit (EMFILE took
 * logs offline), and a few at a time is all the disk can fsync anyway.
 */
const MAX_BACKGROUND_REPLACES = 8;

const backgroundReplaces = {
  running: 0,
  /** Waiting callers from index `head` on (a queue without Array.shift's copying). */
  waiting: [] as (() => void)[],
  head: 0,
  acquire(): Promise<void> {
    if (this.running < MAX_BACKGROUND_REPLACES) {
      this.running++;
      return Promise.resolve();
    }
    // Bounded by the callers: each log has at most one write of each kind in flight.
    return new Promise((resolve) => this.waiting.push(resolve));
  },
  release(): void {
    if (this.head === this.waiting.length) {
      this.running--;
      return;
    }
    const next = this.waiting[this.head++];
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    }
    next(); // the slot passes on: running stays the same
  },
};

async function replaceInBackground(
  file: string,
  bytes: Uint8Array | string,
  stillWanted: () => boolean,
): Promise<boolean> {
  if (!stillWanted()) return false; // superseded (or its log closed) while it waited for a turn
  const temp = file + BACKGROUND_TEMP_SUFFIX;
  // Deno's own async file calls: node:fs's promises API costs a one-time ~0.35 s on the event loop
  // the first time a process uses it (measured with 1,000 opens), which is what this avoids.
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const handle = await Deno.open(temp, { write: true, create: true, truncate: true });
  try {
    for (let written = 0; written < data.length;) written += await handle.write(data.subarray(written));
    await handle.sync();
  } finally {
    handle.close();
  }
  // Checked and renamed in one turn of the event loop: no other write can come between the two.
  if (!stillWanted()) {
    removeIfExists(temp);
    return false;
  }
  fs.renameSync(temp, file);
  const directory = await Deno.open(path.dirname(file), { read: true });
  try {
    await directory.sync();
  } finally {
    directory.close();
  }
  return true;
}

/** Temp file of replaceFileAtomicallyInBackground: its own, so a synchronous replace never shares it. */
const BACKGROUND_TEMP_SUFFIX = ".background" + TEMP_SUFFIX;

/**
 * `path.join(...parts)` as one flat string, for paths a log keeps for its lifetime. node:path
 * builds a join piece by piece, and V8 keeps such a string as a tree of its pieces until
 * something reads it whole: 483 bytes of heap per segment path instead of 104 (measured with
 * 50,000 paths), about 2 KB per partition replica for its directory, segment, index and
 * checkpoint paths; 20 MB at 10,000 replicas (issue 16).
 */
export function lastingPath(...parts: string[]): string {
  return JSON.parse(JSON.stringify(path.join(...parts)));
}

/** Size of a file in bytes, or -1 when it does not exist. */
export function fileSizeOrMissing(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return -1;
    throw error;
  }
}

/** Delete a file if it exists. */
export function removeIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
}

/** fdatasync without blocking the event loop (runs on the I/O thread pool). */
export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}
