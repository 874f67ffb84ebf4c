/**
 * Test certificates made on the spot with `openssl` in a temp dir (never committed): a CA, a
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

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}

async function makeCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-sha256",
    "-days",
    "2",
    "-subj",
    subject,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
  ], dir);
}

async function makeSigned(
  dir: string,
  name: string,
  ca: string,
  subject: string,
  extensions: string,
): Promise<CertificatePair> {
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    subject,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ], dir);
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl([
    "x509",
    "-req",
    "-sha256",
    "-days",
    "2",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ], dir);
  return {
    cert: await Deno.readTextFile(`${dir}/${name}.pem`),
    key: await Deno.readTextFile(`${dir}/${name}.key`),
    certFile: `${dir}/${name}.pem`,
    keyFile: `${dir}/${name}.key`,
  };
}

const SERVER_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" +
  "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n";
const CLIENT_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" +
  "extendedKeyUsage=clientAuth\n";

export async function makeTestCertificates(options: { clients?: string[] } = {}): Promise<TestCertificates> {
  const dir = await tempDir("vltava-certs-");
  try {
    await makeCa(dir.path, "ca", "/CN=Vltava Test CA");
    await makeCa(dir.path, "foreign-ca", "/CN=Someone Else's CA");
    const server = await makeSigned(dir.path, "server", "ca", "/CN=localhost", SERVER_EXTENSIONS);
    const clients: Record<string, CertificatePair> = {};
    for (const name of options.clients ?? []) {
      // openssl's -subj lists RDNs most significant first; RFC 2253 prints them the other way.
      clients[name] = await makeSigned(
        dir.path,
        `client-${name}`,
        "ca",
        `/O=Vltava Test/CN=${name}`,
        CLIENT_EXTENSIONS,
      );
    }
    const foreignClient = await makeSigned(
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
