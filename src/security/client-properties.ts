/**
 * Kafka client security settings from a properties file — the `--command-config FILE` of every
 * client command and the broker's `--inter-broker-config FILE` — with Kafka's keys, so the file
 * a team already has for kafka-console-producer or librdkafka works here:
 *
 *   security.protocol=SASL_SSL
 *   sasl.mechanism=SCRAM-SHA-512
 *   sasl.username=alice                (librdkafka's keys; or Java's sasl.jaas.config, below)
 *   sasl.password=…
 *   ssl.ca.location=/etc/kafka/ca.pem  (PEM files; Java's JKS truststores are not read)
 *   ssl.certificate.location=…  ssl.key.location=…
 *   ssl.endpoint.identification.algorithm=   (empty: do not check the broker's host name)
 *
 * `sasl.jaas.config` is read for its username="…" and password="…" options, as Java clients
 * write them. Other security.*, sasl.* and ssl.* keys are refused by name (a typo must not
 * silently drop a setting); keys outside those families (bootstrap.servers, client.id, …) are
 * ignored. The properties syntax is Java's: `key=value`, `key: value` or `key value`, `#` and
 * `!` comments, backslash continuations and escapes. Values are never echoed in errors.
 *
 * @example
 * ```ts
 * const settings = securitySettingsFromProperties(parseProperties(text), "client.properties");
 * const security = await loadClientSecurity(settings);
 * ```
 */
import type { ClientSecurity } from "../client/security.ts";
import { checkClientSecurity } from "../client/security.ts";
import { isSecurityProtocol, type SecurityProtocol } from "./listeners.ts";
import { isSaslMechanism, type SaslMechanismName } from "./sasl.ts";
import { loadClientTls } from "./tls-options.ts";

/** Security settings as names and file paths, before any file is read. */
export interface ClientSecuritySettings {
  protocol?: string;
  mechanism?: string;
  username?: string;
  password?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verifyHostname?: boolean;
}

/** Java .properties text → key/value pairs (later keys win, as in java.util.Properties). */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, "");
    if (line.length === 0 || line.startsWith("#") || line.startsWith("!")) continue;
    // A line ending in an odd number of backslashes continues on the next one.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, "");
    }
    let at = 0;
    while (at < line.length && !/[=: \t\f]/.test(line[at])) at += line[at] === "\\" ? 2 : 1;
    const key = unescape(line.slice(0, at));
    let rest = line.slice(at).replace(/^[ \t\f]*/, "");
    if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]*/, "");
    result.set(key, unescape(rest));
  }
  return result;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escape: string) => {
    if (escape.length === 5) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[escape] ?? escape;
  });
}

const KEYS: Record<string, keyof ClientSecuritySettings | "jaas" | "endpoint"> = {
  "security.protocol": "protocol",
  "sasl.mechanism": "mechanism",
  "sasl.mechanisms": "mechanism", // librdkafka's spelling
  "sasl.username": "username",
  "sasl.password": "password",
  "sasl.jaas.config": "jaas",
  "ssl.ca.location": "caFile",
  "ssl.certificate.location": "certFile",
  "ssl.key.location": "keyFile",
  "ssl.endpoint.identification.algorithm": "endpoint",
};

/** The security settings in a properties file; `source` names the file in errors. */
export function securitySettingsFromProperties(
  properties: Map<string, string>,
  source: string,
): ClientSecuritySettings {
  const settings: ClientSecuritySettings = {};
  for (const [key, value] of properties) {
    const field = KEYS[key];
    if (field === undefined) {
      if (/^(security|sasl|ssl)\./.test(key)) {
        const hint = key.startsWith("ssl.truststore") || key.startsWith("ssl.keystore")
          ? " (Java keystores are not read: use ssl.ca.location, ssl.certificate.location and ssl.key.location with PEM files)"
          : ` (supported: ${Object.keys(KEYS).join(", ")})`;
        throw new TypeError(`${source}: ${key} is not supported${hint}`);
      }
      continue; // other client settings (bootstrap.servers, client.id, …) belong to other parts
    }
    if (field === "jaas") {
      const username = /\busername\s*=\s*"([^"]*)"/.exec(value)?.[1];
      const password = /\bpassword\s*=\s*"([^"]*)"/.exec(value)?.[1];
      if (username === undefined || password === undefined) {
        throw new TypeError(`${source}: sasl.jaas.config needs username="…" and password="…"`);
      }
      settings.username ??= username;
      settings.password ??= password;
    } else if (field === "endpoint") {
      if (value !== "" && value.toLowerCase() !== "https") {
        throw new TypeError(`${source}: ssl.endpoint.identification.algorithm must be https or empty`);
      }
      settings.verifyHostname = value !== "";
    } else {
      settings[field] = value as never;
    }
  }
  return settings;
}

/** Read a properties file's security settings; errors name the file. */
export async function readSecurityProperties(path: string): Promise<ClientSecuritySettings> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  return securitySettingsFromProperties(parseProperties(text), path);
}

/**
 * Settings → the client's `security` option: names checked, PEM files read. Undefined when
 * nothing is set (PLAINTEXT). TypeError for names or combinations that cannot work.
 */
export async function loadClientSecurity(
  settings: ClientSecuritySettings,
): Promise<ClientSecurity | undefined> {
  if (Object.values(settings).every((value) => value === undefined)) return undefined;
  const protocol = (settings.protocol ?? "PLAINTEXT").toUpperCase();
  if (!isSecurityProtocol(protocol)) {
    throw new TypeError(
      `security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got "${settings.protocol}"`,
    );
  }
  const security: ClientSecurity = { protocol: protocol as SecurityProtocol };
  const saslGiven = settings.mechanism !== undefined || settings.username !== undefined ||
    settings.password !== undefined;
  if (saslGiven || protocol.startsWith("SASL_")) {
    const mechanism = (settings.mechanism ?? "").toUpperCase();
    if (settings.mechanism === undefined && protocol.startsWith("SASL_")) {
      throw new TypeError(
        `security.protocol ${protocol} needs sasl.mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
      );
    }
    if (settings.mechanism !== undefined && !isSaslMechanism(mechanism)) {
      throw new TypeError(
        `sasl.mechanism ${
          JSON.stringify(settings.mechanism)
        } is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`,
      );
    }
    if (protocol.startsWith("SASL_") && settings.password === undefined) {
      throw new TypeError(
        `security.protocol ${protocol} needs a password: sasl.password, --sasl-password or VLTAVA_SASL_PASSWORD`,
      );
    }
    security.sasl = {
      mechanism: mechanism as SaslMechanismName,
      username: settings.username ?? "",
      password: settings.password ?? "",
    };
  }
  const tlsGiven = settings.caFile !== undefined || settings.certFile !== undefined ||
    settings.keyFile !== undefined || settings.verifyHostname !== undefined;
  if (tlsGiven) {
    security.tls = await loadClientTls({
      caFile: settings.caFile,
      certFile: settings.certFile,
      keyFile: settings.keyFile,
      verifyHostname: settings.verifyHostname,
    });
  }
  checkClientSecurity(security);
  return security;
}
