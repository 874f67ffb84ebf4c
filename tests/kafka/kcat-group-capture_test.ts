/**
 * Real client bytes from librdkafka: `kcat -G` (balanced consumer) joins a group on a fake
 * broker (./fake-group-broker.ts) that parses every group request with our readers. Checks
 * what librdkafka actually sends: JoinGroup with its assignors and a v1 Subscription (with
 * owned partitions), and SyncGroup with the leader's assignment.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import type { JoinGroupRequest } from "../../src/kafka/apis/join-group.ts";
import type { SyncGroupRequest } from "../../src/kafka/apis/sync-group.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
} from "../../src/kafka/consumer-protocol.ts";
import { eventually } from "../helpers/program.ts";
import { PEERS, peerTest } from "../helpers/peers.ts";
import { toHex } from "./codec-harness.ts";
import { ASSIGNED_MEMBER_ID, FakeGroupBroker } from "./fake-group-broker.ts";

const TOPIC = "capture-topic";
const GROUP = "kcat-group";

peerTest("kcat -G group requests parse with our readers (JoinGroup, Subscription v1, SyncGroup)", [
  PEERS.kcat,
], async () => {
  await using broker = new FakeGroupBroker(TOPIC);
  const kcat = new Deno.Command("kcat", {
    args: ["-b", `127.0.0.1:${broker.port}`, "-G", GROUP, "-q", "-X", "session.timeout.ms=30000", TOPIC],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  try {
    await eventually("kcat to sync", () => broker.requests(ApiKey.SyncGroup).length > 0);
  } finally {
    kcat.kill("SIGTERM");
    const output = await kcat.output().catch(() => undefined);
    stderr = new TextDecoder().decode(output?.stderr ?? new Uint8Array());
  }
  assert.deepEqual(broker.failures(), [], `every request parsed and answered; kcat said: ${stderr}`);

  const joins = broker.requests(ApiKey.JoinGroup);
  assert.ok(joins.length >= 1);
  const last = joins.at(-1)!;
  assert.equal(last.header.apiVersion, 5, "librdkafka uses JoinGroup v5");
  const join = last.body as JoinGroupRequest;
  assert.equal(join.groupId, GROUP);
  assert.equal(join.memberId, ASSIGNED_MEMBER_ID);
  assert.equal(join.sessionTimeoutMs, 30_000);
  assert.equal(join.protocolType, CONSUMER_PROTOCOL_TYPE);
  assert.ok(
    join.protocols.some((p) => p.name === "range"),
    `protocols: ${join.protocols.map((p) => p.name)}`,
  );
  // version 1, topics [TOPIC], user_data empty, owned_partitions []: librdkafka 2.0's bytes.
  const topicHex = toHex(new TextEncoder().encode(TOPIC));
  const expected = `0001 00000001 000d ${topicHex} 00000000 00000000`.replaceAll(" ", "");
  assert.equal(toHex(join.protocols[0].metadata), expected);
  for (const protocol of join.protocols) {
    const subscription = decodeSubscription(protocol.metadata);
    assert.equal(subscription.topics.includes(TOPIC), true);
    assert.ok(subscription.version >= 1, `librdkafka sends Subscription v1+, got v${subscription.version}`);
    assert.deepEqual(subscription.ownedPartitions, []);
  }

  const [sync] = broker.requests(ApiKey.SyncGroup);
  assert.equal(sync.header.apiVersion, 3);
  const syncBody = sync.body as SyncGroupRequest;
  assert.equal(syncBody.memberId, ASSIGNED_MEMBER_ID);
  assert.equal(syncBody.assignments.length, 1);
  assert.deepEqual(decodeAssignment(syncBody.assignments[0].assignment).assignedPartitions, [
    { topic: TOPIC, partitions: [0] },
  ]);

  // On SIGTERM kcat closes its consumer, which leaves the group (librdkafka uses LeaveGroup v1).
  const leave = await eventually("kcat to leave", () => broker.requests(ApiKey.LeaveGroup)[0], 10_000);
  assert.equal(leave.header.apiVersion, 1);
  assert.deepEqual(leave.body, {
    groupId: GROUP,
    memberId: ASSIGNED_MEMBER_ID,
    members: [{ memberId: ASSIGNED_MEMBER_ID, groupInstanceId: null }],
  });
});
