/**
 * Where SCRAM credentials live in the coordinator, in Kafka's ZooKeeper layout, so the tree
 * reads the same in zkCli as a Kafka cluster's and Kafka's tooling would understand it:
 *
 *   /config/users/<sanitized name>   {"version":1,"config":{"SCRAM-SHA-512":"salt=…,stored_key=…,
 *                                      server_key=…,iterations=4096", …}}
 *
 * The node name is Kafka's Sanitizer form of the user name (URL encoding: [A-Za-z0-9._-] kept,
 * every other UTF-8 byte as %XX), so any user name is a valid znode name. The config map may
 * hold other user settings (quotas); only the SCRAM-* keys are credentials.
 *
 * @example
 * ```ts
 * userConfigPath("alice@example.com"); // "/config/users/alice%40example.com"
 * ```
 */
import { decodeConfigEntity, encodeConfigEntity } from "../broker/zk-layout.ts";
import { parseScramCredential, SCRAM_MECHANISMS, type ScramCredential } from "./scram.ts";

export const USERS_CONFIG_PATH = "/config/users";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Kafka's Sanitizer.sanitize: URL-encode, with "*" and " " percent-encoded too. */
export function sanitizeUserName(name: string): string {
  let out = "";
  for (const byte of encoder.encode(name)) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Kafka's Sanitizer.desanitize (URL decoding, "+" as space); throws TypeError on bad escapes. */
export function desanitizeUserName(node: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < node.length; i++) {
    const char = node[i];
    if (char === "%") {
      const hex = node.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new TypeError(`Invalid escape in user node "${node}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(char === "+" ? " " : char));
    }
  }
  try {
    return decoder.decode(new Uint8Array(bytes));
  } catch {
    throw new TypeError(`User node "${node}" is not UTF-8 once decoded`);
  }
}

export function userConfigPath(name: string): string {
  return `${USERS_CONFIG_PATH}/${sanitizeUserName(name)}`;
}

export type UserConfig = Record<string, string>;

export function encodeUserConfig(config: UserConfig): Uint8Array {
  return encodeConfigEntity(config);
}

export function decodeUserConfig(name: string, bytes: Uint8Array | null): UserConfig {
  return decodeConfigEntity(`User ${name} config`, bytes);
}

/** The SCRAM credentials in a user's config, by mechanism name; bad entries are reported, not kept. */
export function credentialsOf(
  config: UserConfig,
  onInvalid: (mechanism: string, error: Error) => void = () => {},
): Map<ScramCredentialMechanism, ScramCredential> {
  const credentials = new Map<ScramCredentialMechanism, ScramCredential>();
  for (const mechanism of SCRAM_MECHANISMS) {
    const text = config[mechanism.name];
    if (text === undefined) continue;
    try {
      credentials.set(mechanism.name, parseScramCredential(text));
    } catch (error) {
      onInvalid(mechanism.name, error as Error);
    }
  }
  return credentials;
}

export type ScramCredentialMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";
