/**
 * CRC-32C for the batches the producer builds. @node-rs/crc32 computes it with the CPU's
 * CRC32 instruction (about 9x the WebAssembly engine on 1 MB batches on the development
 * machine, where the CRC was the producer's largest cost); when that native addon cannot be
 * loaded (another platform, no FFI permission) src/wire/crc32c.ts is used. The native result is
 * checked against the standard check value before it is trusted.
 *
 * @example
 * ```ts
 * const crc = batchCrc32c(batch, 21, batch.length);
 * ```
 */
import { crc32c } from "../wire/crc32c.ts";

type NativeCrc = (input: Uint8Array, initialState?: number) => number;

const native: NativeCrc | undefined = await (async () => {
  try {
    const module = await import("@node-rs/crc32") as { crc32c?: NativeCrc };
    const check = module.crc32c?.(new TextEncoder().encode("123456789"));
    return check !== undefined && check >>> 0 === 0xe3069283 ? module.crc32c : undefined;
  } catch {
    return undefined;
  }
})();

/** Below this size the call overhead of the addon outweighs its speed. */
const NATIVE_THRESHOLD_BYTES = 4096;

/** Is the hardware-accelerated engine in use? */
export const NATIVE_CRC32C = native !== undefined;

/** CRC-32C of bytes[start, end) as an unsigned 32-bit number. */
export function batchCrc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (native === undefined || end - start < NATIVE_THRESHOLD_BYTES) return crc32c(bytes, start, end);
  return native(bytes.subarray(start, end)) >>> 0;
}
