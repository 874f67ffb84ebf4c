/**
 * Standard base64 (RFC 4648 §4, with padding) for the security layer: SCRAM messages and
 * Kafka's stored credentials. Decoding is strict — only the standard alphabet, correct
 * padding — because every input comes from a peer or a znode and a lenient decoder would
 * accept two spellings of one value.
 *
 * @example
 * ```ts
 * encodeBase64(new Uint8Array([1, 2, 3])); // "AQID"
 * decodeBase64("AQID", "salt");            // Uint8Array [1, 2, 3]
 * ```
 */
import { Buffer } from "node:buffer";

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decode, or throw a TypeError that names `what` (the field being decoded). */
export function decodeBase64(text: string, what: string): Uint8Array {
  if (!STRICT_BASE64.test(text)) throw new TypeError(`Invalid base64 in ${what}`);
  return new Uint8Array(Buffer.from(text, "base64"));
}
