/**
 * The write-ahead journal: every transaction is appended and fsync'd before anyone sees it.
 *
 *   file  => journal-<first zxid, 20 digits>.log
 *   entry => payloadLength uint32, crc32c(payload) uint32, payload (see txn.ts)
 *
 * Group commit: appends are synchronous and land in a pending buffer; one flush loop writes
 * everything pending with one write and one fdatasync, then reports the last durable zxid.
 * Writes arriving while an fsync is in flight form the next batch. `roll()` starts a new file
 * after what is pending (snapshots use it so old files can be deleted).
 *
 * Recovery (`replayJournal`): entries are read in zxid order; the first short, oversized or
 * checksum-failing entry marks a torn tail: the file is cut there and later files are removed
 * (nothing in them was acknowledged: a batch is fsync'd only after every batch before it). A gap in
 * the zxids is not a torn write but missing state, and stops the start instead.
 */
import { crc32c } from "../wire/crc32c.ts";
import { Writer } from "../wire/writer.ts";

const ENTRY_HEADER_BYTES = 8;
/**
 * Files grow in steps of this size (zero-filled, sparse), so an fdatasync rarely has to commit a
 * new file size as well: measurably lower and steadier fsync latency. Replay reads a zero header
 * as the clean end of a file.
 */
export const PREALLOCATE_BYTES = 4 * 1024 * 1024;
/** Largest payload recovery will believe (a frame is at most max-frame-bytes; multi adds little). */
export const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

export function journalFileName(firstZxid: number): string {
  return `journal-${String(firstZxid).padStart(20, "0")}.log`;
}

