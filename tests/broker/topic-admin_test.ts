import assert from "node:assert/strict";
import { addPartitions, planTopic } from "../../src/broker/topic-admin.ts";
import type { ClusterSnapshot } from "../../src/broker/metadata-cache.ts";
import type { Coordination, MultiOp } from "../../src/broker/coordination.ts";
import { decodeTopicAssignment, encodeTopicAssignment, topicPath } from "../../src/broker/zk-layout.ts";
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

Deno.test("CreatePartitions places the new leaders after partition 0's, as Kafka, never at random", async () => {
  // Created from broker 3 on brokers 1-4 (leaders 3, 4, 1); grown to 7 partitions, ten times over.
  const current = [[3, 4], [4, 1], [1, 2]];
  for (let run = 0; run < 10; run++) {
    const writes: MultiOp[] = [];
    const coordination = {
      getData: (path: string) =>
        Promise.resolve(
          path === topicPath("t") ? { data: encodeTopicAssignment(current), version: 7, createdMs: 0 } : null,
        ),
      multi: (ops: MultiOp[]) => Promise.resolve(void writes.push(...ops)),
    } as unknown as Coordination;
    const outcome = await addPartitions(coordination, snapshot([1, 2, 3, 4], ["t"]), "t", 7, null, false);
    assert.equal(outcome.errorCode, 0);
    assert.equal(writes.length, 1);
    const written = writes[0];
    assert.ok(written.op === "setData" && written.version === 7);
    const assignment = decodeTopicAssignment("t", written.data);
    assert.deepEqual(assignment.slice(0, 3), current, "existing partitions unchanged");
    assert.deepEqual(assignment.map((replicas) => replicas[0]), [3, 4, 1, 2, 3, 4, 1]);
  }
});
