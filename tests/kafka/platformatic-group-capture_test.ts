/**
 * Real client bytes from @platformatic/kafka: its Consumer joins a group on a fake broker
 * (./fake-group-broker.ts) that parses every group request with our readers. Checks what it
 * actually sends: JoinGroup v5 with a v1 Subscription (null user data), SyncGroup v3 with the
 * leader's Assignment, LeaveGroup v3 on close.
 */
import assert from "node:assert/strict";
import { Consumer } from "@platformatic/kafka";
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
const GROUP = "platformatic-group";

Deno.test({
  name:
    "@platformatic/kafka group requests parse with our readers (JoinGroup v5, Subscription v1, SyncGroup v3)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using broker = new FakeGroupBroker(TOPIC);
    const consumer = new Consumer({
      groupId: GROUP,
      clientId: "capture-client",
      bootstrapBrokers: [`127.0.0.1:${broker.port}`],
    });
    try {
      const stream = await consumer.consume({ topics: [TOPIC] });
      await eventually("platformatic to sync", () => broker.requests(ApiKey.SyncGroup).length > 0);
      await stream.close();
    } finally {
      await consumer.close(true);
    }
    assert.deepEqual(broker.failures(), [], "every request parsed and answered");

    const joins = broker.requests(ApiKey.JoinGroup);
    assert.equal(joins.length, 2, "a first join and a rejoin after MEMBER_ID_REQUIRED");
    for (const join of joins) assert.equal(join.header.apiVersion, 5);
    const [first, second] = joins.map((j) => j.body as JoinGroupRequest);
    assert.equal(first.memberId, "");
    assert.equal(second.memberId, ASSIGNED_MEMBER_ID);
    assert.equal(first.groupId, GROUP);
    assert.equal(first.protocolType, CONSUMER_PROTOCOL_TYPE);
    assert.deepEqual(first.protocols.map((p) => p.name), ["roundrobin"]);
    // version 1, topics [TOPIC], user_data null, owned_partitions []: platformatic's bytes.
    const topicHex = toHex(new TextEncoder().encode(TOPIC));
    assert.equal(
      toHex(first.protocols[0].metadata),
      `0001 00000001 000d ${topicHex} ffffffff 00000000`.replaceAll(" ", ""),
    );
    const subscription = decodeSubscription(first.protocols[0].metadata);
    assert.equal(subscription.version, 1);
    assert.equal(subscription.userData, null);

    const [sync] = broker.requests(ApiKey.SyncGroup);
    assert.equal(sync.header.apiVersion, 3);
    const syncBody = sync.body as SyncGroupRequest;
    assert.equal(syncBody.memberId, ASSIGNED_MEMBER_ID);
    assert.equal(syncBody.assignments.length, 1);
    const assignment = decodeAssignment(syncBody.assignments[0].assignment);
    assert.deepEqual(assignment.assignedPartitions, [{ topic: TOPIC, partitions: [0] }]);
    assert.equal(assignment.userData, null);

    const [leave] = broker.requests(ApiKey.LeaveGroup);
    assert.ok(leave, "platformatic sent LeaveGroup on close");
    assert.equal(leave.header.apiVersion, 3);
    assert.deepEqual((leave.body as LeaveGroupRequest).members, [
      { memberId: ASSIGNED_MEMBER_ID, groupInstanceId: null },
    ]);
  },
});