/** Journal files in `dir`, ordered by first zxid. */
export async function listJournalFiles(dir: string): Promise<{ name: string; firstZxid: number }[]> {
  const files: { name: string; firstZxid: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^journal-(\d{20})\.log$/.exec(entry.name);
    if (entry.isFile && match) files.push({ name: entry.name, firstZxid: Number(match[1]) });
  }
  return files.sort((a, b) => a.firstZxid - b.firstZxid);
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/** A write into the page cache does not wait for the disk; doing it synchronously saves an event-loop hop. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
}

type QueueItem = { kind: "data"; bytes: Uint8Array; lastZxid: number } | { kind: "roll"; firstZxid: number };

export class Journal {
  readonly dir: string;
  #file: Deno.FsFile;
  /** Where the next batch goes in the current file, and how far the file is preallocated. */
  #position = 0;
  #allocatedBytes = 0;
  #pending = new Writer(64 * 1024);
  #pendingLastZxid = -1;
  #queue: QueueItem[] = [];
  #flushing = false;
  #idleWaiters: (() => void)[] = [];
  #failed: Error | undefined;
  #closed = false;
  /** The highest zxid known to be on disk. */
  durableZxid: number;
  /** Called after each fsync with the highest durable zxid. */
  onDurable: (zxid: number) => void = () => {};
  /** Called once when a write or fsync fails; nothing after it is durable. */
  onFailure: (error: Error) => void = () => {};
  /** Batches written (for metrics). */
  fsyncCount = 0;

  private constructor(dir: string, file: Deno.FsFile, durableZxid: number) {
    this.dir = dir;
    this.#file = file;
    this.durableZxid = durableZxid;
  }

  /** Open a fresh journal file whose first entry will be `firstZxid`. */
  static async open(dir: string, firstZxid: number): Promise<Journal> {
    const file = await Deno.open(`${dir}/${journalFileName(firstZxid)}`, {
      create: true,
      write: true,
      truncate: true,
    });
    await file.truncate(PREALLOCATE_BYTES);
    await syncDirectory(dir);
    const journal = new Journal(dir, file, firstZxid - 1);
    journal.#allocatedBytes = PREALLOCATE_BYTES;
    return journal;
  }

  /** Bytes waiting for the next flush. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Append one entry whose payload `fill` writes; durable once onDurable reports `zxid`. */
  append(zxid: number, fill: (writer: Writer) => void): void {
    if (this.#failed) throw this.#failed;
    if (this.#closed) throw new Error("Journal is closed");
    const writer = this.#pending;
    const start = writer.length;
    writer.uint32(0).uint32(0);
    fill(writer);
    const end = writer.length;
    const bytes = writer.view();
    writer.setUint32At(start, end - start - ENTRY_HEADER_BYTES);
    writer.setUint32At(start + 4, crc32c(bytes, start + ENTRY_HEADER_BYTES, end));
    this.#pendingLastZxid = zxid;
    this.#schedule();
  }

  /** Put entries appended from now on into a new file starting at `firstZxid`. */
  roll(firstZxid: number): void {
    this.#takePending();
    this.#queue.push({ kind: "roll", firstZxid });
    this.#schedule();
  }

  /** Resolves when everything appended so far is durable. */
  flush(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (!this.#flushing && this.#pending.length === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    // A failed final flush already failed the writes waiting on it (nothing unflushed was
    // acknowledged); closing must still release the file.
    await this.flush().catch(() => {});
    this.#closed = true;
    try {
      if (!this.#failed) await this.#file.truncate(this.#position); // a clean stop leaves no padding
      this.#file.close();
    } catch { /* already closed */ }
  }

  #takePending(): void {
    if (this.#pending.length === 0) return;
    this.#queue.push({ kind: "data", bytes: this.#pending.toBytes(), lastZxid: this.#pendingLastZxid });
    this.#pending.reset();
  }

  #schedule(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    // A microtask later: everything processed in this turn of the event loop joins the batch.
    queueMicrotask(() => this.#flushLoop());
  }

  async #flushLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.#queue.length === 0) this.#takePending();
        const item = this.#queue.shift();
        if (item === undefined) break;
        if (item.kind === "roll") {
          this.#file.close();
          this.#file = await Deno.open(`${this.dir}/${journalFileName(item.firstZxid)}`, {
            create: true,
            write: true,
            truncate: true,
          });
          this.#position = 0;
          this.#allocatedBytes = PREALLOCATE_BYTES;
          await this.#file.truncate(this.#allocatedBytes);
          await syncDirectory(this.dir);
          continue;
        }
        if (this.#position + item.bytes.length > this.#allocatedBytes) {
          this.#allocatedBytes = Math.ceil((this.#position + item.bytes.length) / PREALLOCATE_BYTES + 1) *
            PREALLOCATE_BYTES;
          await this.#file.truncate(this.#allocatedBytes);
        }
        writeAll(this.#file, item.bytes);
        this.#position += item.bytes.length;
        await this.#file.syncData();
        this.fsyncCount++;
        this.durableZxid = item.lastZxid;
        this.onDurable(item.lastZxid);
      }
    } catch (error) {
      this.#failed = error instanceof Error ? error : new Error(String(error));
      this.onFailure(this.#failed);
    } finally {
      this.#flushing = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (!this.#failed && (this.#pending.length > 0 || this.#queue.length > 0)) this.#schedule();
  }
}

export interface ReplayResult {
  lastZxid: number;
  entries: number;
  /** Bytes cut off a torn tail (0 when the journal was clean). */
  truncatedBytes: number;
}

/**
 * Feed every valid entry with zxid > afterZxid to `apply`, in order. A torn or corrupt entry
 * ends the journal: that file is truncated there and any later files are deleted.
 */
export async function replayJournal(
  dir: string,
  afterZxid: number,
  apply: (payload: Uint8Array) => number,
): Promise<ReplayResult> {
  const files = await listJournalFiles(dir);
  let lastZxid = afterZxid;
  let entries = 0;
  let truncatedBytes = 0;
  for (let index = 0; index < files.length; index++) {
    const path = `${dir}/${files[index].name}`;
    const bytes = await Deno.readFile(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    let torn = false;
    while (offset < bytes.length) {
      if (bytes.length - offset < ENTRY_HEADER_BYTES) {
        torn = true;
        break;
      }
      const length = view.getUint32(offset);
      const crc = view.getUint32(offset + 4);
      if (length === 0 && crc === 0) break; // preallocated zeros: the clean end of this file
      const start = offset + ENTRY_HEADER_BYTES;
      if (
        length > MAX_ENTRY_BYTES || start + length > bytes.length ||
        crc32c(bytes, start, start + length) !== crc
      ) {
        torn = true;
        break;
      }
      const payload = bytes.subarray(start, start + length);
      const zxid = Number(view.getBigInt64(start));
      if (zxid > lastZxid) {
        if (zxid !== lastZxid + 1) {
          // Not a torn write: state is missing (an unreadable snapshot?). Cutting here would
          // destroy good entries, so refuse to start instead.
          throw new Error(
            `Journal ${files[index].name} continues at zxid ${zxid} but the state ends at ${lastZxid}: ` +
              `a snapshot is missing or unreadable`,
          );
        }
        lastZxid = apply(payload);
        entries++;
      }
      offset = start + length;
    }
    if (!torn && offset < bytes.length) {
      await Deno.truncate(path, offset); // drop the padding so the file ends at its last entry
      continue;
    }
    if (torn) {
      truncatedBytes += bytes.length - offset;
      await Deno.truncate(path, offset);
      for (const later of files.slice(index + 1)) {
        truncatedBytes += (await Deno.stat(`${dir}/${later.name}`)).size;
        await Deno.remove(`${dir}/${later.name}`);
      }
      break;
    }
  }
  return { lastZxid, entries, truncatedBytes };
}
