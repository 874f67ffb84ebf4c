/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka record batches use.
 *
 * Three engines, chosen by input size from `deno task bench crc32c`:
 * - our slicing-by-8 JavaScript (eight 256-entry tables, 8 bytes per step) for small inputs,
 *   where it beats both others because it has no call overhead;
 * - @node-rs/crc32, a native addon using the CPU's CRC32 instruction, for large inputs (record
 *   batches): several times faster than WebAssembly there;
 * - hash-wasm's WebAssembly engine for large inputs when the native addon cannot be loaded (another
 *   platform, no FFI permission). The native result is checked against the standard check value
 *   before it is trusted.
 *
 * @example
 * ```ts
 * crc32c(new TextEncoder().encode("123456789")); // 0xe3069283
 * ```
 */
import { createCRC32, type IHasher } from "hash-wasm";

const POLYNOMIAL = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    tables[0][n] = crc >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = tables[t - 1][n];
      tables[t][n] = (tables[0][previous & 0xff] ^ (previous >>> 8)) >>> 0;
    }
  }
  return tables;
})();

/** Continue a CRC-32C over more bytes with the JS engine: `crc32cUpdate(crc32c(first), next)`. */
export function crc32cUpdate(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let value = ~crc >>> 0;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  while (i < stop8) {
    const low = value ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    value = t7[low & 0xff] ^ t6[(low >>> 8) & 0xff] ^ t5[(low >>> 16) & 0xff] ^ t4[low >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
    i += 8;
  }
  while (i < end) value = t0[(value ^ bytes[i++]) & 0xff] ^ (value >>> 8);
  return ~value >>> 0;
}

type NativeCrc = (input: Uint8Array, initialState?: number) => number;

const nativeCrc: NativeCrc | undefined = await (async () => {
  try {
    const module = await import("@node-rs/crc32") as { crc32c?: NativeCrc };
    const check = module.crc32c?.(new TextEncoder().encode("123456789"));
    return check !== undefined && check >>> 0 === 0xe3069283 ? module.crc32c : undefined;
  } catch {
    // The native module is optional: without it the JS and wasm engines serve.
    return undefined;
  }
})();

const wasmHasher: IHasher = await createCRC32(POLYNOMIAL);

/** Which engine handles large inputs here: "native" or "wasm". */
export const LARGE_INPUT_ENGINE: "native" | "wasm" = nativeCrc ? "native" : "wasm";

/** From about this size up the large-input engine beats the JS loop (measured crossovers). */
const LARGE_INPUT_BYTES = nativeCrc ? 512 : 2048;

/** CRC-32C of bytes[start, end) with the WebAssembly engine (exported for the benchmark). */
export function crc32cWasm(bytes: Uint8Array, start = 0, end = bytes.length): number {
  wasmHasher.init();
  wasmHasher.update(bytes.subarray(start, end));
  const digest = wasmHasher.digest("binary");
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

/** CRC-32C of bytes[start, end) with the native engine, or undefined where it is not loaded. */
export const crc32cNative: ((bytes: Uint8Array, start?: number, end?: number) => number) | undefined =
  nativeCrc
    ? (bytes, start = 0, end = bytes.length) => nativeCrc(bytes.subarray(start, end)) >>> 0
    : undefined;

/** CRC-32C of bytes[start, end) as an unsigned 32-bit number, by the fastest engine for the size. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (end - start < LARGE_INPUT_BYTES) return crc32cUpdate(0, bytes, start, end);
  if (nativeCrc) return nativeCrc(bytes.subarray(start, end)) >>> 0;
  return crc32cWasm(bytes, start, end);
}
