/**
 * `vltava broker start` flags seen from outside: --advertised-host is what the ready line, Metadata
 * and the broker's registration in the coordinator tell clients to connect to.
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { runCli } from "../helpers/program.ts";
import { Admin } from "../../src/client/admin.ts";

Deno.test({
  name:
    "broker start --advertised-host localhost: the ready line, Metadata and the registration say localhost",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1, brokerArgs: ["--advertised-host", "localhost"] });
    const broker = cluster.broker(1);
    assert.match(broker.program.stdout, new RegExp(`^broker 1 listening on localhost:${broker.port}$`, "m"));

    // Bootstrap by IP; Metadata answers with the advertised name, not the listen address.
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    try {
      const described = await admin.describeCluster();
      assert.deepEqual(
        described.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        [{ nodeId: 1, host: "localhost", port: broker.port }],
      );
    } finally {
      admin.close();
    }

    const registration = await runCli([
      "zk",
      "get",
      "/brokers/ids/1",
      "--server",
      cluster.coordinatorAddress,
    ]);
    assert.equal(registration.code, 0, registration.stderr);
    assert.match(registration.stdout, /localhost/);
    assert.doesNotMatch(registration.stdout, /127\.0\.0\.1/);
  },
});

Deno.test({
  name: "broker start without --advertised-host advertises its --host",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using cluster = await startCluster({ brokers: 1 });
    const broker = cluster.broker(1);
    assert.match(
      broker.program.stdout,
      new RegExp(`^broker 1 listening on 127\\.0\\.0\\.1:${broker.port}$`, "m"),
    );
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    try {
      const described = await admin.describeCluster();
      assert.deepEqual(described.brokers.map((b) => b.host), ["127.0.0.1"]);
    } finally {
      admin.close();
    }
  },
});
