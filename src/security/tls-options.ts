/**
 * TLS settings from PEM files, for both ends: the broker's listener (`--tls-cert`, `--tls-key`,
 * `--tls-ca`, `--tls-client-auth none|requested|required`) and clients (Kafka's
 * ssl.ca.location, ssl.certificate.location, ssl.key.location). Files are read and checked
 * once, up front, so a wrong path or a file of the wrong kind is one clear error at start-up
 * instead of a failed handshake later.
 *
 * Client authentication follows Kafka's ssl.client.auth: `none` never asks for a client
 * certificate; `requested` asks, accepts a client without one (principal ANONYMOUS unless SASL
 * follows) and refuses one whose certificate does not verify against the CA; `required`
 * refuses a client without a valid certificate.
 *
 * @example
 * ```ts
 * const tls = await loadServerTls({ certFile: "server.pem", keyFile: "server.key", caFile: "ca.pem",
 *   clientAuth: "required" });
 * ```
 */

export const CLIENT_AUTH_MODES = ["none", "requested", "required"] as const;
export type ClientAuth = typeof CLIENT_AUTH_MODES[number];

export interface ServerTlsOptions {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
  /** CA certificates that client certificates must chain to, PEM. */
  ca?: string;
  clientAuth: ClientAuth;
}

export interface ClientTlsOptions {
  /** CA certificates the broker's certificate must chain to (PEM); default: the system roots. */
  ca?: string;
  /** Client certificate chain and key (PEM), for brokers that ask for one. */
  cert?: string;
  key?: string;
  /** Check that the broker's certificate names the host connected to (default true, as Kafka's https). */
  verifyHostname?: boolean;
}

export function parseClientAuth(text: string): ClientAuth {
  const mode = text.toLowerCase();
  if (!(CLIENT_AUTH_MODES as readonly string[]).includes(mode)) {
    throw new TypeError(`--tls-client-auth must be one of ${CLIENT_AUTH_MODES.join(", ")}, got "${text}"`);
  }
  return mode as ClientAuth;
}

type PemKind = "certificate" | "private key";

/** Read a PEM file and check it holds what `what` says; errors name the option and the file. */
export async function readPem(path: string, kind: PemKind, option: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`Cannot read ${option} ${path}: ${(error as Error).message}`);
  }
  const marker = kind === "certificate"
    ? /-----BEGIN CERTIFICATE-----/
    : /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
  if (!marker.test(text)) {
    throw new Error(
      `${option} ${path} holds no PEM ${kind} (expected a "-----BEGIN ${
        kind === "certificate" ? "CERTIFICATE" : "PRIVATE KEY"
      }-----" block)`,
    );
  }
  return text;
}

export interface ServerTlsFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  clientAuth?: ClientAuth;
}

/** Load the broker's TLS files; TypeError when the combination cannot work. */
export async function loadServerTls(files: ServerTlsFiles): Promise<ServerTlsOptions> {
  if (files.certFile === undefined || files.keyFile === undefined) {
    throw new TypeError("A TLS listener (SSL or SASL_SSL) needs --tls-cert and --tls-key (PEM files)");
  }
  const clientAuth = files.clientAuth ?? "none";
  if (clientAuth !== "none" && files.caFile === undefined) {
    throw new TypeError(
      `--tls-client-auth ${clientAuth} needs --tls-ca, the CA that signs client certificates`,
    );
  }
  return {
    cert: await readPem(files.certFile, "certificate", "--tls-cert"),
    key: await readPem(files.keyFile, "private key", "--tls-key"),
    ca: files.caFile === undefined ? undefined : await readPem(files.caFile, "certificate", "--tls-ca"),
    clientAuth,
  };
}

export interface ClientTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  verifyHostname?: boolean;
}

/** Load a client's TLS files (the option names are Kafka's client property keys). */
export async function loadClientTls(files: ClientTlsFiles): Promise<ClientTlsOptions> {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    throw new TypeError("ssl.certificate.location and ssl.key.location go together: give both or neither");
  }
  return {
    ca: files.caFile === undefined
      ? undefined
      : await readPem(files.caFile, "certificate", "ssl.ca.location"),
    cert: files.certFile === undefined
      ? undefined
      : await readPem(files.certFile, "certificate", "ssl.certificate.location"),
    key: files.keyFile === undefined
      ? undefined
      : await readPem(files.keyFile, "private key", "ssl.key.location"),
    verifyHostname: files.verifyHostname,
  };
}
