/**
 * FrameDecoder: splits a TCP byte stream into int32-length-prefixed frames, the framing
 * both Kafka and ZooKeeper use. Lengths are untrusted: a negative length or one above
 * maxFrameBytes throws WireError before any buffer of that size is allocated.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder(1_048_575);
 * for (const frame of decoder.push(chunk)) handle(frame);
 * ```
 */
import { WireError } from "./wire-error.ts";

export class FrameDecoder {
  readonly maxFrameBytes: number;
  #pending: Uint8Array = new Uint8Array(0);

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  /**
   * Feed received bytes; returns the whole frames now available (payloads only).
   * Frames may be views into `chunk`: pass a chunk the caller will not overwrite.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const data = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const frames: Uint8Array[] = [];
    let position = 0;
    while (data.length - position >= 4) {
      const length = (data[position] << 24) | (data[position + 1] << 16) | (data[position + 2] << 8) |
        data[position + 3];
      if (length < 0 || length > this.maxFrameBytes) {
        throw new WireError(`Frame length ${length} outside 0..${this.maxFrameBytes}`);
      }
      if (data.length - position - 4 < length) break;
      frames.push(data.subarray(position + 4, position + 4 + length));
      position += 4 + length;
    }
    // Copy the tail: frames handed out above keep `data` alive only as long as they are used.
    this.#pending = position === data.length ? new Uint8Array(0) : data.slice(position);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** Prefix a payload with its int32 length. */
export function frame(payload: Uint8Array): Uint8Array {
  const framed = new Uint8Array(4 + payload.length);
  new DataView(framed.buffer).setInt32(0, payload.length);
  framed.set(payload, 4);
  return framed;
}
