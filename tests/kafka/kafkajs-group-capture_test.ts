/**
 * Real client bytes: a tiny fake broker on 127.0.0.1 answers just enough (ApiVersions and
 * Metadata by hand, the group APIs with our own codecs) for an unmodified kafkajs 2.2.4
 * consumer to find its coordinator, join (twice: MEMBER_ID_REQUIRED first), sync and leave.
 * Every group request kafkajs sends is parsed with our readers, which must consume the body
 * exactly; the JoinGroup metadata must parse as a consumer-protocol Subscription and the
 * leader's SyncGroup assignment as an Assignment.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readFindCoordinatorRequest,
  writeFindCoordinatorResponse,
} from "../../src/kafka/apis/find-coordinator.ts";
import { readHeartbeatRequest, writeHeartbeatResponse } from "../../src/kafka/apis/heartbeat.ts";
import {
  type JoinGroupRequest,
  readJoinGroupRequest,
  writeJoinGroupResponse,
} from "../../src/kafka/apis/join-group.ts";
import {
  type LeaveGroupRequest,
  readLeaveGroupRequest,
  writeLeaveGroupResponse,
} from "../../src/kafka/apis/leave-group.ts";
import { readOffsetFetchRequest, writeOffsetFetchResponse } from "../../src/kafka/apis/offset-fetch.ts";
import {
  readSyncGroupRequest,
  type SyncGroupRequest,
  writeSyncGroupResponse,
} from "../../src/kafka/apis/sync-group.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
} from "../../src/kafka/consumer-protocol.ts";
import { readRequestHeader, type RequestHeader } from "../../src/kafka/header.ts";
import { frame, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";
import { eventually } from "../helpers/program.ts";
import { toHex } from "./codec-harness.ts";

const TOPIC = "capture-topic";
const GROUP = "capture-group";
const NODE_ID = 0;
const ASSIGNED_MEMBER_ID = "kafkajs-capture-1";

/** What the fake broker saw, in arrival order. */
interface Captured {
  header: RequestHeader;
  body: unknown;
}

/** Versions the fake broker advertises: the group APIs in full, the rest minimal. */
const ADVERTISED: [number, number, number][] = [
  [ApiKey.Metadata, 0, 0],
  [ApiKey.OffsetFetch, 0, 4],
  [ApiKey.FindCoordinator, 0, 2],
  [ApiKey.JoinGroup, 0, 5],
  [ApiKey.Heartbeat, 0, 3],
  [ApiKey.LeaveGroup, 0, 3],
  [ApiKey.SyncGroup, 0, 3],
  [ApiKey.ApiVersions, 0, 2],
];

function apiVersionsBody(writer: Writer, version: number): void {
  // v0–2: error_code INT16 api_keys [api_key INT16 min INT16 max INT16] (v1+: throttle_time_ms INT32)
  writer.int16(0).array(ADVERTISED, (w, [key, min, max]) => w.int16(key).int16(min).int16(max));
  if (version >= 1) writer.int32(0);
}

function metadataV0Body(writer: Writer, port: number): void {
  // brokers [node_id host port] topics [error_code name partitions [error_code index leader replicas isr]]
  writer.array([0], (w) => w.int32(NODE_ID).string("127.0.0.1").int32(port));
  writer.array([TOPIC], (w, name) => {
    w.int16(0).string(name);
    w.array([0], (pw, index) => {
      pw.int16(0).int32(index).int32(NODE_ID);
      pw.array([NODE_ID], (rw, id) => rw.int32(id)).array([NODE_ID], (iw, id) => iw.int32(id));
    });
  });
}

/** Answer one request; returns the decoded body, or undefined for requests we do not answer. */
function answer(
  header: RequestHeader,
  reader: Reader,
  writer: Writer,
  port: number,
  seen: Captured[],
): unknown {
  const v = header.apiVersion;
  switch (header.apiKey) {
    case ApiKey.ApiVersions:
      apiVersionsBody(writer, v);
      return {};
    case ApiKey.Metadata: {
      const topics = reader.array((r) => r.string(), 2); // v0 request: topics [STRING]
      metadataV0Body(writer, port);
      return { topics };
    }
    case ApiKey.FindCoordinator: {
      const body = readFindCoordinatorRequest(reader, v);
      writeFindCoordinatorResponse(writer, v, { errorCode: 0, nodeId: NODE_ID, host: "127.0.0.1", port });
      return body;
    }
    case ApiKey.JoinGroup: {
      const body = readJoinGroupRequest(reader, v);
      if (body.memberId === "") {
        writeJoinGroupResponse(writer, v, {
          errorCode: 79, // MEMBER_ID_REQUIRED
          generationId: -1,
          protocolName: "",
          leader: "",
          memberId: ASSIGNED_MEMBER_ID,
          members: [],
        });
      } else {
        writeJoinGroupResponse(writer, v, {
          errorCode: 0,
          generationId: 1,
          protocolName: body.protocols[0].name,
          leader: body.memberId,
          memberId: body.memberId,
          members: [{ memberId: body.memberId, groupInstanceId: null, metadata: body.protocols[0].metadata }],
        });
      }
      return body;
    }
    case ApiKey.SyncGroup: {
      const body = readSyncGroupRequest(reader, v);
      // Give the member nothing, so kafkajs never needs ListOffsets or Fetch from us.
      const assignment = encodeAssignment({
        version: 0,
        assignedPartitions: [],
        userData: new Uint8Array(0),
      });
      writeSyncGroupResponse(writer, v, { errorCode: 0, assignment });
      return body;
    }
    case ApiKey.Heartbeat: {
      const body = readHeartbeatRequest(reader, v);
      writeHeartbeatResponse(writer, v, { errorCode: 0 });
      return body;
    }
    case ApiKey.OffsetFetch: {
      const body = readOffsetFetchRequest(reader, v);
      writeOffsetFetchResponse(writer, v, { topics: [], errorCode: 0 });
      return body;
    }
    case ApiKey.LeaveGroup: {
      const body = readLeaveGroupRequest(reader, v);
      const members = (body.members ?? []).map((m) => ({ ...m, errorCode: 0 }));
      writeLeaveGroupResponse(writer, v, { errorCode: 0, members });
      return body;
    }
    default:
      seen.push({ header, body: "unanswered" });
      return undefined;
  }
}

