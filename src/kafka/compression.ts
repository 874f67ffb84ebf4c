/**
 * Record batch compression codecs, as Kafka clients write them (attributes bits 0-2):
 *   1 gzip   RFC 1952 stream (node:zlib)
 *   2 snappy xerial framing, as the Java client writes it:
 *              magic 82 'S' 'N' 'A' 'P' 'P' 'Y' 00, int32 version 1, int32 compatible 1,
 *              then chunks of [int32 compressed length][raw snappy block] (snappyjs);
 *            decoding also accepts one raw snappy block (some clients skip the framing)
 *   3 lz4    LZ4 frame format (magic 04 22 4d 18, FLG, BD, HC, blocks, end mark 0); blocks are
 *            compressed independently (lz4js's block coder) because the Java reader decodes
 *            each block on its own
 *   4 zstd   zstd frame (node:zlib zstdCompressSync / zstdDecompressSync, present in Deno 2.9)
 *
 * Decompression is bounded: every codec stops with CompressionError kind "too-large" once the
 * output passes maxOutputBytes, before allocating more, so a small hostile batch ("zip bomb")
 * cannot exhaust memory.
 *
 * @example
 * ```ts
 * const packed = compress(CompressionCodec.gzip, records);
 * const records2 = decompress(CompressionCodec.gzip, packed, 32 << 20);
 * ```
 */
import * as zlib from "node:zlib";
import snappy from "snappyjs";
import lz4 from "lz4js";
import { WireError } from "../wire/wire-error.ts";
import { concatBytes } from "../wire/concat-bytes.ts";

/** Compression codec ids (attributes bits 0-2). */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodecId = typeof CompressionCodec[keyof typeof CompressionCodec];
export type CompressionName = keyof typeof CompressionCodec;

/** Default bound on one batch's decompressed records (a knob on every decode call). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export type CompressionErrorKind = "unsupported" | "too-large" | "corrupt";

/** Compressed data could not be decoded; `kind` tells an unknown codec, a bomb and garbage apart. */
export class CompressionError extends WireError {
  override name = "CompressionError";
  readonly kind: CompressionErrorKind;

