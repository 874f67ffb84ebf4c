/**
 * FrameDecoder beyond the basics in wire_test.ts: any split of a stream gives the same frames
 * (TLS delivers 16 KiB pieces, plain TCP whatever it likes), a caller may read a large frame
 * straight into the decoder's buffer, and an announced length costs memory only as bytes come.
 */
import assert from "node:assert/strict";
import { frame, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { BufferPool } from "../../src/buffer-pool.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { seededRandom } from "../helpers/random.ts";

function pattern(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
}

const sizes = [0, 1, 3, 4, 100, 16_383, 16_384, 65_536, 65_537, 300_000, 1_048_576];

Deno.test("frame decoder: every split of a stream yields the same frames, reused chunks included", () => {
  const payloads = sizes.map((size, i) => pattern(size, i));
  const stream = new Uint8Array(payloads.reduce((sum, p) => sum + 4 + p.length, 0));
  let at = 0;
  for (const payload of payloads) {
    stream.set(frame(payload), at);
    at += 4 + payload.length;
  }
  const random = seededRandom(13);
  for (const maxPiece of [1, 3, 16_384, 70_000, stream.length]) {
    const decoder = new FrameDecoder(2 * 1024 * 1024);
    const got: Uint8Array[] = [];
    // One scratch buffer for every piece, as the coordinator reads: frames must be used before
    // the next push, and bytes of unfinished frames must have been copied out of it.
    const scratch = new Uint8Array(maxPiece);
    for (let position = 0; position < stream.length;) {
      const piece = Math.max(1, Math.min(stream.length - position, Math.ceil(random() * maxPiece)));
      scratch.set(stream.subarray(position, position + piece));
      for (const f of decoder.push(scratch.subarray(0, piece))) got.push(f.slice());
      position += piece;
    }
    assert.equal(got.length, payloads.length, `pieces up to ${maxPiece}`);
    got.forEach((f, i) => assert.deepEqual(f, payloads[i], `frame ${i}, pieces up to ${maxPiece}`));
    assert.equal(decoder.bufferedBytes, 0);
  }
});

Deno.test("frame decoder: a large frame can be read straight into its buffer", () => {
  const payload = pattern(1_000_000, 5);
  const framed = frame(payload);
  const decoder = new FrameDecoder(2 * 1024 * 1024);
  assert.equal(decoder.frameSpace(), undefined, "no frame open yet");
  assert.deepEqual(decoder.push(framed.subarray(0, 10_000)), []);
  let position = 10_000;
  let complete: Uint8Array | undefined;
  while (complete === undefined) {
    const space = decoder.frameSpace();
    assert.ok(space !== undefined && space.length > 0);
    const take = Math.min(space.length, 16_384, framed.length - position); // a TLS-sized read
    space.set(framed.subarray(position, position + take));
    position += take;
    complete = decoder.filled(take);
  }
  assert.equal(position, framed.length);
  assert.deepEqual(complete, payload);
  assert.equal(decoder.frameSpace(), undefined);
  assert.throws(() => decoder.filled(1), RangeError);
});

Deno.test("frame decoder: a huge announced frame holds only a small buffer until its bytes come", () => {
  const decoder = new FrameDecoder(100 * 1024 * 1024);
  const header = new Uint8Array(4);
  new DataView(header.buffer).setInt32(0, 100 * 1024 * 1024);
  assert.deepEqual(decoder.push(header), []);
  assert.ok(decoder.frameSpace()!.length <= 64 * 1024, "room is not the announced length");
  assert.throws(() => new FrameDecoder(10).push(frame(new Uint8Array(11))), WireError);
  // A length prefix split across pushes is checked too.
  const split = new FrameDecoder(10);
  assert.deepEqual(split.push(frame(new Uint8Array(11)).subarray(0, 2)), []);
  assert.throws(() => split.push(frame(new Uint8Array(11)).subarray(2, 4)), WireError);
});

Deno.test("frame decoder: frames up to the largest one sent whole get their whole buffer at once", () => {
  const decoder = new FrameDecoder(100 * 1024 * 1024);
  const announce = (length: number) => {
    const header = new Uint8Array(4);
    new DataView(header.buffer).setInt32(0, length);
    assert.deepEqual(decoder.push(header), []);
  };
  announce(300_000);
  assert.equal(decoder.frameSpace()!.length, 64 * 1024, "nothing proven yet: the small first buffer");
  const first = pattern(300_000, 1);
  let position = 0;
  while (position < first.length) {
    const space = decoder.frameSpace()!;
    const take = Math.min(space.length, first.length - position);
    space.set(first.subarray(position, position + take));
    position += take;
    const complete = decoder.filled(take);
    if (position === first.length) assert.deepEqual(complete, first);
  }
  announce(250_000);
  assert.equal(decoder.frameSpace()!.length, 250_000, "within what this peer has sent: whole at once");
  const second = pattern(250_000, 2);
  decoder.frameSpace()!.set(second);
  assert.deepEqual(decoder.filled(250_000), second);
  announce(100 * 1024 * 1024);
  assert.equal(decoder.frameSpace()!.length, 300_000, "a huge frame gets no more than was proven");
});

/** Feed `payload` as one frame through direct reads of at most `piece` bytes; returns the frame. */
function readStraight(decoder: FrameDecoder, payload: Uint8Array, piece: number): Uint8Array {
  const framed = frame(payload);
  assert.deepEqual(decoder.push(framed.subarray(0, 4)), []);
  let position = 4;
  for (;;) {
    const space = decoder.frameSpace()!;
    const take = Math.min(space.length, piece, framed.length - position);
    space.set(framed.subarray(position, position + take));
    position += take;
    const complete = decoder.filled(take);
    if (complete !== undefined) return complete;
  }
}

Deno.test("frame decoder with a pool: frame buffers are lent, given back on release, and reused", () => {
  const pool = new BufferPool(16 * 1024 * 1024);
  const decoder = new FrameDecoder(8 * 1024 * 1024, pool);
  const first = readStraight(decoder, pattern(300_000, 1), 16_384);
  assert.deepEqual(first, pattern(300_000, 1));
  // Growing from 64 KiB to 300,000 bytes gave each outgrown buffer back at once.
  assert.equal(pool.idleBytes, 65_536 + 131_072 + 262_144);
  const lent = first.buffer;
  assert.equal(lent.byteLength, BufferPool.sizeClass(300_000));
  decoder.release(first);
  assert.equal(pool.idleBytes, 65_536 + 131_072 + 262_144 + 524_288);
  decoder.release(first); // a second release is ignored, not a second give-back
  assert.equal(pool.idleBytes, 65_536 + 131_072 + 262_144 + 524_288);

  // The next frame of the size class is read into the released buffer, and holds only its bytes.
  const second = readStraight(decoder, pattern(290_000, 2), 1 << 20);
  assert.equal(second.buffer, lent);
  assert.deepEqual(second, pattern(290_000, 2));

  // A frame that is a view of a pushed chunk is not the decoder's: release leaves it alone.
  const chunk = frame(pattern(1000, 3));
  const [view] = decoder.push(chunk);
  assert.equal(view.buffer, chunk.buffer);
  const before = pool.idleBytes;
  decoder.release(view);
  assert.equal(pool.idleBytes, before);
  // So is a frame never released: the collector takes it, the pool does not miss it.
  const kept = readStraight(decoder, pattern(200_000, 4), 1 << 20);
  assert.deepEqual(kept, pattern(200_000, 4));
});

Deno.test("frame decoder without a pool: release is a no-op", () => {
  const decoder = new FrameDecoder(1024 * 1024);
  const got = readStraight(decoder, pattern(100_000, 7), 4096);
  decoder.release(got);
  assert.deepEqual(got, pattern(100_000, 7));
});

Deno.test("frame decoder: copyOut gives a frame a buffer of its own, from the pool only when asked", () => {
  const pool = new BufferPool(1024 * 1024);
  const decoder = new FrameDecoder(1024 * 1024, pool);
  const chunk = frame(pattern(1000, 5));
  const [view] = decoder.push(chunk);

  const pooled = decoder.copyOut(view, true);
  const fresh = decoder.copyOut(view, false);
  chunk.fill(0); // the caller reads into its chunk again
  assert.deepEqual(pooled, pattern(1000, 5));
  assert.deepEqual(fresh, pattern(1000, 5));
  assert.equal(pooled.buffer.byteLength, BufferPool.sizeClass(1000)); // lent from the pool
  assert.equal(fresh.buffer.byteLength, 1000); // exactly the frame: it is never given back

  decoder.release(fresh); // not lent: left to the collector
  assert.equal(pool.idleBytes, 0);
  decoder.release(pooled);
  assert.equal(pool.idleBytes, BufferPool.sizeClass(1000));
  assert.equal(decoder.copyOut(view, true).buffer, pooled.buffer); // and lent again
});
