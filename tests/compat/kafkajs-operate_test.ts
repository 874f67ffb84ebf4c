/**
 * kafkajs 2.2.4's admin operating a cluster: alterPartitionReassignments moves a partition,
 * listPartitionReassignments reports (then no longer reports) it, createPartitions grows a topic —
 * all unchanged against real broker processes.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Admin } from "../../src/client/admin.ts";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";

Deno.test({
  name: "kafkajs alterPartitionReassignments, listPartitionReassignments and createPartitions",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster({ brokers: 3 });
    await cluster.waitForBrokers();
    await createTopics(cluster.bootstrap, [{ name: "js-move", partitions: 1, replicationFactor: 2 }]);
    await using ours = new Admin({ bootstrap: cluster.bootstrap });
    const [before] = await ours.describeTopics(["js-move"]);
    const spare = [1, 2, 3].find((id) => !before.partitions[0].replicas.includes(id))!;
    const target = [spare, before.partitions[0].replicas[0]];

    const kafka = new Kafka({
      clientId: "compat",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterPartitionReassignments({
        topics: [{ topic: "js-move", partitionAssignment: [{ partition: 0, replicas: target }] }],
      });
      await eventually("the move finished", async () => {
        const listed = await admin.listPartitionReassignments({});
        return listed.topics.every((t) => t.partitions.length === 0);
      });
      const [after] = await ours.describeTopics(["js-move"]);
      assert.deepEqual(after.partitions[0].replicas, target);

      await admin.createPartitions({ topicPartitions: [{ topic: "js-move", count: 3 }] });
      // The brokers learn of the new partitions from the controller's UpdateMetadata, after it
      // wrote their states: asynchronously, as in Kafka.
      await eventually("3 partitions in the metadata", async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: ["js-move"] });
        return metadata.topics[0].partitions.length === 3;
      });
    } finally {
      await admin.disconnect();
    }
  },
});
