/**
 * Topic configs changed on a live cluster (issue 12): `vltava topic config set` raises
 * min.insync.replicas and acks=all writes fail with NOT_ENOUGH_REPLICAS at once, deleting it lets
 * them through again; a small retention makes the old segments go; a bad key or value gets
 * INVALID_CONFIG with the reason and changes nothing. kafkajs's alterConfigs / describeConfigs
 * go through AlterConfigs (key 33) and DescribeConfigs unchanged.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "topic configs change live: min.insync.replicas, retention, bad input",
  ...options,
  async fn(t) {
    // The reconcile (which also re-reads configs) an hour away: only the change watch can apply them.
    await using cluster = await startCluster({
      brokers: 2,
      brokerArgs: ["--metadata-reconcile-interval-ms", "3600000"],
    });
    await cluster.waitForBrokers();
    const b = ["--bootstrap", cluster.bootstrap];
    await createTopics(cluster.bootstrap, [{ name: "live", partitions: 1, replicationFactor: 2 }]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    await eventually("both replicas in sync", async () => {
      const [topic] = await admin.describeTopics(["live"]);
      return topic.partitions[0].isr.length === 2;
    });
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", retries: 0, lingerMs: 0 });
    try {
      await t.step("min.insync.replicas raised live refuses acks=all", async () => {
        await producer.send({ topic: "live", partition: 0, value: "before" });
        const set = await runCli(["topic", "config", "set", "live", "min.insync.replicas=3", ...b]);
        assert.equal(set.code, 0, set.stderr);
        assert.match(set.stdout, /live: min.insync.replicas=3/);
        const probe = new Producer({ bootstrap: cluster.bootstrap, acks: "all", retries: 0, lingerMs: 0 });
        const refusal = await eventually("acks=all refused", async () => {
          try {
            await probe.send({ topic: "live", partition: 0, value: "refused?" });
            return false;
          } catch (error) {
            return error;
          }
        });
        assert.ok(refusal instanceof KafkaError, String(refusal));
        assert.equal(refusal.code, ErrorCode.NOT_ENOUGH_REPLICAS);
        // Its close reports the refused record: nothing was acknowledged that was not stored.
        await assert.rejects(probe.close(), /NOT_ENOUGH_REPLICAS/);

        const get = await runCli(["topic", "config", "get", "live", "min.insync.replicas", "--json", ...b]);
        assert.equal(get.code, 0, get.stderr);
        assert.deepEqual(JSON.parse(get.stdout), [{
          name: "min.insync.replicas",
          value: "3",
          override: true,
        }]);

        const reset = await runCli(["topic", "config", "delete", "live", "min.insync.replicas", ...b]);
        assert.equal(reset.code, 0, reset.stderr);
        await eventually("acks=all accepted again", async () => {
          const again = new Producer({ bootstrap: cluster.bootstrap, acks: "all", retries: 0, lingerMs: 0 });
          try {
            await again.send({ topic: "live", partition: 0, value: "after" });
            return true;
          } catch {
            return false; // not applied yet on the leader: try again
          } finally {
            await again.close().catch(() => undefined); // its failure was the one just caught
          }
        });
      });

      await t.step("a bad key or value is refused with the reason and changes nothing", async () => {
        let result = await runCli([
          "topic",
          "config",
          "set",
          "live",
          "retention.ms=60000",
          "no.such=1",
          ...b,
        ]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /Unknown topic config no.such/);
        assert.doesNotMatch(result.stderr, /\n.+\n/, "one line");
        result = await runCli(["topic", "config", "set", "live", "segment.bytes=12", ...b]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /Invalid value "12" for segment.bytes/);
        result = await runCli(["topic", "config", "set", "nothere", "retention.ms=1", ...b]);
        assert.equal(result.code, 1);
        const overrides = (await admin.describeTopicConfigs("live")).filter((entry) => entry.override);
        assert.deepEqual(overrides, [], "nothing was stored");
      });

      await t.step("retention lowered live deletes old segments", async () => {
        const small = await runCli(["topic", "config", "set", "live", "segment.bytes=1024", ...b]);
        assert.equal(small.code, 0, small.stderr);
        const value = "x".repeat(200);
        // Rolls need the new segment size applied first: write until a segment rolled over.
        await eventually("several segments", async () => {
          for (let i = 0; i < 20; i++) await producer.send({ topic: "live", partition: 0, value });
          const [topic] = await admin.describeTopics(["live"]);
          return topic.partitions[0].sizeBytes > 4096;
        });
        const [before] = await admin.describeTopics(["live"]);
        assert.equal(before.partitions[0].logStartOffset, 0);
        const drop = await runCli(["topic", "config", "set", "live", "retention.bytes=1024", ...b]);
        assert.equal(drop.code, 0, drop.stderr);
        const after = await eventually("old segments deleted on both replicas' leader", async () => {
          const [topic] = await admin.describeTopics(["live"]);
          return topic.partitions[0].logStartOffset > 0 ? topic.partitions[0] : false;
        });
        assert.ok(after.sizeBytes < before.partitions[0].sizeBytes);
        assert.equal(after.highWatermark, before.partitions[0].highWatermark);
      });
    } finally {
      await producer.close();
    }
  },
});

Deno.test({
  name: "kafkajs alterConfigs and describeConfigs against the broker",
  ...options,
  async fn() {
    await using cluster = await startCluster();
    const kafka = new Kafka({ clientId: "compat", brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "js-config", numPartitions: 1 }] });
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{
          type: 2,
          name: "js-config",
          configEntries: [{ name: "retention.ms", value: "3600000" }, {
            name: "cleanup.policy",
            value: "compact",
          }],
        }],
      });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{
          type: 2,
          name: "js-config",
          configNames: ["retention.ms", "cleanup.policy", "segment.ms"],
        }],
      });
      const entries = Object.fromEntries(
        described.resources[0].configEntries.map((entry) => [entry.configName, entry]),
      );
      assert.equal(entries["retention.ms"].configValue, "3600000");
      assert.equal(entries["cleanup.policy"].configValue, "compact");
      assert.equal(entries["segment.ms"].isDefault, true);
      assert.equal(entries["retention.ms"].isDefault, false);
      await assert.rejects(
        admin.alterConfigs({
          validateOnly: false,
          resources: [{
            type: 2,
            name: "js-config",
            configEntries: [{ name: "retention.ms", value: "soon" }],
          }],
        }),
        (error: Error & { type?: string }) => error.type === "INVALID_CONFIG",
      );
    } finally {
      await admin.disconnect();
    }
  },
});
