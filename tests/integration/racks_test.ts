/**
 * Racks end to end: brokers started with --rack register it, Metadata returns it (cluster
 * describe shows it), new topics and CreatePartitions place each partition's replicas over
 * distinct racks, and a broker without a rack joining racked ones makes an explicit creation fail
 * with a clear error that creates nothing (Kafka's enforced rack-aware mode).
 */
import assert from "node:assert/strict";
import { startCluster } from "../helpers/cluster.ts";
import { eventually, freePort, runCli } from "../helpers/program.ts";
import { Admin } from "../../src/client/admin.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const RACKS: Record<number, string> = { 1: "east", 2: "west", 3: "east" };

Deno.test(
  "racked brokers: racks in metadata, replicas spread over racks, mixed racks refused",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgsFor: (id) => RACKS[id] === undefined ? [] : ["--rack", RACKS[id]],
    });
    const described = await runCli(["cluster", "describe", "--json", "--bootstrap", cluster.bootstrap]);
    assert.equal(described.code, 0, described.stderr);
    assert.deepEqual(
      JSON.parse(described.stdout).brokers.map((b: { nodeId: number; rack: string }) => [b.nodeId, b.rack]),
      [[1, "east"], [2, "west"], [3, "east"]],
    );

    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopics([{ name: "spread", partitions: 6, replicationFactor: 2 }]);
    await admin.createPartitions("spread", 9);
    const [topic] = await eventually("9 partitions described", async () => {
      const topics = await admin.describeTopics(["spread"]);
      return topics[0]?.partitions.length === 9 ? topics : undefined;
    });
    const leaders = new Map<number, number>();
    for (const p of topic.partitions) {
      assert.deepEqual(
        p.replicas.map((id) => RACKS[id]).sort(),
        ["east", "west"],
        `partition ${p.partition}`,
      );
      leaders.set(p.replicas[0], (leaders.get(p.replicas[0]) ?? 0) + 1);
    }
    // Leaders round-robin over the rack-interleaved list: three each.
    assert.deepEqual([...leaders.values()], [3, 3, 3]);

    // Broker 4 has no rack: an explicit creation is refused with the reason, nothing is created.
    await cluster.startBroker(4, freePort());
    await cluster.waitForBrokers();
    await assert.rejects(
      () => admin.createTopics([{ name: "mixed", partitions: 2, replicationFactor: 2 }]),
      (error: unknown) =>
        error instanceof KafkaError && error.code === ErrorCode.INVALID_REPLICATION_FACTOR &&
        /Broker 4 has no rack while others do/.test(error.message),
    );
    assert.ok(!(await admin.listTopics()).includes("mixed"));
  },
);
