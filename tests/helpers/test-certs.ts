/**
 * Test certificates made on the spot with `openssl` (src/dev/openssl-certificates.ts) in a temp
 * dir (never committed): a CA, a
 * server certificate for localhost / 127.0.0.1 signed by it, client certificates signed by it,
 * and a second, unrelated CA with a client certificate of its own (for "a certificate from
 * another CA" refusals). Every certificate is X.509 v3 (rustls refuses v1). Disposing removes
 * the directory.
 *
 * @example
 * ```ts
 * await using certs = await makeTestCertificates({ clients: ["alice"] });
 * Deno.listenTls({ port: 0, cert: certs.server.cert, key: certs.server.key });
 * ```
 */
import {
  CLIENT_EXTENSIONS,
  makeCa,
  makeSigned,
  serverExtensions,
} from "../../src/dev/openssl-certificates.ts";
import { tempDir } from "./program.ts";

/** A certificate and its key: PEM text and the files that hold them. */
export interface CertificatePair {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface TestCertificates extends AsyncDisposable {
  dir: string;
  /** The CA certificate (PEM) and its file. */
  ca: string;
  caFile: string;
  /** CN=localhost, SAN DNS:localhost and IP:127.0.0.1, signed by the CA. */
  server: CertificatePair;
  /** One per requested name: subject "CN=<name>,O=Vltava Test" as RFC 2253 prints it. */
  clients: Record<string, CertificatePair>;
  /** CN=mallory signed by a different CA. */
  foreignClient: CertificatePair;
  foreignCaFile: string;
}

const DAYS = 2;
const SERVER_EXTENSIONS = serverExtensions(["DNS:localhost", "IP:127.0.0.1"]);

/** A certificate signed by `ca`, with its PEM text read back. */
async function makePair(
  dir: string,
  name: string,
  ca: string,
  subject: string,
  extensions: string,
): Promise<CertificatePair> {
  const files = await makeSigned(dir, name, ca, subject, extensions, DAYS);
  return {
    ...files,
    cert: await Deno.readTextFile(files.certFile),
    key: await Deno.readTextFile(files.keyFile),
  };
}

export async function makeTestCertificates(options: { clients?: string[] } = {}): Promise<TestCertificates> {
  const dir = await tempDir("vltava-certs-");
  try {
    await makeCa(dir.path, "ca", "/CN=Vltava Test CA", DAYS);
    await makeCa(dir.path, "foreign-ca", "/CN=Someone Else's CA", DAYS);
    const server = await makePair(dir.path, "server", "ca", "/CN=localhost", SERVER_EXTENSIONS);
    const clients: Record<string, CertificatePair> = {};
    for (const name of options.clients ?? []) {
      // openssl's -subj lists RDNs most significant first; RFC 2253 prints them the other way.
      clients[name] = await makePair(
        dir.path,
        `client-${name}`,
        "ca",
        `/O=Vltava Test/CN=${name}`,
        CLIENT_EXTENSIONS,
      );
    }
    const foreignClient = await makePair(
      dir.path,
      "mallory",
      "foreign-ca",
      "/CN=mallory",
      CLIENT_EXTENSIONS,
    );
    return {
      dir: dir.path,
      ca: await Deno.readTextFile(`${dir.path}/ca.pem`),
      caFile: `${dir.path}/ca.pem`,
      server,
      clients,
      foreignClient,
      foreignCaFile: `${dir.path}/foreign-ca.pem`,
      [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
    };
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
}
