/**
 * The four SCRAM messages of RFC 5802 §7, parsed strictly and formatted canonically:
 *
 *   client-first  = gs2-header client-first-bare       gs2-header = "n,," / "y,," / "n,a=<authzid>,"
 *   client-first-bare = "n=" saslname ",r=" c-nonce ["," extensions]
 *   server-first  = "r=" c-nonce s-nonce ",s=" base64-salt ",i=" iterations ["," extensions]
 *   client-final  = "c=" base64(gs2-header) ",r=" nonce ["," extensions] ",p=" base64-proof
 *   server-final  = "v=" base64-signature / "e=" error
 *
 * saslname escapes "," as "=2C" and "=" as "=3D"; nonces are printable ASCII without ",".
 * Channel binding ("p=…") is not offered, as in Kafka. Extensions (Kafka's "tokenauth=true"
 * for delegation tokens) are kept for the caller to judge. Every message comes from the
 * network, so every malformed one is a TypeError that says what is wrong — the caller turns
 * it into an authentication failure.
 *
 * @example
 * ```ts
 * formatClientFirst("alice", "fyko+d2lbbFgONRv9qkxdawL"); // "n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL"
 * ```
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** Longest SCRAM message accepted (real ones are a few hundred bytes). */
export const MAX_SCRAM_MESSAGE_BYTES = 4096;

export interface ClientFirst {
  /** "n,," or "y,," or "n,a=…," exactly as sent (the client-final repeats it, base64). */
  gs2Header: string;
  /** The requested authorization id, or null. */
  authzid: string | null;
  username: string;
  nonce: string;
  /** client-first-message-bare, the first part of the AuthMessage. */
  bare: string;
  extensions: Map<string, string>;
}

export interface ServerFirst {
  nonce: string;
  salt: Uint8Array;
  iterations: number;
  /** The message as sent, the second part of the AuthMessage. */
  text: string;
}

export interface ClientFinal {
  /** base64 of the gs2 header (no channel binding data). */
  channelBinding: string;
  nonce: string;
  proof: Uint8Array;
  /** client-final-message-without-proof, the last part of the AuthMessage. */
  withoutProof: string;
}

export type ServerFinal = { verifier: Uint8Array } | { error: string };

/** Nonces: printable ASCII (0x21–0x7E) except ",". */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** Attribute keys: single letters in RFC 5802; Kafka's extensions use longer names. */
const ATTRIBUTE = /^([A-Za-z]+)=(.*)$/s;

/** saslname → name: "=2C" → ",", "=3D" → "="; any other "=" is an error. */
export function decodeSaslName(text: string): string {
  if (text.length === 0) throw new TypeError("Empty SCRAM user name");
  if (/[,\0]/.test(text) || /=(?!2C|3D)/.test(text)) throw new TypeError("Invalid SCRAM user name encoding");
  return text.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

/** name → saslname. */
export function encodeSaslName(name: string): string {
  if (name.length === 0) throw new TypeError("Empty SCRAM user name");
  if (name.includes("\0")) throw new TypeError("A SCRAM user name cannot contain NUL");
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** A fresh client or server nonce: 24 random bytes, base64 (printable, no ","). */
export function randomNonce(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(24)));
}

function attributes(text: string, what: string): [string, string][] {
  if (text.length > MAX_SCRAM_MESSAGE_BYTES) {
    throw new TypeError(`${what} is longer than ${MAX_SCRAM_MESSAGE_BYTES} bytes`);
  }
  return text.split(",").map((token) => {
    const match = ATTRIBUTE.exec(token);
    if (!match) throw new TypeError(`${what}: "${token.slice(0, 32)}" is not an attribute`);
    return [match[1], match[2]];
  });
}

/** Take the attribute `key` at `index` or throw. */
function expect(list: [string, string][], index: number, key: string, what: string): string {
  const entry = list[index];
  if (!entry || entry[0] !== key) throw new TypeError(`${what}: expected "${key}=" at position ${index + 1}`);
  return entry[1];
}

function checkNonce(nonce: string, what: string): string {
  if (!NONCE.test(nonce)) throw new TypeError(`${what}: invalid nonce`);
  return nonce;
}