  constructor(kind: CompressionErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

interface ZstdZlib {
  zstdCompressSync?: (data: Uint8Array) => Uint8Array;
  zstdDecompressSync?: (data: Uint8Array, options: { maxOutputLength: number }) => Uint8Array;
}
const zstdApi = zlib as unknown as ZstdZlib;

/** Is zstd available in this runtime's node:zlib? (Deno 2.9.6: yes.) */
export const ZSTD_SUPPORTED = typeof zstdApi.zstdCompressSync === "function" &&
  typeof zstdApi.zstdDecompressSync === "function";

/** The codec id for a name like "gzip"; throws RangeError for unknown names. */
export function codecFromName(name: string): CompressionCodecId {
  const id = (CompressionCodec as Record<string, number>)[name];
  if (id === undefined) {
    throw new RangeError(`Unknown compression "${name}": use none, gzip, snappy, lz4 or zstd`);
  }
  return id as CompressionCodecId;
}

/** Can this runtime compress and decompress with this codec? */
export function isCodecSupported(codec: number): boolean {
  if (codec === CompressionCodec.zstd) return ZSTD_SUPPORTED;
  return codec >= 0 && codec <= 3;
}

/** Compress `data` with a codec; throws CompressionError "unsupported" for codecs we lack. */
export function compress(codec: number, data: Uint8Array): Uint8Array {
  switch (codec) {
    case CompressionCodec.none:
      return data;
    case CompressionCodec.gzip:
      return plain(zlib.gzipSync(data));
    case CompressionCodec.snappy:
      return snappyXerialCompress(data);
    case CompressionCodec.lz4:
      return lz4FrameCompress(data);
    case CompressionCodec.zstd:
      if (!ZSTD_SUPPORTED) throw new CompressionError("unsupported", "zstd is not available in this runtime");
      return plain(zstdApi.zstdCompressSync!(data));
    default:
      throw new CompressionError("unsupported", `Unknown compression codec ${codec}`);
  }
}

/**
 * Decompress `data`, producing at most maxOutputBytes. Throws CompressionError: "too-large" past
 * the bound, "corrupt" for undecodable input, "unsupported" for unknown codecs.
 */
export function decompress(
  codec: number,
  data: Uint8Array,
  maxOutputBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  switch (codec) {
    case CompressionCodec.none:
      if (data.length > maxOutputBytes) throw tooLarge(maxOutputBytes);
      return data;
    case CompressionCodec.gzip:
      return zlibBounded(
        "gzip",
        () => zlib.gunzipSync(data, { maxOutputLength: maxOutputBytes }),
        maxOutputBytes,
      );
    case CompressionCodec.snappy:
      return snappyDecompress(data, maxOutputBytes);
    case CompressionCodec.lz4:
      return lz4FrameDecompress(data, maxOutputBytes);
    case CompressionCodec.zstd:
      if (!ZSTD_SUPPORTED) throw new CompressionError("unsupported", "zstd is not available in this runtime");
      return zlibBounded(
        "zstd",
        () => zstdApi.zstdDecompressSync!(data, { maxOutputLength: maxOutputBytes }),
        maxOutputBytes,
      );
    default:
      throw new CompressionError("unsupported", `Unknown compression codec ${codec}`);
  }
}

function tooLarge(maxOutputBytes: number): CompressionError {
  return new CompressionError("too-large", `Decompressed records exceed ${maxOutputBytes} bytes`);
}

/** node:zlib hands out Buffers; callers get plain Uint8Array views of the same memory. */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function zlibBounded(what: string, run: () => Uint8Array, maxOutputBytes: number): Uint8Array {
  let output: Uint8Array;
  try {
    output = run();
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(maxOutputBytes);
    throw new CompressionError("corrupt", `Invalid ${what} data: ${(error as Error).message}`);
  }
  if (output.length > maxOutputBytes) throw tooLarge(maxOutputBytes);
  return plain(output);
}

// --- snappy (xerial framing) ------------------------------------------------------------------

const XERIAL_MAGIC = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00);
const XERIAL_HEADER_BYTES = 16;
/** The Java client's xerial block size. */
const XERIAL_CHUNK_BYTES = 32 * 1024;

function snappyXerialCompress(data: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = XERIAL_HEADER_BYTES;
  for (let start = 0; start < data.length; start += XERIAL_CHUNK_BYTES) {
    const chunk = snappy.compress(data.subarray(start, start + XERIAL_CHUNK_BYTES)) as Uint8Array;
    chunks.push(chunk);
    total += 4 + chunk.length;
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(XERIAL_MAGIC);
  view.setInt32(8, 1);
  view.setInt32(12, 1);
  let at = XERIAL_HEADER_BYTES;
  for (const chunk of chunks) {
    view.setInt32(at, chunk.length);
    out.set(chunk, at + 4);
    at += 4 + chunk.length;
  }
  return out;
}

function isXerial(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_BYTES) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

function snappyDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (!isXerial(data)) return snappyBlock(data, maxOutputBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (data.length - at < 4) throw new CompressionError("corrupt", "Truncated snappy chunk length");
    const length = view.getInt32(at);
    if (length < 0 || length > data.length - at - 4) {
      throw new CompressionError("corrupt", `Invalid snappy chunk length ${length}`);
    }
    const part = snappyBlock(data.subarray(at + 4, at + 4 + length), maxOutputBytes - total);
    parts.push(part);
    total += part.length;
    at += 4 + length;
  }
  return parts.length === 1 ? parts[0] : concatBytes(parts);
}

function snappyBlock(block: Uint8Array, maxOutputBytes: number): Uint8Array {
  // snappyjs checks the block's declared length against the bound before allocating.
  const declared = snappyDeclaredLength(block);
  if (declared > maxOutputBytes) throw tooLarge(maxOutputBytes);
  try {
    return snappy.uncompress(block, maxOutputBytes) as Uint8Array;
  } catch (error) {
    throw new CompressionError("corrupt", `Invalid snappy data: ${(error as Error).message}`);
  }
}

/** The uvarint uncompressed length that starts every raw snappy block (-1 if malformed). */
function snappyDeclaredLength(block: Uint8Array): number {
  let result = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    result += (block[i] & 0x7f) * 2 ** (7 * i);
    if ((block[i] & 0x80) === 0) return result;
  }
  return -1;
}

