/**
 * Real client bytes: an unmodified kafkajs 2.2.4 consumer joins a group on a fake broker
 * (./fake-group-broker.ts) that parses every group request with our readers. Checks what
 * kafkajs actually sends: FindCoordinator v2, JoinGroup v5 (first with an empty member id,
 * then with the one MEMBER_ID_REQUIRED handed out), a v0 Subscription, SyncGroup v3 with a
 * leader Assignment, OffsetCommit v5, LeaveGroup v3 on disconnect; and from its admin client
 * ListGroups v2, DescribeGroups v2, OffsetFetch v4, DeleteGroups v1. kafkajs in turn parses
 * every response our writers produced, and its AssignerProtocol decodes our
 * Subscription/Assignment bytes.
 */
import assert from "node:assert/strict";
import { AssignerProtocol, Kafka, logLevel } from "kafkajs";
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
import { ASSIGNED_MEMBER_ID, FakeGroupBroker, LISTED_GROUP } from "./fake-group-broker.ts";

const TOPIC = "capture-topic";
const GROUP = "capture-group";

Deno.test({
  name:
    "kafkajs consumer group requests parse with our readers (JoinGroup v5, SyncGroup v3, OffsetCommit v5, LeaveGroup v3)",
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
      await consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: "42" }]);
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

    const [commit] = broker.requests(ApiKey.OffsetCommit);
    assert.ok(commit, "kafkajs sent OffsetCommit");
    assert.equal(commit.header.apiVersion, 5);
    assert.deepEqual(commit.body, {
      groupId: GROUP,
      generationId: 1,
      memberId: ASSIGNED_MEMBER_ID,
      retentionTimeMs: -1,
      topics: [{
        name: TOPIC,
        partitions: [{
          partitionIndex: 0,
          committedOffset: 42,
          commitTimestamp: -1,
          committedMetadata: null,
        }],
      }],
    });

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

Deno.test({
  name: "kafkajs admin group requests parse with our readers, and kafkajs reads our consumer-protocol bytes",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using broker = new FakeGroupBroker(TOPIC);
    const kafka = new Kafka({
      clientId: "capture-admin",
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100 },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const listed = await admin.listGroups();
      assert.deepEqual(listed.groups, [{ groupId: LISTED_GROUP, protocolType: "consumer" }]);

      const described = await admin.describeGroups([LISTED_GROUP]);
      const [group] = described.groups;
      assert.equal(group.state, "Stable");
      assert.equal(group.protocol, "RoundRobinAssigner");
      const [member] = group.members;
      assert.equal(member.memberId, ASSIGNED_MEMBER_ID);
      assert.equal(member.clientHost, "/127.0.0.1");
      // kafkajs's own decoders accept the Subscription and Assignment bytes we wrote.
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
      assert.deepEqual(metadata?.topics, [TOPIC]);
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      assert.deepEqual(assignment?.assignment, { [TOPIC]: [0] });

      const offsets = await admin.fetchOffsets({ groupId: LISTED_GROUP, topics: [TOPIC] });
      assert.deepEqual(offsets.map((t) => ({ topic: t.topic, offsets: t.partitions.map((p) => p.offset) })), [
        { topic: TOPIC, offsets: ["-1"] },
      ]);

      const deleted = await admin.deleteGroups([LISTED_GROUP]);
      assert.deepEqual(deleted.map((d) => [d.groupId, d.errorCode]), [[LISTED_GROUP, 0]]);
    } finally {
      await admin.disconnect();
    }
    assert.deepEqual(broker.failures(), [], "every request parsed and answered");
    const versionsUsed = (apiKey: number) => broker.requests(apiKey).map((r) => r.header.apiVersion);
    // kafkajs 2.2.4 admin picks ListGroups v2, DescribeGroups v2, OffsetFetch v4, DeleteGroups v1.
    assert.deepEqual(versionsUsed(ApiKey.ListGroups), [2]);
    assert.deepEqual(versionsUsed(ApiKey.DescribeGroups), [2]);
    assert.deepEqual(versionsUsed(ApiKey.OffsetFetch), [4]);
    assert.deepEqual(versionsUsed(ApiKey.DeleteGroups), [1]);
    const [fetch] = broker.requests(ApiKey.OffsetFetch);
    assert.deepEqual(fetch.body, { groupId: LISTED_GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }] });
    const [deleteRequest] = broker.requests(ApiKey.DeleteGroups);
    assert.deepEqual(deleteRequest.body, { groupsNames: [LISTED_GROUP] });
  },
});
