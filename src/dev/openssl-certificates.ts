/**
 * Certificates made with the `openssl` command (which must be on PATH: the program carries no
 * X.509 writer): a self-signed CA, and certificates signed by it. One place for the openssl
 * steps that `vltava dev --secure` (local-secure.ts) and the tests' certificates
 * (tests/helpers/test-certs.ts) both need. Every certificate is X.509 v3 (rustls refuses v1);
 * private keys are written with mode 0600.
 *
 * @example
 * ```ts
 * await makeCa(dir, "ca", "/CN=Local CA", 825);
 * const files = await makeSigned(dir, "broker", "ca", "/CN=localhost", serverExtensions(["DNS:localhost"]), 825);
 * ```
 */

/** A certificate's and its key's files. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** Extensions of a TLS server certificate for these subject alternative names (`DNS:…`, `IP:…`). */
export function serverExtensions(names: readonly string[]): string {
  return "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
    `subjectAltName=${names.join(",")}\n`;
}

/** Extensions of a TLS client certificate. */
export const CLIENT_EXTENSIONS = "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" +
  "extendedKeyUsage=clientAuth\n";

/** Run openssl in `cwd`; a missing openssl or a failed step is an Error saying which. */
export async function openssl(args: string[], cwd: string): Promise<void> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("certificates are made with openssl: install it (apt-get install openssl)");
    }
    throw error;
  }
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
}

/** A self-signed CA: `<name>.pem` and `<name>.key` in `dir`. */
export async function makeCa(
  dir: string,
  name: string,
  subject: string,
  days: number,
): Promise<CertificateFiles> {
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-sha256",
    "-days",
    String(days),
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
  await Deno.chmod(`${dir}/${name}.key`, 0o600);
  return { certFile: `${dir}/${name}.pem`, keyFile: `${dir}/${name}.key` };
}

/** A key and a certificate for `subject` signed by the CA `ca` (made by makeCa in `dir`). */
export async function makeSigned(
  dir: string,
  name: string,
  ca: string,
  subject: string,
  extensions: string,
  days: number,
): Promise<CertificateFiles> {
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
  await Deno.chmod(`${dir}/${name}.key`, 0o600);
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  await openssl([
    "x509",
    "-req",
    "-sha256",
    "-days",
    String(days),
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
  return { certFile: `${dir}/${name}.pem`, keyFile: `${dir}/${name}.key` };
}