// --- lz4 (frame format) -----------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const LZ4_UNCOMPRESSED_BIT = 0x80000000;
const LZ4_BLOCK_MAX_BYTES: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 };
/** lz4js writes FLG 0x40 (version 1) and BD 0x70 (4 MiB blocks); we reuse its header bytes. */
const LZ4_HEADER: Uint8Array = (lz4.compress(new Uint8Array(0)) as Uint8Array).slice(0, 7);
const LZ4_WRITE_BLOCK_BYTES = 0x400000;
const LZ4_HASH_SLOTS = 1 << 16;

function lz4FrameCompress(data: Uint8Array): Uint8Array {
  const blocks = Math.ceil(data.length / LZ4_WRITE_BLOCK_BYTES);
  const out = new Uint8Array(LZ4_HEADER.length + lz4.compressBound(data.length) + 4 * blocks + 4 + 16);
  const view = new DataView(out.buffer);
  out.set(LZ4_HEADER);
  let at = LZ4_HEADER.length;
  const hashTable = new Uint32Array(LZ4_HASH_SLOTS);
  const scratch = new Uint8Array(lz4.compressBound(Math.min(data.length, LZ4_WRITE_BLOCK_BYTES)));
  for (let start = 0; start < data.length; start += LZ4_WRITE_BLOCK_BYTES) {
    const size = Math.min(LZ4_WRITE_BLOCK_BYTES, data.length - start);
    hashTable.fill(0); // a fresh table keeps every match inside its own block: blocks stay independent
    const packed = lz4.compressBlock(data, scratch, start, size, hashTable) as number;
    if (packed === 0 || packed >= size) {
      view.setUint32(at, (LZ4_UNCOMPRESSED_BIT | size) >>> 0, true);
      out.set(data.subarray(start, start + size), at + 4);
      at += 4 + size;
    } else {
      view.setUint32(at, packed, true);
      out.set(scratch.subarray(0, packed), at + 4);
      at += 4 + packed;
    }
  }
  view.setUint32(at, 0, true);
  return out.slice(0, at + 4);
}

function lz4FrameDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const corrupt = (what: string) => new CompressionError("corrupt", `Invalid lz4 frame: ${what}`);
  if (data.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) throw corrupt("bad magic");
  const flags = data[4];
  if ((flags & 0xc0) !== 0x40) throw corrupt(`unsupported version in FLG ${flags}`);
  const maxBlockBytes = LZ4_BLOCK_MAX_BYTES[(data[5] >> 4) & 0x07];
  if (maxBlockBytes === undefined) throw corrupt(`bad block size in BD ${data[5]}`);
  const blockChecksum = (flags & 0x10) !== 0;
  let at = 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1; // content size, dict id, HC
  let output: Uint8Array = new Uint8Array(
    Math.min(maxOutputBytes, maxBlockBytes, Math.max(64, data.length * 4)),
  );
  let length = 0;
  for (;;) {
    if (data.length - at < 4) throw corrupt("truncated block header");
    const word = view.getUint32(at, true);
    at += 4;
    if (word === 0) break; // end mark (an optional content checksum may follow)
    const size = (word & ~LZ4_UNCOMPRESSED_BIT) >>> 0;
    if (size > maxBlockBytes || size > data.length - at) throw corrupt(`block of ${size} bytes`);
    const room = Math.min(maxOutputBytes, length + maxBlockBytes);
    if (length >= maxOutputBytes) throw tooLarge(maxOutputBytes);
    if (output.length < room) {
      output = grow(output, length, Math.min(maxOutputBytes, Math.max(room, output.length * 2)));
    }
    if ((word & LZ4_UNCOMPRESSED_BIT) !== 0) {
      if (length + size > maxOutputBytes) throw tooLarge(maxOutputBytes);
      output.set(data.subarray(at, at + size), length);
      length += size;
    } else {
      // lz4js drops writes past the end of `output` and returns where it would have stopped.
      const end = lz4.decompressBlock(data, output, at, size, length) as number;
      if (end > output.length) {
        throw end > maxOutputBytes ? tooLarge(maxOutputBytes) : corrupt("block too long");
      }
      length = end;
    }
    at += size + (blockChecksum ? 4 : 0);
  }
  return output.subarray(0, length);
}

function grow(buffer: Uint8Array, used: number, capacity: number): Uint8Array {
  const grown = new Uint8Array(capacity);
  grown.set(buffer.subarray(0, used));
  return grown;
}