function extensionsFrom(list: [string, string][], what: string): Map<string, string> {
  const extensions = new Map<string, string>();
  for (const [key, value] of list) {
    // "m" is reserved for mandatory extensions nobody defines: RFC 5802 says fail.
    if (key === "m") throw new TypeError(`${what}: unsupported mandatory extension`);
    if (extensions.has(key)) throw new TypeError(`${what}: "${key}" appears twice`);
    extensions.set(key, value);
  }
  return extensions;
}

export function formatClientFirst(username: string, nonce: string): string {
  return `n,,n=${encodeSaslName(username)},r=${checkNonce(nonce, "client nonce")}`;
}

export function parseClientFirst(text: string): ClientFirst {
  const what = "SCRAM client-first message";
  if (text.length > MAX_SCRAM_MESSAGE_BYTES) throw new TypeError(`${what} is too long`);
  const match = /^([nyp])(=[^,]*)?,(a=[^,]*)?,(.*)$/s.exec(text);
  if (!match) throw new TypeError(`${what}: malformed GS2 header`);
  if (match[1] === "p") throw new TypeError(`${what}: channel binding is not supported`);
  if (match[2] !== undefined) throw new TypeError(`${what}: malformed GS2 header`);
  const authzid = match[3] === undefined ? null : decodeSaslName(match[3].slice(2));
  const bare = match[4];
  const list = attributes(bare, what);
  const username = decodeSaslName(expect(list, 0, "n", what));
  const nonce = checkNonce(expect(list, 1, "r", what), what);
  return {
    gs2Header: text.slice(0, text.length - bare.length),
    authzid,
    username,
    nonce,
    bare,
    extensions: extensionsFrom(list.slice(2), what),
  };
}

export function formatServerFirst(nonce: string, salt: Uint8Array, iterations: number): string {
  return `r=${nonce},s=${encodeBase64(salt)},i=${iterations}`;
}

export function parseServerFirst(text: string): ServerFirst {
  const what = "SCRAM server-first message";
  const list = attributes(text, what);
  const nonce = checkNonce(expect(list, 0, "r", what), what);
  const salt = decodeBase64(expect(list, 1, "s", what), `${what} salt`);
  if (salt.length === 0) throw new TypeError(`${what}: empty salt`);
  const iterationsText = expect(list, 2, "i", what);
  if (!/^[1-9]\d{0,8}$/.test(iterationsText)) throw new TypeError(`${what}: invalid iteration count`);
  extensionsFrom(list.slice(3), what);
  return { nonce, salt, iterations: Number(iterationsText), text };
}

export function formatClientFinalWithoutProof(gs2Header: string, nonce: string): string {
  return `c=${encodeBase64(new TextEncoder().encode(gs2Header))},r=${nonce}`;
}

export function formatClientFinal(withoutProof: string, proof: Uint8Array): string {
  return `${withoutProof},p=${encodeBase64(proof)}`;
}

export function parseClientFinal(text: string): ClientFinal {
  const what = "SCRAM client-final message";
  const list = attributes(text, what);
  const channelBinding = expect(list, 0, "c", what);
  const nonce = checkNonce(expect(list, 1, "r", what), what);
  const last = list.length - 1;
  if (last < 2 || list[last][0] !== "p") throw new TypeError(`${what}: the proof must come last`);
  extensionsFrom(list.slice(2, last), what);
  const proof = decodeBase64(list[last][1], `${what} proof`);
  return { channelBinding, nonce, proof, withoutProof: text.slice(0, text.lastIndexOf(",p=")) };
}

export function formatServerFinal(signature: Uint8Array): string {
  return `v=${encodeBase64(signature)}`;
}

export function parseServerFinal(text: string): ServerFinal {
  const what = "SCRAM server-final message";
  const [first] = attributes(text, what);
  if (first[0] === "e") return { error: first[1] };
  if (first[0] !== "v") throw new TypeError(`${what}: expected "v=" or "e="`);
  return { verifier: decodeBase64(first[1], `${what} verifier`) };
}
