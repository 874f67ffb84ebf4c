/**
 * SCRAM (RFC 5802, with SHA-256 / SHA-512 as RFC 7677 and Kafka's KIP-84 use them): the two
 * mechanisms, the key derivations, and the stored credential in Kafka's own text form
 * `salt=<base64>,stored_key=<base64>,server_key=<base64>,iterations=<n>` — what Kafka keeps
 * in `/config/users/<name>` and what this project keeps there too. A credential never holds
 * the password: only the salt, the iteration count and two keys derived from the salted
 * password, from which the password cannot be recovered.
 *
 * Crypto is Web Crypto (PBKDF2 = Hi(), HMAC, SHA): native, asynchronous, off the event loop's
 * critical path. Passwords are UTF-8 without SASLprep, as Kafka's ScramFormatter does, so a
 * credential made here verifies with Kafka's clients and the other way round.
 *
 * @example
 * ```ts
 * const credential = await createScramCredential(SCRAM_SHA_512, "secret", 4096);
 * formatScramCredential(credential); // "salt=…,stored_key=…,server_key=…,iterations=4096"
 * ```
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** One SCRAM mechanism as Kafka defines it. */
export interface ScramMechanism {
  /** The SASL mechanism name, e.g. "SCRAM-SHA-512". */
  readonly name: "SCRAM-SHA-256" | "SCRAM-SHA-512";
  /** Kafka's wire code (Describe/AlterUserScramCredentials): 1 or 2. */
  readonly code: number;
  /** The Web Crypto hash. */
  readonly hash: "SHA-256" | "SHA-512";
  /** Hash output size: the length of every key. */
  readonly keyBytes: number;
  /** Kafka refuses fewer iterations (RFC 7677 recommends at least 4096). */
  readonly minIterations: number;
  /** Kafka refuses more (and a client refuses a server that asks for more: each costs CPU). */
  readonly maxIterations: number;
}

export const SCRAM_SHA_256: ScramMechanism = {
  name: "SCRAM-SHA-256",
  code: 1,
  hash: "SHA-256",
  keyBytes: 32,
  minIterations: 4096,
  maxIterations: 16384,
};

export const SCRAM_SHA_512: ScramMechanism = {
  name: "SCRAM-SHA-512",
  code: 2,
  hash: "SHA-512",
  keyBytes: 64,
  minIterations: 4096,
  maxIterations: 16384,
};

/** Every SCRAM mechanism, strongest first (the order PLAIN tries stored credentials in). */
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [SCRAM_SHA_512, SCRAM_SHA_256];

/** The mechanism of a SASL name ("SCRAM-SHA-256"), case-insensitive; undefined otherwise. */
export function scramMechanismNamed(name: string): ScramMechanism | undefined {
  const upper = name.toUpperCase();
  return SCRAM_MECHANISMS.find((mechanism) => mechanism.name === upper);
}

/** The mechanism of a Kafka wire code (1, 2); undefined otherwise. */
export function scramMechanismOfCode(code: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((mechanism) => mechanism.code === code);
}

/** What the server stores for one user and mechanism. */
export interface ScramCredential {
  salt: Uint8Array;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
  iterations: number;
}

/** Salt length for new credentials (Kafka's are ~26 bytes; longer costs nothing). */
export const SALT_BYTES = 32;

const encoder = new TextEncoder();
const CLIENT_KEY_LABEL = encoder.encode("Client Key");
const SERVER_KEY_LABEL = encoder.encode("Server Key");

/** Hi(password, salt, i): PBKDF2 with HMAC of the mechanism's hash. */
export async function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`Invalid iterations: ${iterations}`);
  }
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: mechanism.hash, salt: salt as BufferSource, iterations },
    key,
    mechanism.keyBytes * 8,
  );
  return new Uint8Array(bits);
}

export async function hmac(
  mechanism: ScramMechanism,
  key: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "HMAC", hash: mechanism.hash },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, data as BufferSource));
}

export async function digest(mechanism: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(mechanism.hash, data as BufferSource));
}

