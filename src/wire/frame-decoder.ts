/**
 * FrameDecoder: splits a TCP byte stream into int32-length-prefixed frames, the framing
 * both Kafka and ZooKeeper use. Lengths are untrusted: a negative length or one above
 * maxFrameBytes throws WireError before any buffer of that size is allocated.
 *
 * Why it is shaped like this: every byte is copied at most once, whatever the size of the reads.
 * TLS sockets return at most one 16 KiB record per read, so a 1 MiB produce request arrives in
 * 64 pieces; joining "what is buffered + the new piece" on each one (as this decoder once did)
 * copies the frame 32 times over and made TLS produce run at a third of plaintext. Instead a
 * frame whose length is known gets one buffer of its own that the pieces are copied into, or
 * that the caller reads into directly (`frameSpace` / `filled`). That buffer grows by doubling
 * up to the announced length rather than being allocated whole, so a client announcing a huge
 * frame and sending nothing costs only what it sent. Once a connection has sent a frame whole,
 * frames up to that size get their whole buffer at once: a producer sending 500 KiB batches
 * otherwise had each one allocated four times over (64, 128, 256, 500 KiB) and copied three
 * times (at 1.4 M records/s those copies were 6% of the broker's busy CPU samples, issue 14).
 * The memory a connection can hold this way is at most the largest frame it has already sent.
 *
 * With a BufferPool, a frame's own buffer comes from the pool, and its user may give it back
 * with release() once nothing reads the frame any more (the broker does for Produce requests,
 * whose bytes are stored by a synchronous file write): a busy broker takes in as many bytes as
 * it serves, and fresh buffers for them started full collections (src/buffer-pool.ts). A frame
 * never released is simply collected.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder(1_048_575);
 * for (const frame of decoder.push(chunk)) handle(frame);
 * ```
 */
import { WireError } from "./wire-error.ts";
import { BufferPool } from "../buffer-pool.ts";

/** First buffer of a frame that did not arrive whole; doubled as bytes come. */
const INITIAL_FRAME_BYTES = 64 * 1024;

export class FrameDecoder {
  readonly maxFrameBytes: number;
  /** Length prefix bytes received while no frame is open (a prefix split across reads). */
  readonly #prefix = new Uint8Array(4);
  #prefixFill = 0;
  /** The frame being received: its announced length, its buffer (may be shorter), bytes in it. */
  #frameLength = -1;
  #frame: Uint8Array = new Uint8Array(0);
  #frameFill = 0;
  /** The largest frame received whole so far: later frames up to this size are allocated whole. */
  #largestWholeBytes = 0;
  readonly #pool: BufferPool | undefined;
  /** Pooled buffers handed out in frames and not released yet. */
  readonly #lent = new WeakSet<ArrayBufferLike>();

  constructor(maxFrameBytes: number, pool?: BufferPool) {
    this.maxFrameBytes = maxFrameBytes;
    this.#pool = pool;
  }

