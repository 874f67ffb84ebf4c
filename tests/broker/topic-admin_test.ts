import assert from "node:assert/strict";
import { planTopic } from "../../src/broker/topic-admin.ts";
import type { ClusterSnapshot } from "../../src/broker/metadata-cache.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { validateTopicConfigs } from "../../src/broker/topic-config.ts";

function snapshot(brokerIds: number[], topics: string[] = []): ClusterSnapshot {
  return {
    brokers: new Map(brokerIds.map((id) => [id, { brokerId: id, host: "h", port: 1, rack: null }])),
    topics: new Map(topics.map((name) => [name, { name, partitions: [] }])),
    controllerId: brokerIds[0] ?? -1,
  };
}

Deno.test("planTopic refuses what Kafka refuses", () => {
  const defaults = { numPartitions: 1, defaultReplicationFactor: 1 };
  const spec = { name: "t", numPartitions: 3, replicationFactor: 1, assignments: [], configs: {} };
  const code = (result: ReturnType<typeof planTopic>) => "errorCode" in result ? result.errorCode : 0;
  assert.equal(code(planTopic(snapshot([1]), spec, defaults)), 0);
  assert.equal(code(planTopic(snapshot([1], ["t"]), spec, defaults)), ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.equal(
    code(planTopic(snapshot([1]), { ...spec, name: "a/b" }, defaults)),
    ErrorCode.INVALID_TOPIC_EXCEPTION,
  );
  assert.equal(
    code(planTopic(snapshot([1]), { ...spec, numPartitions: 0 }, defaults)),
    ErrorCode.INVALID_PARTITIONS,
  );
  assert.equal(
    code(planTopic(snapshot([1]), { ...spec, replicationFactor: 2 }, defaults)),
    ErrorCode.INVALID_REPLICATION_FACTOR,
  );
  assert.equal(
    code(planTopic(snapshot([1]), { ...spec, configs: { "retention.ms": "soon" } }, defaults)),
    ErrorCode.INVALID_CONFIG,
  );
  const explicit = {
    ...spec,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [{ partitionIndex: 0, brokerIds: [9] }],
  };
  assert.equal(code(planTopic(snapshot([1]), explicit, defaults)), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const defaulted = planTopic(snapshot([1, 2]), { ...spec, numPartitions: -1, replicationFactor: -1 }, {
    numPartitions: 4,
    defaultReplicationFactor: 2,
  });
  assert.ok(
    "assignment" in defaulted && defaulted.assignment.length === 4 && defaulted.assignment[0].length === 2,
  );
});

Deno.test("topic configs: known names with valid values only", () => {
  assert.equal(validateTopicConfigs({ "retention.ms": "-1", "cleanup.policy": "delete" }), null);
  assert.match(validateTopicConfigs({ "retention.msx": "1" })!, /Unknown topic config/);
  assert.match(validateTopicConfigs({ "min.insync.replicas": "0" })!, /min.insync.replicas/);
});
