/**
 * InterimLog: a deliberately small, crash-safe partition log — one file of consecutive record
 * batches plus an in-memory index of every batch — standing in for src/storage until it lands.
 * Recovery at open walks every batch, checks its CRC and offsets, and cuts the file at the first
 * bad or torn one. No segments, no retention, no leader-epoch cache; the index costs ~40 bytes
 * per batch of memory.
 */
import * as fs from "node:fs";
import {
  iterateBatches,
  nextOffsetOf,
  RecordBatchError,
  setBaseOffset,
  setPartitionLeaderEpoch,
} from "../kafka/record-batch.ts";
import type { AppendResult, ReplicaLog } from "./replica-log.ts";

const LOG_FILE = "00000000000000000000.log";
const HWM_FILE = "high-watermark";
/** Bytes read per step during recovery. */
const RECOVERY_CHUNK_BYTES = 8 * 1024 * 1024;

export interface InterimLogOptions {
  fsync: "always" | "never";
  /** Batches larger than this at recovery are treated as corruption. */
  maxBatchBytes: number;
}

export class InterimLog implements ReplicaLog {
  readonly directory: string;
  readonly #fd: number;
  readonly #options: InterimLogOptions;
  // Parallel arrays: batch i covers [baseOffsets[i], nextOffsets[i]) at positions[i].
  #baseOffsets: number[] = [];
  #nextOffsets: number[] = [];
  #positions: number[] = [];
  #sizes: number[] = [];
  #maxTimestamps: number[] = [];
  #sizeBytes = 0;
  #logEndOffset = 0;
  #highWatermark = 0;
  /** Offsets below it are written to the file (appends are queued behind each other). */
  #writtenOffset = 0;
  #writing: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(directory: string, fd: number, options: InterimLogOptions) {
    this.directory = directory;
    this.#fd = fd;
    this.#options = options;
  }

  /** Open (creating) the log in directory and recover its tail. */
  static open(directory: string, options: InterimLogOptions): InterimLog {
    fs.mkdirSync(directory, { recursive: true });
    const fd = fs.openSync(
      `${directory}/${LOG_FILE}`,
      fs.existsSync(`${directory}/${LOG_FILE}`) ? "r+" : "w+",
    );
    const log = new InterimLog(directory, fd, options);
    log.#recover();
    return log;
  }

  get logStartOffset(): number {
    return 0;
  }

  get logEndOffset(): number {
    return this.#logEndOffset;
  }

  get highWatermark(): number {
    return this.#highWatermark;
  }

  setHighWatermark(offset: number): void {
    this.#highWatermark = Math.min(Math.max(offset, this.#highWatermark), this.#logEndOffset);
  }

  #recover(): void {
    const fileBytes = fs.fstatSync(this.#fd).size;
    let position = 0;
    let expectedOffset = 0;
    let bad = false;
    while (position < fileBytes && !bad) {
      const length = Math.min(RECOVERY_CHUNK_BYTES + this.#options.maxBatchBytes, fileBytes - position);
      const chunk = new Uint8Array(length);
      readFully(this.#fd, chunk, position);
      let consumed = 0;
      try {
        for (const slot of iterateBatches(chunk, { maxBatchBytes: this.#options.maxBatchBytes })) {
          if (slot.header.baseOffset !== expectedOffset) {
            bad = true;
            break;
          }
          this.#index(
            position + slot.position,
            slot.sizeBytes,
            slot.header.baseOffset,
            nextOffsetOf(slot.header),
            slot.header.maxTimestamp,
          );
          expectedOffset = nextOffsetOf(slot.header);
          consumed = slot.position + slot.sizeBytes;
        }
      } catch (error) {
        if (!(error instanceof RecordBatchError)) throw error;
        bad = true;
      }
      if (consumed === 0) break; // torn or bad tail
      position += consumed;
    }
    if (position < fileBytes) {
      console.error(
        `log ${this.directory}: cut ${fileBytes - position} bytes of invalid tail at byte ${position}`,
      );
      fs.ftruncateSync(this.#fd, position);
      fs.fsyncSync(this.#fd);
    }
    this.#sizeBytes = position;
    this.#logEndOffset = expectedOffset;
    // A single replica's committed point is its log end; the checkpoint only bounds it.
    this.#highWatermark = expectedOffset;
    this.#writtenOffset = expectedOffset;
  }

  #index(position: number, sizeBytes: number, baseOffset: number, nextOffset: number, maxTimestamp: number) {
    this.#positions.push(position);
    this.#sizes.push(sizeBytes);
    this.#baseOffsets.push(baseOffset);
    this.#nextOffsets.push(nextOffset);
    this.#maxTimestamps.push(maxTimestamp);
  }

  appendAsLeader(batches: Uint8Array, leaderEpoch: number): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error(`Log ${this.directory} is closed`));
    // Offsets are assigned synchronously, so concurrent appends get consecutive ranges in call order.
    const baseOffset = this.#logEndOffset;
    const position = this.#sizeBytes;
    let next = baseOffset;
    for (const slot of iterateBatches(batches, { validate: false, maxBatchBytes: Number.MAX_SAFE_INTEGER })) {
      setBaseOffset(batches, slot.position, next);
      setPartitionLeaderEpoch(batches, slot.position, leaderEpoch);
      const batchNext = next + slot.header.lastOffsetDelta + 1;
      this.#index(position + slot.position, slot.sizeBytes, next, batchNext, slot.header.maxTimestamp);
      next = batchNext;
    }
    this.#logEndOffset = next;
    this.#sizeBytes += batches.length;
    const written = this.#writing.then(() => {
      writeFully(this.#fd, batches, position);
      if (this.#options.fsync === "always") fs.fdatasyncSync(this.#fd);
      this.#writtenOffset = next;
      return { baseOffset, nextOffset: next };
    });
    this.#writing = written.catch(() => {});
    return written;
  }

  /** Index of the batch holding offset (or the first after it), or length when none. */
  #batchIndexFor(offset: number): number {
    let low = 0;
    let high = this.#nextOffsets.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#nextOffsets[middle] <= offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  read(fetchOffset: number, maxBytes: number, maxOffset: number): Promise<Uint8Array> {
    maxOffset = Math.min(maxOffset, this.#writtenOffset);
    const first = this.#batchIndexFor(fetchOffset);
    let last = first;
    let total = 0;
    while (last < this.#positions.length && this.#nextOffsets[last] <= maxOffset) {
      if (last > first && total + this.#sizes[last] > maxBytes) break;
      total += this.#sizes[last];
      last++;
    }
    if (last === first) return Promise.resolve(new Uint8Array(0));
    const bytes = new Uint8Array(total);
    readFully(this.#fd, bytes, this.#positions[first]);
    return Promise.resolve(bytes);
  }

  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    for (let i = 0; i < this.#maxTimestamps.length; i++) {
      if (this.#maxTimestamps[i] >= timestampMs) {
        return Promise.resolve({ offset: this.#baseOffsets[i], timestampMs: this.#maxTimestamps[i] });
      }
    }
    return Promise.resolve(null);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writing;
    fs.fsyncSync(this.#fd);
    fs.writeFileSync(`${this.directory}/${HWM_FILE}`, `${this.#highWatermark}\n`);
    fs.closeSync(this.#fd);
  }
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const count = fs.readSync(fd, target, done, target.length - done, position + done);
    if (count === 0) throw new Error(`Unexpected end of log file at ${position + done}`);
    done += count;
  }
}
