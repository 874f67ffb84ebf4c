/**
 * The client library's security settings over real sockets, against a stand-in listener built
 * from the broker's own security modules: TLS (CA, client certificates, hostname), SASL PLAIN
 * and SCRAM, and the errors a user sees when something does not match.
 */
import assert from "node:assert/strict";
import { Connection } from "../../src/client/connection.ts";
import { Cluster } from "../../src/client/cluster.ts";
import { AuthenticationError, BrokerUnreachableError, TlsHandshakeError } from "../../src/client/errors.ts";
import type { ClientSecurity } from "../../src/client/security.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readApiVersionsResponse, writeApiVersionsRequest } from "../../src/kafka/apis/api-versions.ts";
import type { CredentialLookup } from "../../src/security/sasl.ts";
import {
  createScramCredential,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  type ScramCredential,
} from "../../src/security/scram.ts";
import { SecureTestBroker } from "../security/secure-test-broker.ts";
import { makeTestCertificates, type TestCertificates } from "../helpers/test-certs.ts";

const users: Record<string, Partial<Record<string, ScramCredential>>> = {
  alice: {
    "SCRAM-SHA-512": await createScramCredential(SCRAM_SHA_512, "wonderland", 4096),
    "SCRAM-SHA-256": await createScramCredential(SCRAM_SHA_256, "wonderland", 4096),
  },
};
const lookup: CredentialLookup = (user, mechanism) => users[user]?.[mechanism];

async function connect(port: number, security: ClientSecurity): Promise<Connection> {
  return await Connection.connect({
    host: "127.0.0.1",
    port,
    security,
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
  });
}

/** A request after authentication works on the same connection. */
async function stillServes(connection: Connection): Promise<void> {
  const response = await connection.request(
    ApiKey.ApiVersions,
    3,
    (w) => writeApiVersionsRequest(w, 3, {}),
    (r) => readApiVersionsResponse(r, 3),
  );
  assert.equal(response.errorCode, 0);
}

const tlsServer = (certs: TestCertificates, clientAuth: "none" | "required" = "none") => ({
  cert: certs.server.cert,
  key: certs.server.key,
  ca: certs.ca,
  clientAuth,
});

Deno.test({
  name:
    "SASL_SSL with SCRAM-SHA-512 and SCRAM-SHA-256, SASL_PLAINTEXT with PLAIN: authenticated, then served",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using certs = await makeTestCertificates();
    await using secure = await SecureTestBroker.start({
      protocol: "SASL_SSL",
      tls: tlsServer(certs),
      lookup,
    });
    for (const mechanism of ["SCRAM-SHA-512", "SCRAM-SHA-256"] as const) {
      const connection = await connect(secure.port, {
        protocol: "SASL_SSL",
        sasl: { mechanism, username: "alice", password: "wonderland" },
        tls: { ca: certs.ca },
      });
      await stillServes(connection);
      connection.close();
    }
    assert.deepEqual(secure.principals, ["User:alice", "User:alice"]);

    await using plain = await SecureTestBroker.start({
      protocol: "SASL_PLAINTEXT",
      mechanisms: ["PLAIN"],
      lookup,
    });
    const connection = await connect(plain.port, {
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "PLAIN", username: "alice", password: "wonderland" },
    });
    await stillServes(connection);
    connection.close();
    assert.deepEqual(plain.principals, ["User:alice"]);
  },
});

Deno.test({
  name: "Refused logins say what to do and never show the password",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using broker = await SecureTestBroker.start({
      protocol: "SASL_PLAINTEXT",
      mechanisms: ["SCRAM-SHA-512"],
      lookup,
    });
    const refused = async (security: ClientSecurity) => {
      const error = await connect(broker.port, security).then(() => undefined, (e) => e);
      assert.ok(error instanceof AuthenticationError, `expected an AuthenticationError, got ${error}`);
      assert.ok(!String(error.message).includes("s3cret-value"), "the password is never in a message");
      return error.message as string;
    };
    assert.equal(
      await refused({
        protocol: "SASL_PLAINTEXT",
        sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "s3cret-value" },
      }),
      'authentication failed for "alice" (SCRAM-SHA-512): check the user name and password',
    );
    assert.equal(
      await refused({
        protocol: "SASL_PLAINTEXT",
        sasl: { mechanism: "SCRAM-SHA-512", username: "nobody", password: "s3cret-value" },
      }),
      'authentication failed for "nobody" (SCRAM-SHA-512): check the user name and password',
    );
    assert.match(
      await refused({
        protocol: "SASL_PLAINTEXT",
        sasl: { mechanism: "PLAIN", username: "alice", password: "s3cret-value" },
      }),
      /does not enable SASL mechanism PLAIN \(it enables: SCRAM-SHA-512\): set sasl\.mechanism to one of them/,
    );
    // A plaintext client on a SASL listener is closed on its first non-SASL request.
    const plaintext = await connect(broker.port, {}).then((c) => c.close(), (e) => e);
    // ApiVersions is allowed before SASL, so the connection opens; what fails is the next request.
    assert.equal(plaintext, undefined);
  },
});

