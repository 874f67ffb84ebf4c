/**
 * Security options on client commands: --command-config and flags, the password from
 * VLTAVA_SASL_PASSWORD, and one-line errors that say what to do (never the password).
 */
import assert from "node:assert/strict";
import { createScramCredential, SCRAM_SHA_512 } from "../../src/security/scram.ts";
import { SecureTestBroker } from "../security/secure-test-broker.ts";
import { runCli, tempDir } from "../helpers/program.ts";

const alice = await createScramCredential(SCRAM_SHA_512, "wonderland", 4096);

Deno.test({
  name: "Client commands authenticate with --command-config or flags and explain refusals",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using dir = await tempDir("vltava-cli-security-");
    await using broker = await SecureTestBroker.start({
      protocol: "SASL_PLAINTEXT",
      mechanisms: ["SCRAM-SHA-512"],
      lookup: (user, mechanism) => user === "alice" && mechanism === "SCRAM-SHA-512" ? alice : undefined,
    });
    const bootstrap = `127.0.0.1:${broker.port}`;
    const config = `${dir.path}/client.properties`;
    await Deno.writeTextFile(
      config,
      "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=not-it-42\n",
    );
    const wrong = await runCli(["topic", "list", "--bootstrap", bootstrap, "--command-config", config]);
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      'error: authentication failed for "alice" (SCRAM-SHA-512): check the user name and password\n',
    );
    assert.ok(!wrong.stderr.includes("not-it-42"));

    // Flags win over the file; the password comes from the environment.
    const mechanism = await runCli(
      ["topic", "list", "--bootstrap", bootstrap, "--command-config", config, "--sasl-mechanism", "PLAIN"],
      { env: { VLTAVA_SASL_PASSWORD: "wonderland" } },
    );
    assert.equal(mechanism.code, 1);
    assert.match(
      mechanism.stderr,
      /^error: broker .* does not enable SASL mechanism PLAIN \(it enables: SCRAM-SHA-512\)/,
    );

    const usage = await runCli([
      "topic",
      "list",
      "--bootstrap",
      bootstrap,
      "--security-protocol",
      "SASL_SSL",
    ]);
    assert.equal(usage.code, 2);
    assert.equal(
      usage.stderr,
      "error: security.protocol SASL_SSL needs sasl.mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 " +
        "(see: vltava topic list --help)\n",
    );
    assert.equal(broker.principals.length, 0, "nobody got in");
  },
});
