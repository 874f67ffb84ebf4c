/**
 * ReadBuffers: the buffers that one fetch response's log reads go into, taken from the broker's
 * pool and given back once the response has been written in full. A busy broker serves as many
 * bytes as it takes in; read into fresh buffers, they started a full mark-compact every 100-250 ms
 * (src/buffer-pool.ts says why that hurts).
 *
 * The response shares the read bytes by reference all the way to the socket, so the buffers are
 * given back only after the connection has written that response (RequestContext.afterResponse):
 * never for a response dropped unwritten or failed mid-write, whose buffers the collector takes
 * instead. A read handed out is only the bytes the file filled (a pooled buffer keeps its last
 * use's bytes beyond them).
 *
 * @example
 * ```ts
 * const buffers = new ReadBuffers(pool);
 * const records = partition.read(fetchOffset, maxBytes, highWatermark, buffers.allocate);
 * context.afterResponse?.(() => buffers.giveBack());
 * ```
 */
import { invariant } from "../assert.ts";
import { BufferPool } from "../buffer-pool.ts";

/** What the broker's pool keeps of the usual sizes: four 8 MiB responses, or many smaller ones. */
const USUAL_IDLE_BYTES = 32 * 1024 * 1024;

/** A pooled buffer idle this long goes to the collector (the broker looks every second). */
export const IDLE_BUFFER_MAX_AGE_MS = 60_000;

/**
 * The broker's pool of buffers for fetch reads and produce requests: the usual sizes, plus room
 * for one buffer of the largest response `fetchMaxBytes` allows. Without that room a client that
 * asks for whole 55 MiB responses (kcat with fetch.message.max.bytes of 64 MiB) had each read
 * into a new 64 MiB buffer, and touching its fresh pages cost the broker ten times the CPU of the
 * read itself (`deno task bench fetch-sizes`: 0.44–0.50 s against 0.03–0.06 s for 1,000,000
 * records). Buffers idle for IDLE_BUFFER_MAX_AGE_MS are dropped, so a burst of large fetches
 * does not keep its memory.
 */
export function fetchBufferPool(fetchMaxBytes: number, now?: () => number): BufferPool {
  return new BufferPool(USUAL_IDLE_BYTES + BufferPool.sizeClass(fetchMaxBytes), now);
}

export class ReadBuffers {
  readonly #pool: BufferPool;
  /** Whole pooled buffers handed out, to give back together. */
  readonly #taken: Uint8Array[] = [];
  #givenBack = false;

  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  /** A buffer of exactly `size` bytes for a log read: a view of a pooled buffer of its size class. */
  readonly allocate = (size: number): Uint8Array => {
    invariant(
      !this.#givenBack,
      () => `ReadBuffers: a read of ${size} bytes after the buffers were given back`,
    );
    const buffer = this.#pool.take(BufferPool.sizeClass(size));
    this.#taken.push(buffer);
    return buffer.subarray(0, size);
  };

  /** Give every buffer back to the pool: only once nothing can read the response any more. */
  giveBack(): void {
    invariant(!this.#givenBack, () => "ReadBuffers: given back twice");
    this.#givenBack = true;
    for (const buffer of this.#taken) this.#pool.give(buffer);
    this.#taken.length = 0;
  }
}
