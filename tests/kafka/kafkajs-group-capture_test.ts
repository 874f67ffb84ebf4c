/**
 * Real client bytes: an unmodified kafkajs 2.2.4 consumer joins a group on a fake broker
 * (./fake-group-broker.ts) that parses every group request with our readers. Checks what
 * kafkajs actually sends: FindCoordinator v2, JoinGroup v5 (first with an empty member id,
 * then with the one MEMBER_ID_REQUIRED handed out), a v0 Subscription, SyncGroup v3 with a
 * leader Assignment, LeaveGroup v3 on disconnect.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import type { JoinGroupRequest } from "../../src/kafka/apis/join-group.ts";
import type { LeaveGroupRequest } from "../../src/kafka/apis/leave-group.ts";
import type { SyncGroupRequest } from "../../src/kafka/apis/sync-group.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
} from "../../src/kafka/consumer-protocol.ts";
import { eventually } from "../helpers/program.ts";
import { toHex } from "./codec-harness.ts";
import { ASSIGNED_MEMBER_ID, FakeGroupBroker } from "./fake-group-broker.ts";

const TOPIC = "capture-topic";
const GROUP = "capture-group";

Deno.test({
  name: "kafkajs consumer group requests parse with our readers (JoinGroup v5, SyncGroup v3, LeaveGroup v3)",
  // kafkajs keeps timers of its own around disconnect; the broker is closed below.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using broker = new FakeGroupBroker(TOPIC);
    const kafka = new Kafka({
      clientId: "capture-client",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const consumer = kafka.consumer({
      groupId: GROUP,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      maxWaitTimeInMs: 200,
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC] });
      await consumer.run({ eachMessage: async () => {} });
      await eventually("kafkajs to sync", () => broker.requests(ApiKey.SyncGroup).length > 0);
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(broker.failures(), [], "every request parsed and answered");

    const [find] = broker.requests(ApiKey.FindCoordinator);
    assert.equal(find.header.apiVersion, 2);
    assert.deepEqual(find.body, { key: GROUP, keyType: 0 });

    const joins = broker.requests(ApiKey.JoinGroup);
    assert.equal(joins.length, 2, "a first join and a rejoin after MEMBER_ID_REQUIRED");
    for (const join of joins) assert.equal(join.header.apiVersion, 5);
    const [first, second] = joins.map((j) => j.body as JoinGroupRequest);
    assert.equal(first.groupId, GROUP);
    assert.equal(first.memberId, "");
    assert.equal(second.memberId, ASSIGNED_MEMBER_ID);
    assert.equal(first.sessionTimeoutMs, 30_000);
    assert.equal(first.rebalanceTimeoutMs, 60_000);
    assert.equal(first.groupInstanceId, null);
    assert.equal(first.protocolType, CONSUMER_PROTOCOL_TYPE);
    assert.deepEqual(first.protocols.map((p) => p.name), ["RoundRobinAssigner"]);
    // version 0, topics [TOPIC], user_data empty (not null): the bytes as kafkajs sends them.
    const topicHex = toHex(new TextEncoder().encode(TOPIC));
    assert.equal(
      toHex(first.protocols[0].metadata),
      `0000 00000001 000d ${topicHex} 00000000`.replaceAll(" ", ""),
    );
    const subscription = decodeSubscription(first.protocols[0].metadata);
    assert.equal(subscription.version, 0, "kafkajs sends Subscription v0");
    assert.deepEqual(subscription.topics, [TOPIC]);

    const [sync] = broker.requests(ApiKey.SyncGroup);
    assert.equal(sync.header.apiVersion, 3);
    const syncBody = sync.body as SyncGroupRequest;
    assert.equal(syncBody.generationId, 1);
    assert.equal(syncBody.memberId, ASSIGNED_MEMBER_ID);
    assert.equal(syncBody.assignments.length, 1, "the leader sends an assignment for every member");
    assert.equal(syncBody.assignments[0].memberId, ASSIGNED_MEMBER_ID);
    const assignment = decodeAssignment(syncBody.assignments[0].assignment);
    assert.deepEqual(assignment.assignedPartitions, [{ topic: TOPIC, partitions: [0] }]);

    // kafkajs may heartbeat while it has nothing to fetch, and leaves on disconnect.
    for (const heartbeat of broker.requests(ApiKey.Heartbeat)) {
      assert.equal(heartbeat.header.apiVersion, 3);
      assert.deepEqual(heartbeat.body, {
        groupId: GROUP,
        generationId: 1,
        memberId: ASSIGNED_MEMBER_ID,
        groupInstanceId: null,
      });
    }
    const [leave] = broker.requests(ApiKey.LeaveGroup);
    assert.ok(leave, "kafkajs sent LeaveGroup on disconnect");
    assert.equal(leave.header.apiVersion, 3);
    assert.deepEqual((leave.body as LeaveGroupRequest).members, [
      { memberId: ASSIGNED_MEMBER_ID, groupInstanceId: null },
    ]);
  },
});
