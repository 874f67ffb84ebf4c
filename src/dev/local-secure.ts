/**
 * What `vltava dev --secure` needs on disk, made once under <data-dir>/secure and reused on the
 * next start (so clients configured against it keep working): a local CA and a broker
 * certificate for localhost / 127.0.0.1 signed by it (openssl-certificates.ts: made with
 * `openssl`, which must be on PATH), an admin password, and a Kafka client
 * properties file with the admin's settings, which is both what the brokers log in to each other
 * with (--inter-broker-config) and what the user hands to clients (--command-config), and the
 * brokers' coordinator credentials (--coordinator-auth @FILE): a secured cluster whose
 * coordinator anyone could rewrite (ACLs, users, partition state) would not be secured, so the
 * brokers protect what they write there, as `broker start --coordinator-auth` does.
 *
 * The CA's private key never leaves <data-dir>/secure (mode 0600); it is for local development,
 * like the cluster itself.
 *
 * @example
 * ```ts
 * const secure = await prepareLocalSecurity("./vltava-data", "127.0.0.1");
 * console.log(secure.clientProperties); // ./vltava-data/secure/admin.properties
 * ```
 */
import { parseProperties } from "../security/client-properties.ts";
import { makeCa, makeSigned, serverExtensions } from "./openssl-certificates.ts";

export interface LocalSecurity {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  adminUser: string;
  adminPassword: string;
  /** Kafka client properties for the admin (SASL_SSL, SCRAM-SHA-512, the CA). */
  clientProperties: string;
  /** `broker:<password>`, the brokers' digest identity at the coordinator (mode 0600). */
  coordinatorAuthFile: string;
}

const ADMIN = "admin";
const VALID_DAYS = 825;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Make (or find) the CA, the broker certificate and the admin's settings. */
export async function prepareLocalSecurity(dataDir: string, host: string): Promise<LocalSecurity> {
  const dir = `${dataDir}/secure`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const secure: LocalSecurity = {
    dir,
    caFile: `${dir}/ca.pem`,
    certFile: `${dir}/broker.pem`,
    keyFile: `${dir}/broker.key`,
    adminUser: ADMIN,
    adminPassword: "",
    clientProperties: `${dir}/admin.properties`,
    coordinatorAuthFile: `${dir}/coordinator-auth`,
  };
  if (!await exists(secure.caFile) || !await exists(secure.certFile) || !await exists(secure.keyFile)) {
    await makeCertificates(dir, host);
  }
  if (await exists(secure.clientProperties)) {
    const properties = parseProperties(await Deno.readTextFile(secure.clientProperties));
    secure.adminPassword = properties.get("sasl.password") ?? "";
  }
  if (!await exists(secure.coordinatorAuthFile)) {
    await Deno.writeTextFile(secure.coordinatorAuthFile, `broker:${randomSecret()}\n`, { mode: 0o600 });
  }
  if (secure.adminPassword === "") {
    secure.adminPassword = randomSecret();
    await Deno.writeTextFile(
      secure.clientProperties,
      [
        "# vltava dev --secure: the admin's client settings (Kafka client properties)",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        `sasl.username=${ADMIN}`,
        `sasl.password=${secure.adminPassword}`,
        `ssl.ca.location=${await Deno.realPath(secure.caFile)}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
  }
  return secure;
}

/** 24 URL-safe characters from 18 random bytes. */
function randomSecret(): string {
  const random = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...random)).replaceAll("+", "-").replaceAll("/", "_");
}

async function makeCertificates(dir: string, host: string): Promise<void> {
  await makeCa(dir, "ca", "/CN=Vltava dev CA", VALID_DAYS);
  const names = new Set([
    "DNS:localhost",
    "IP:127.0.0.1",
    /^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`,
  ]);
  await makeSigned(dir, "broker", "ca", "/CN=localhost", serverExtensions([...names]), VALID_DAYS);
}