async function serve(conn: Deno.Conn, port: number, seen: Captured[]): Promise<void> {
  const decoder = new FrameDecoder(1 << 20);
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) return;
      for (const payload of decoder.push(buffer.slice(0, n))) {
        const reader = new Reader(payload);
        const header = readRequestHeader(reader);
        const writer = new Writer().int32(header.correlationId);
        const body = answer(header, reader, writer, port, seen);
        if (body === undefined) return; // close: kafkajs treats it as a broken connection
        reader.expectEnd(`${header.apiKey} v${header.apiVersion} body`);
        seen.push({ header, body });
        await conn.write(frame(writer.toBytes()));
      }
    }
  } catch (error) {
    seen.push({
      header: { apiKey: -1, apiVersion: -1, correlationId: -1, clientId: null },
      body: String(error),
    });
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

Deno.test({
  name: "kafkajs consumer group requests parse with our readers (JoinGroup v5, SyncGroup v3, LeaveGroup v3)",
  // kafkajs keeps its own timers and sockets around disconnect; the listener is closed below.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const seen: Captured[] = [];
    const connections: Promise<void>[] = [];
    const accepting = (async () => {
      for await (const conn of listener) connections.push(serve(conn, port, seen));
    })().catch(() => {});

    const kafka = new Kafka({
      clientId: "capture-client",
      brokers: [`127.0.0.1:${port}`],
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
      await eventually("kafkajs to sync", () => seen.some((s) => s.header.apiKey === ApiKey.SyncGroup));
    } finally {
      await consumer.disconnect();
      listener.close();
      await accepting;
    }

    const failures = seen.filter((s) => s.header.apiKey === -1 || s.body === "unanswered");
    assert.deepEqual(failures, [], "every request parsed and answered");

    const find = seen.find((s) => s.header.apiKey === ApiKey.FindCoordinator)!;
    assert.equal(find.header.apiVersion, 2);
    assert.deepEqual(find.body, { key: GROUP, keyType: 0 });

    const joins = seen.filter((s) => s.header.apiKey === ApiKey.JoinGroup);
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
    assert.equal(subscription.userData?.length ?? 0, 0);

    const sync = seen.find((s) => s.header.apiKey === ApiKey.SyncGroup)!;
    assert.equal(sync.header.apiVersion, 3);
    const syncBody = sync.body as SyncGroupRequest;
    assert.equal(syncBody.generationId, 1);
    assert.equal(syncBody.memberId, ASSIGNED_MEMBER_ID);
    assert.equal(syncBody.assignments.length, 1, "the leader sends an assignment for every member");
    assert.equal(syncBody.assignments[0].memberId, ASSIGNED_MEMBER_ID);
    const assignment = decodeAssignment(syncBody.assignments[0].assignment);
    assert.deepEqual(assignment.assignedPartitions, [{ topic: TOPIC, partitions: [0] }]);

    // kafkajs heartbeats while it has nothing to fetch, and leaves on disconnect.
    const heartbeat = seen.find((s) => s.header.apiKey === ApiKey.Heartbeat);
    if (heartbeat !== undefined) {
      assert.equal(heartbeat.header.apiVersion, 3);
      assert.deepEqual(heartbeat.body, {
        groupId: GROUP,
        generationId: 1,
        memberId: ASSIGNED_MEMBER_ID,
        groupInstanceId: null,
      });
    }
    const leave = seen.find((s) => s.header.apiKey === ApiKey.LeaveGroup);
    assert.ok(leave, "kafkajs sent LeaveGroup on disconnect");
    assert.equal(leave.header.apiVersion, 3);
    assert.deepEqual((leave.body as LeaveGroupRequest).members, [
      { memberId: ASSIGNED_MEMBER_ID, groupInstanceId: null },
    ]);
  },
});
