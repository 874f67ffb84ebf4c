/**
 * Compression choices for the client, on top of src/kafka/compression.ts: the name a user
 * gives, the codec id for the batch attributes, and the functions the producer and consumer
 * call. Decompression is bounded by `maxDecompressedBytes` per batch.
 *
 * @example
 * ```ts
 * const compress = compressor("gzip");
 * const codec = compressionCodec("gzip"); // 1
 * ```
 */
import {
  codecFromName,
  compress,
  type CompressionName,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  isCodecSupported,
} from "../kafka/compression.ts";

export type { CompressionName } from "../kafka/compression.ts";

export const COMPRESSION_NAMES: readonly CompressionName[] = ["none", "gzip", "snappy", "lz4", "zstd"];

/** Attribute bits for a compression name; RangeError for unknown or unavailable codecs. */
export function compressionCodec(name: CompressionName): number {
  const codec = codecFromName(name);
  if (!isCodecSupported(codec)) {
    throw new RangeError(`Compression "${name}" is not available in this runtime`);
  }
  return codec;
}

/** The function compressing a records section, or undefined for "none". */
export function compressor(name: CompressionName): ((records: Uint8Array) => Uint8Array) | undefined {
  const codec = compressionCodec(name);
  return codec === 0 ? undefined : (records) => compress(codec, records);
}

/** Inflate a compressed records section (codec = attributes bits 0-2), at most maxBytes. */
export function decompressRecords(
  codec: number,
  compressed: Uint8Array,
  maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Uint8Array {
  return decompress(codec, compressed, maxBytes);
}
