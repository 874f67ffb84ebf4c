/**
 * BufferPool: idle byte buffers kept for reuse instead of left to the garbage collector. Large
 * ArrayBuffers live outside V8's heap but count towards its *global* limit, so a process that
 * allocates them at a high rate runs a full mark-compact every 60-250 ms however small its heap
 * (issue 14): the producer's batch buffers (about 2.7× the bytes produced, a batch grows by
 * doubling) and the broker's fetch reads (the bytes served) both did. Those collections mark on
 * helper threads, which on a small machine take the CPU the other processes are waiting for.
 *
 * Buffers are kept by exact size: batches start at 4 KiB and double, or start at the batch limit
 * plus slack, and other users round their sizes up with sizeClass(), so there are few sizes. The
 * pool holds at most `maxIdleBytes`; a buffer given back beyond that is dropped for the
 * collector, and so is one left idle longer than its owner's dropIdleOlderThan() says (a burst
 * of large fetches does not keep its memory for ever). A taken buffer holds the bytes of its
 * last use: its user must write every byte it reads (BatchBuilder does: records as appended,
 * then all 61 header bytes in finish(); a fetch read hands out only the bytes the file gave it).
 *
 * Giving a buffer back while anything may still read it would put other bytes under a CRC
 * computed over these, or into a response being written: silent corruption. So the one rule for
 * callers: give a buffer back only when nothing can still be reading it (a produce answered, not
 * one that timed out; a fetch response written in full, not one dropped mid-write), and only by
 * its one owner, which forgets it then (BatchBuilder.recycle() and ReadBuffers do both). A buffer
 * never given back is simply collected, so when in doubt a user keeps it. A buffer given back
 * twice while still idle here is caught and throws; ownership is what prevents the worse case, a
 * stale owner giving back a buffer someone else has taken since.
 *
 * @example
 * ```ts
 * const pool = new BufferPool(8 * 1024 * 1024);
 * const buffer = pool.take(16_384);
 * pool.give(buffer); // once nothing reads it any more
 * ```
 */
import { invariant } from "./assert.ts";

const MIN_SIZE_CLASS = 4096;

/** The idle buffers of one size, oldest first, and when each was given back (the clock's ms). */
interface IdleOfSize {
  buffers: Uint8Array[];
  since: number[];
}

export class BufferPool {
  readonly maxIdleBytes: number;
  /** Idle buffers by byteLength, taken last in, first out (the warmest in cache). */
  readonly #idle = new Map<number, IdleOfSize>();
  readonly #now: () => number;
  /**
   * The ArrayBuffers now idle here: a buffer given back twice is found at once. A WeakSet: its
   * entries come and go with every take and give, which a long-lived Set pays for in old-space
   * garbage (linked-list.ts says why) and a WeakSet does not.
   */
  readonly #idleBuffers = new WeakSet<ArrayBufferLike>();
  #idleBytes = 0;

  /**
   * The pooled size for a need of `size` bytes: the next power of two from 4 KiB, so that reads
   * of varying lengths share a few sizes (a buffer is at most twice what it holds).
   */
  static sizeClass(size: number): number {
    return Math.max(MIN_SIZE_CLASS, 2 ** Math.ceil(Math.log2(Math.max(1, size))));
  }

  /** `now`: the clock for idle ages (ms), performance.now unless a test sets it. */
  constructor(maxIdleBytes: number, now: () => number = () => performance.now()) {
    this.maxIdleBytes = maxIdleBytes;
    this.#now = now;
  }

  /** Bytes held idle now. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** A buffer of exactly `size` bytes: an idle one when there is one, else a new one. */
  take(size: number): Uint8Array {
    const idle = this.#idle.get(size);
    const buffer = idle?.buffers.pop();
    if (buffer === undefined) return new Uint8Array(size);
    idle!.since.pop();
    this.#idleBuffers.delete(buffer.buffer);
    this.#idleBytes -= size;
    return buffer;
  }

  /**
   * Keep `buffer` for a later take() (or drop it when the pool is full). It must be a whole buffer
   * this pool handed out or could have (offset 0, its ArrayBuffer's full length) and nothing may
   * read or write it any more.
   */
  give(buffer: Uint8Array): void {
    invariant(
      buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength,
      () => `BufferPool.give: a whole buffer (offset ${buffer.byteOffset}, ${buffer.byteLength} bytes)`,
    );
    invariant(
      !this.#idleBuffers.has(buffer.buffer),
      () => `BufferPool.give: a ${buffer.byteLength}-byte buffer given back twice`,
    );
    if (this.#idleBytes + buffer.byteLength > this.maxIdleBytes) return; // the collector takes it
    let idle = this.#idle.get(buffer.byteLength);
    if (idle === undefined) this.#idle.set(buffer.byteLength, idle = { buffers: [], since: [] });
    idle.buffers.push(buffer);
    idle.since.push(this.#now());
    this.#idleBuffers.add(buffer.buffer);
    this.#idleBytes += buffer.byteLength;
  }

  /**
   * Leave to the collector every buffer idle here for more than `ageMs` (given back that long ago
   * and not taken since); returns the bytes dropped. Cheap: a look at each size's oldest.
   */
  dropIdleOlderThan(ageMs: number): number {
    const cutoff = this.#now() - ageMs;
    let dropped = 0;
    for (const [size, idle] of this.#idle) {
      let old = 0;
      while (old < idle.since.length && idle.since[old] < cutoff) old++;
      if (old === 0) continue;
      for (const buffer of idle.buffers.splice(0, old)) this.#idleBuffers.delete(buffer.buffer);
      idle.since.splice(0, old);
      dropped += old * size;
      if (idle.buffers.length === 0) this.#idle.delete(size);
    }
    this.#idleBytes -= dropped;
    return dropped;
  }
}
