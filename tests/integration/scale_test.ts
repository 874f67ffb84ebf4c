/**
 * Ten thousand partitions (issue 16): a request of any size costs no broker its coordinator
 * session, and a request beyond a limit gets a clear error and leaves nothing behind. Real
 * processes over TCP; no timings are asserted (they live in `deno task bench scale`).
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { Admin } from "../../src/client/admin.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";
import { brokerIdPath, topicConfigPath, topicPath } from "../../src/broker/zk-layout.ts";
import { ClusterProbe } from "./controller-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/** Each broker's coordinator session, as the owner of its ephemeral registration. */
async function sessions(probe: ClusterProbe, ids: number[]): Promise<Map<number, bigint | number>> {
  const owners = new Map<number, bigint | number>();
  for (const id of ids) owners.set(id, (await probe.zk.getData(brokerIdPath(id))).stat.ephemeralOwner);
  return owners;
}

Deno.test(
  "a topic of 10,000 partitions is created whole and no broker loses its coordinator session",
  options,
  async () => {
    const PARTITIONS = 10_000;
    await using cluster = await startCluster({ brokers: 3, brokerArgs: ["--session-timeout-ms", "6000"] });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const before = await sessions(probe, [1, 2, 3]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap, operationTimeoutMs: 120_000 });
    await admin.createTopics([{ name: "big", partitions: PARTITIONS, replicationFactor: 3 }]);
    await eventually("every partition of big led, on every broker's metadata", async () => {
      for (const broker of cluster.brokers) {
        await using one = new Admin({ bootstrap: `127.0.0.1:${broker.port}` });
        const [big] = await one.describeTopics(["big"]);
        if (big.partitions.length !== PARTITIONS || big.partitions.some((p) => p.leader < 0)) return false;
      }
      return true;
    }, 300_000);
    // Every broker hosts every replica (RF 3 on 3 brokers): all 10,000 applied on each.
    await eventually(
      "each broker to host every partition",
      () =>
        cluster.brokers.every((broker) =>
          (broker.program.stderr.match(/big:\d+: (leader in epoch|following broker)/g) ?? []).length >=
            PARTITIONS
        ),
      300_000,
    );
    assert.deepEqual(await sessions(probe, [1, 2, 3]), before, "same coordinator session on every broker");
    for (const broker of cluster.brokers) {
      assert.doesNotMatch(broker.program.stderr, /lost the connection to the coordinator|session expired/i);
    }
  },
);

Deno.test(
  "a topic over --max-partitions-per-topic or too big for one coordinator write is refused cleanly, leaving nothing",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 1,
      brokerArgs: ["--max-partitions-per-topic", "100000"],
    });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    const refused = async (name: string, partitions: number) => {
      try {
        await admin.createTopics([{ name, partitions, replicationFactor: 1 }]);
      } catch (error) {
        assert.ok(error instanceof KafkaError, String(error));
        return error;
      }
      assert.fail(`creating ${name} with ${partitions} partitions succeeded`);
    };
    const tooMany = await refused("wide", 100_001);
    assert.equal(tooMany.code, ErrorCode.INVALID_PARTITIONS);
    assert.match(
      tooMany.message,
      /over the limit of 100000 per topic \(broker setting --max-partitions-per-topic\)/,
    );
    // 100,000 partitions fit the setting but their assignment is over 1 MiB: one coordinator write.
    const tooBig = await refused("huge", 100_000);
    assert.equal(tooBig.code, ErrorCode.POLICY_VIOLATION);
    assert.match(tooBig.message, /over the coordinator's limit of \d+ bytes for one write/);
    for (const name of ["wide", "huge"]) {
      assert.equal(await probe.zk.exists(topicPath(name)), null, `no ${name} assignment`);
      assert.equal(await probe.zk.exists(topicConfigPath(name)), null, `no ${name} config`);
    }
    assert.deepEqual((await admin.listTopics()).filter((t) => t === "wide" || t === "huge"), []);
    // The broker and its coordinator connection are unharmed: a topic within the limits works.
    await admin.createTopics([{ name: "fine", partitions: 3, replicationFactor: 1 }]);
    assert.doesNotMatch(cluster.broker(1).program.stderr, /lost the connection to the coordinator/);
  },
);
