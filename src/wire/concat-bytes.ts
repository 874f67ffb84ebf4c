/**
 * Join byte arrays into one: writers use it to send many small pieces in one socket write
 * (a copy costs less than a call, and over TLS a small trailing write waits on Nagle).
 *
 * @example
 * ```ts
 * await conn.write(concatBytes([header, body]));
 * ```
 */

/** One array holding `chunks` in order. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