Deno.test({
  name: "TLS: CA, hostname and client certificates are checked, with errors that point at the setting",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using certs = await makeTestCertificates({ clients: ["alice"] });
    await using mtls = await SecureTestBroker.start({ protocol: "SSL", tls: tlsServer(certs, "required") });
    const tlsFailure = async (port: number, security: ClientSecurity) => {
      const error = await connect(port, security).then((c) => c.close(), (e) => e);
      assert.ok(error instanceof TlsHandshakeError, `expected a TlsHandshakeError, got ${error}`);
      return error.message as string;
    };
    // The right client certificate: the principal is its subject.
    const ok = await connect(mtls.port, {
      protocol: "SSL",
      tls: { ca: certs.ca, cert: certs.clients.alice.cert, key: certs.clients.alice.key },
    });
    await stillServes(ok);
    ok.close();
    assert.deepEqual(mtls.principals, ["User:CN=alice,O=Vltava Test"]);
    // No client certificate where one is required.
    const missing = await connect(mtls.port, { protocol: "SSL", tls: { ca: certs.ca } }).then(
      (c) => c.close(),
      (e) => e,
    );
    assert.ok(missing instanceof Error, "refused");
    // Without the CA, the broker's certificate does not verify.
    assert.match(await tlsFailure(mtls.port, { protocol: "SSL" }), /check ssl\.ca\.location/);

    await using tlsOnly = await SecureTestBroker.start({ protocol: "SSL", tls: tlsServer(certs) });
    const anonymous = await connect(tlsOnly.port, { protocol: "SSL", tls: { ca: certs.ca } });
    anonymous.close();
    assert.deepEqual(tlsOnly.principals, ["User:ANONYMOUS"]);
    // Connecting by a name the certificate does not list fails unless verification is off.
    const byName = await Connection.connect({
      host: "127.0.0.1",
      port: tlsOnly.port,
      security: { protocol: "SSL", tls: { ca: certs.ca, verifyHostname: false } },
    });
    byName.close();
    // A TLS client on a plaintext listener, and a plaintext client on a TLS listener.
    await using plain = await SecureTestBroker.start({ protocol: "PLAINTEXT" });
    assert.match(
      await tlsFailure(plain.port, { protocol: "SSL", tls: { ca: certs.ca } }),
      /is that listener TLS\?/,
    );
    const mismatch = await connect(tlsOnly.port, {}).then((c) => c.close(), (e) => e);
    assert.ok(mismatch instanceof BrokerUnreachableError, `got ${mismatch}`);
    assert.match(mismatch.hint ?? "", /set security\.protocol to match/);
  },
});

Deno.test({
  name: "Authentication failures reach Cluster users at once instead of 'cannot reach a broker'",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using broker = await SecureTestBroker.start({ protocol: "SASL_PLAINTEXT", lookup });
    const cluster = new Cluster({
      bootstrap: [`127.0.0.1:${broker.port}`, `127.0.0.1:${broker.port}`],
      security: {
        protocol: "SASL_PLAINTEXT",
        sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "x" },
      },
    });
    await assert.rejects(cluster.anyConnection(), AuthenticationError);
    cluster.close();
  },
});

Deno.test("Security settings that cannot work are refused before connecting", async () => {
  const refuse = (security: ClientSecurity, pattern: RegExp) =>
    assert.rejects(Connection.connect({ host: "127.0.0.1", port: 1, security }), pattern);
  await refuse({ protocol: "SASL_SSL" }, /needs SASL settings/);
  await refuse(
    { protocol: "PLAINTEXT", sasl: { mechanism: "PLAIN", username: "a", password: "b" } },
    /use SASL_PLAINTEXT or SASL_SSL/,
  );
  await refuse({ protocol: "PLAINTEXT", tls: { ca: "x" } }, /use SSL or SASL_SSL/);
  await refuse(
    // deno-lint-ignore no-explicit-any
    { protocol: "SASL_PLAINTEXT", sasl: { mechanism: "GSSAPI" as any, username: "a", password: "b" } },
    /not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512/,
  );
  await refuse(
    { protocol: "SASL_PLAINTEXT", sasl: { mechanism: "PLAIN", username: "", password: "b" } },
    /needs sasl\.username/,
  );
});