/** ClientKey = HMAC(SaltedPassword, "Client Key"). */
export function clientKey(mechanism: ScramMechanism, salted: Uint8Array): Promise<Uint8Array> {
  return hmac(mechanism, salted, CLIENT_KEY_LABEL);
}

/** ServerKey = HMAC(SaltedPassword, "Server Key"). */
export function serverKey(mechanism: ScramMechanism, salted: Uint8Array): Promise<Uint8Array> {
  return hmac(mechanism, salted, SERVER_KEY_LABEL);
}

/** The stored credential for a salted password (what AlterUserScramCredentials sends). */
export async function credentialFromSaltedPassword(
  mechanism: ScramMechanism,
  salt: Uint8Array,
  salted: Uint8Array,
  iterations: number,
): Promise<ScramCredential> {
  const storedKey = await digest(mechanism, await clientKey(mechanism, salted));
  return { salt: salt.slice(), storedKey, serverKey: await serverKey(mechanism, salted), iterations };
}

/** A new credential for a password, with a fresh random salt. */
export async function createScramCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations: number,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
): Promise<ScramCredential> {
  checkIterations(mechanism, iterations);
  return credentialFromSaltedPassword(
    mechanism,
    salt,
    await saltedPassword(mechanism, password, salt, iterations),
    iterations,
  );
}

/** Throw a RangeError unless iterations lie in the mechanism's bounds. */
export function checkIterations(mechanism: ScramMechanism, iterations: number): void {
  if (
    !Number.isInteger(iterations) || iterations < mechanism.minIterations ||
    iterations > mechanism.maxIterations
  ) {
    throw new RangeError(
      `${mechanism.name} iterations must be from ${mechanism.minIterations} to ${mechanism.maxIterations}, got ${iterations}`,
    );
  }
}

/** Does `password` match the stored credential? (Used by PLAIN, which has no exchange.) */
export async function passwordMatches(
  mechanism: ScramMechanism,
  credential: ScramCredential,
  password: string,
): Promise<boolean> {
  const salted = await saltedPassword(mechanism, password, credential.salt, credential.iterations);
  const storedKey = await digest(mechanism, await clientKey(mechanism, salted));
  return constantTimeEqual(storedKey, credential.storedKey);
}

/** Compare without an early exit, so the time taken says nothing about where bytes differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`xor of ${a.length} and ${b.length} bytes`);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Kafka's text form: `salt=…,stored_key=…,server_key=…,iterations=…` (standard base64). */
export function formatScramCredential(credential: ScramCredential): string {
  return `salt=${encodeBase64(credential.salt)},stored_key=${encodeBase64(credential.storedKey)},` +
    `server_key=${encodeBase64(credential.serverKey)},iterations=${credential.iterations}`;
}

/**
 * Parse Kafka's text form: exactly the four keys, in any order, each once. Throws a TypeError
 * naming what is wrong (a credential znode is untrusted input like any socket).
 */
export function parseScramCredential(text: string): ScramCredential {
  const fields = new Map<string, string>();
  for (const token of text.split(",")) {
    const at = token.indexOf("=");
    if (at <= 0) throw new TypeError(`Invalid SCRAM credential: "${token}" is not key=value`);
    const key = token.slice(0, at);
    if (fields.has(key)) throw new TypeError(`Invalid SCRAM credential: "${key}" appears twice`);
    fields.set(key, token.slice(at + 1));
  }
  const expected = ["salt", "stored_key", "server_key", "iterations"];
  if (fields.size !== expected.length || !expected.every((key) => fields.has(key))) {
    throw new TypeError(`Invalid SCRAM credential: expected exactly ${expected.join(", ")}`);
  }
  const iterationsText = fields.get("iterations")!;
  if (!/^\d{1,9}$/.test(iterationsText)) {
    throw new TypeError(`Invalid SCRAM credential iterations: ${iterationsText}`);
  }
  const salt = decodeBase64(fields.get("salt")!, "salt");
  if (salt.length === 0) throw new TypeError("Invalid SCRAM credential: empty salt");
  return {
    salt,
    storedKey: decodeBase64(fields.get("stored_key")!, "stored_key"),
    serverKey: decodeBase64(fields.get("server_key")!, "server_key"),
    iterations: Number(iterationsText),
  };
}
