import assert from "node:assert/strict";
import { loadClientTls, loadServerTls, parseClientAuth } from "../../src/security/tls-options.ts";
import { makeTestCertificates } from "../helpers/test-certs.ts";

Deno.test("TLS files are checked up front, with errors that name the option and the file", async () => {
  await using certs = await makeTestCertificates({ clients: ["alice"] });
  const server = await loadServerTls({
    certFile: certs.server.certFile,
    keyFile: certs.server.keyFile,
    caFile: certs.caFile,
    clientAuth: "required",
  });
  assert.equal(server.cert, certs.server.cert);
  assert.equal(server.clientAuth, "required");
  assert.equal(
    (await loadServerTls({ certFile: certs.server.certFile, keyFile: certs.server.keyFile })).clientAuth,
    "none",
  );

  await assert.rejects(loadServerTls({ certFile: certs.server.certFile }), /needs --tls-cert and --tls-key/);
  await assert.rejects(
    loadServerTls({
      certFile: certs.server.certFile,
      keyFile: certs.server.keyFile,
      clientAuth: "requested",
    }),
    /--tls-client-auth requested needs --tls-ca/,
  );
  await assert.rejects(
    loadServerTls({ certFile: `${certs.dir}/missing.pem`, keyFile: certs.server.keyFile }),
    /Cannot read --tls-cert .*missing\.pem/,
  );
  await assert.rejects(
    loadServerTls({ certFile: certs.server.keyFile, keyFile: certs.server.keyFile }),
    /--tls-cert .* holds no PEM certificate/,
  );
  await assert.rejects(
    loadServerTls({ certFile: certs.server.certFile, keyFile: certs.server.certFile }),
    /--tls-key .* holds no PEM private key/,
  );

  const client = await loadClientTls({
    caFile: certs.caFile,
    certFile: certs.clients.alice.certFile,
    keyFile: certs.clients.alice.keyFile,
  });
  assert.equal(client.ca, certs.ca);
  assert.equal(client.key, certs.clients.alice.key);
  await assert.rejects(loadClientTls({ certFile: certs.clients.alice.certFile }), /go together/);
  await assert.rejects(
    loadClientTls({ caFile: certs.server.keyFile }),
    /ssl\.ca\.location .* holds no PEM certificate/,
  );
});

Deno.test("--tls-client-auth takes Kafka's three modes", () => {
  assert.equal(parseClientAuth("REQUIRED"), "required");
  assert.throws(() => parseClientAuth("optional"), /none, requested, required/);
});