  /**
   * Give a frame's buffer back to the pool: only once nothing reads the frame or any view of it.
   * A frame that is a view of a pushed chunk (or any buffer not lent by this decoder) is left
   * alone, and so is a second release of the same frame.
   */
  release(frame: Uint8Array): void {
    if (this.#pool === undefined || !this.#lent.delete(frame.buffer)) return;
    this.#pool.give(new Uint8Array(frame.buffer));
  }

  /**
   * `frame`'s bytes in a buffer of its own, for a caller that reads into the pushed chunk again
   * while the frame is still in use. `pooled`: a buffer from the pool, to release() later; else a
   * new one of exactly the frame's size, for a frame that will not be released (from an empty
   * pool it would be a new buffer of its size class, up to twice as large).
   */
  copyOut(frame: Uint8Array, pooled: boolean): Uint8Array {
    const own = pooled ? this.#allocate(frame.length) : new Uint8Array(frame.length);
    own.set(frame);
    return own;
  }

  /** Bytes received but not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.#frameLength >= 0 ? this.#frameFill : this.#prefixFill;
  }

  /**
   * Feed received bytes; returns the whole frames now available (payloads only).
   * Frames may be views into `chunk`: pass a chunk the caller will not overwrite, or copyOut()
   * those it keeps. Bytes of an unfinished frame are copied, so the chunk may be reused once the
   * returned frames are used or copied out.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#frameLength < 0) {
        if (this.#prefixFill === 0 && chunk.length - at >= 4) {
          const length = this.#checkLength(
            (chunk[at] << 24) | (chunk[at + 1] << 16) | (chunk[at + 2] << 8) | chunk[at + 3],
          );
          at += 4;
          if (chunk.length - at >= length) {
            frames.push(chunk.subarray(at, at + length)); // whole in this chunk: no copy
            at += length;
            if (length > this.#largestWholeBytes) this.#largestWholeBytes = length;
            continue;
          }
          this.#open(length);
        } else {
          while (this.#prefixFill < 4 && at < chunk.length) this.#prefix[this.#prefixFill++] = chunk[at++];
          if (this.#prefixFill < 4) break;
          this.#prefixFill = 0;
          const p = this.#prefix;
          this.#open(this.#checkLength((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]));
        }
      }
      const space = this.#room();
      const take = Math.min(space.length, chunk.length - at);
      space.set(chunk.subarray(at, at + take));
      at += take;
      const complete = this.filled(take);
      if (complete !== undefined) frames.push(complete);
    }
    return frames;
  }

  /**
   * When a frame is partly received: the free room of its buffer (up to the rest of the frame),
   * for a read straight into it followed by `filled(count)`; undefined when no frame is open.
   * The room grows (by doubling) as earlier room is filled.
   */
  frameSpace(): Uint8Array | undefined {
    return this.#frameLength < 0 ? undefined : this.#room();
  }

  /** Count bytes written into `frameSpace()`; returns the frame once it is whole. */
  filled(count: number): Uint8Array | undefined {
    if (this.#frameLength < 0 || count < 0 || this.#frameFill + count > this.#frame.length) {
      throw new RangeError(`filled(${count}) beyond the open frame's room`);
    }
    this.#frameFill += count;
    if (this.#frameFill < this.#frameLength) return undefined;
    const complete = this.#frame.subarray(0, this.#frameLength);
    if (this.#frameLength > this.#largestWholeBytes) this.#largestWholeBytes = this.#frameLength;
    this.#frameLength = -1;
    this.#frame = new Uint8Array(0);
    this.#frameFill = 0;
    return complete;
  }

  #checkLength(length: number): number {
    if (length < 0 || length > this.maxFrameBytes) {
      throw new WireError(`Frame length ${length} outside 0..${this.maxFrameBytes}`);
    }
    return length;
  }

  #open(length: number): void {
    this.#frameLength = length;
    this.#frame = this.#allocate(Math.min(length, Math.max(INITIAL_FRAME_BYTES, this.#largestWholeBytes)));
    this.#frameFill = 0;
  }

  /** Room after the filled part, grown (doubling, at most to the frame's length) when full. */
  #room(): Uint8Array {
    if (this.#frameFill === this.#frame.length && this.#frameFill < this.#frameLength) {
      const grown = this.#allocate(Math.min(this.#frameLength, this.#frame.length * 2));
      grown.set(this.#frame);
      // The outgrown buffer is this decoder's alone: the room it gave out has been filled.
      this.release(this.#frame);
      this.#frame = grown;
    }
    return this.#frame.subarray(this.#frameFill);
  }

  /** A frame buffer of exactly `size` bytes: a view of a pooled buffer when there is a pool. */
  #allocate(size: number): Uint8Array {
    if (this.#pool === undefined) return new Uint8Array(size);
    const buffer = this.#pool.take(BufferPool.sizeClass(size));
    this.#lent.add(buffer.buffer);
    return buffer.subarray(0, size);
  }
}

/** Prefix a payload with its int32 length. */
export function frame(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(4 + payload.length);
  new DataView(framed.buffer).setInt32(0, payload.length);
  framed.set(payload, 4);
  return framed;
}
