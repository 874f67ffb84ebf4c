import assert from "node:assert/strict";
import {
  loadClientSecurity,
  parseProperties,
  securitySettingsFromProperties,
} from "../../src/security/client-properties.ts";
import { makeTestCertificates } from "../helpers/test-certs.ts";

Deno.test("Java properties syntax: separators, comments, continuations, escapes", () => {
  const parsed = parseProperties([
    "# a comment",
    "! another",
    "  security.protocol = SASL_SSL",
    "sasl.mechanism:SCRAM-SHA-512",
    "sasl.username alice",
    "sasl.password=p\\u00e4ss\\=word\\",
    "   continued",
    "key\\ with\\ spaces=v",
    "empty=",
    "",
  ].join("\n"));
  assert.deepEqual(Object.fromEntries(parsed), {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "alice",
    "sasl.password": "päss=wordcontinued",
    "key with spaces": "v",
    empty: "",
  });
});

Deno.test("Kafka client keys map to security settings; unknown security keys are refused by name", () => {
  const settings = securitySettingsFromProperties(
    parseProperties([
      "bootstrap.servers=ignored:9092",
      "security.protocol=SASL_SSL",
      "sasl.mechanism=SCRAM-SHA-256",
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="b0b";',
      "ssl.ca.location=/etc/ca.pem",
      "ssl.endpoint.identification.algorithm=",
    ].join("\n")),
    "client.properties",
  );
  assert.deepEqual(settings, {
    protocol: "SASL_SSL",
    mechanism: "SCRAM-SHA-256",
    username: "bob",
    password: "b0b",
    caFile: "/etc/ca.pem",
    verifyHostname: false,
  });
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => securitySettingsFromProperties(parseProperties(text), "f"), pattern);
  refused("sasl.usernmae=x", /f: sasl\.usernmae is not supported \(supported: /);
  refused("ssl.truststore.location=x.jks", /Java keystores are not read: use ssl\.ca\.location/);
  refused("sasl.jaas.config=Module required;", /needs username="…" and password="…"/);
  refused("ssl.endpoint.identification.algorithm=ldap", /https or empty/);
});

Deno.test("Settings become the client's security option, with the PEM files read", async () => {
  await using certs = await makeTestCertificates();
  assert.equal(await loadClientSecurity({}), undefined);
  assert.deepEqual(
    await loadClientSecurity({
      protocol: "sasl_ssl",
      mechanism: "scram-sha-512",
      username: "alice",
      password: "pw",
      caFile: certs.caFile,
    }),
    {
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "pw" },
      tls: { ca: certs.ca, cert: undefined, key: undefined, verifyHostname: undefined },
    },
  );
  const refused = (settings: Parameters<typeof loadClientSecurity>[0], pattern: RegExp) =>
    assert.rejects(loadClientSecurity(settings), pattern);
  await refused({ protocol: "TLS" }, /PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got "TLS"/);
  await refused({ protocol: "SASL_SSL", username: "a", password: "b" }, /needs sasl\.mechanism/);
  await refused(
    { protocol: "SASL_SSL", mechanism: "PLAIN", username: "a" },
    /needs a password: .*VLTAVA_SASL_PASSWORD/,
  );
  await refused({ protocol: "SASL_SSL", mechanism: "GSSAPI", username: "a", password: "b" }, /not supported/);
  await refused({ mechanism: "PLAIN", username: "a", password: "secret" }, /security\.protocol is PLAINTEXT/);
  await refused({ protocol: "SSL", caFile: `${certs.dir}/nope.pem` }, /Cannot read ssl\.ca\.location/);
  // No message ever carries the password.
  for (const settings of [{ protocol: "SASL_SSL", mechanism: "X", username: "a", password: "hunter2" }]) {
    const error = await loadClientSecurity(settings).catch((e) => e);
    assert.ok(!String(error.message).includes("hunter2"));
  }
});
