/**
 * A fake single-node broker for capture tests: it answers just enough for an unmodified
 * client's consumer group to find its coordinator, join (MEMBER_ID_REQUIRED first, then a
 * one-member generation), sync (with an empty assignment, so the client never fetches),
 * heartbeat and leave. ApiVersions and Metadata v0 are written by hand; the group APIs with
 * our own codecs, whose readers must consume each request body exactly. Every request is
 * recorded with its header, decoded body and raw body bytes.
 */
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readFindCoordinatorRequest,
  writeFindCoordinatorResponse,
} from "../../src/kafka/apis/find-coordinator.ts";
import { readHeartbeatRequest, writeHeartbeatResponse } from "../../src/kafka/apis/heartbeat.ts";
import { readJoinGroupRequest, writeJoinGroupResponse } from "../../src/kafka/apis/join-group.ts";
import { readLeaveGroupRequest, writeLeaveGroupResponse } from "../../src/kafka/apis/leave-group.ts";
import { readOffsetCommitRequest, writeOffsetCommitResponse } from "../../src/kafka/apis/offset-commit.ts";
import { readOffsetFetchRequest, writeOffsetFetchResponse } from "../../src/kafka/apis/offset-fetch.ts";
import { readSyncGroupRequest, writeSyncGroupResponse } from "../../src/kafka/apis/sync-group.ts";
import { readDeleteGroupsRequest, writeDeleteGroupsResponse } from "../../src/kafka/apis/delete-groups.ts";
import {
  readDescribeGroupsRequest,
  writeDescribeGroupsResponse,
} from "../../src/kafka/apis/describe-groups.ts";
import { readListGroupsRequest, writeListGroupsResponse } from "../../src/kafka/apis/list-groups.ts";
import { encodeAssignment, encodeSubscription } from "../../src/kafka/consumer-protocol.ts";
import { readRequestHeader, type RequestHeader } from "../../src/kafka/header.ts";
import { frame, FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";

export const NODE_ID = 0;
/** The member id the fake coordinator hands out with MEMBER_ID_REQUIRED. */
export const ASSIGNED_MEMBER_ID = "capture-member-1";

export interface Captured {
  header: RequestHeader;
  /** Decoded body, or an error text for requests that failed to parse. */
  body: unknown;
  /** The body bytes as received (after the header). */
  raw: Uint8Array;
}

/** Advertised versions: the group APIs in full, Metadata v0 only (written by hand). */
const ADVERTISED: [number, number, number][] = [
  [ApiKey.Produce, 3, 7],
  [ApiKey.Fetch, 4, 11],
  [ApiKey.ListOffsets, 0, 2],
  [ApiKey.Metadata, 0, 0],
  [ApiKey.OffsetCommit, 0, 5],
  [ApiKey.OffsetFetch, 0, 4],
  [ApiKey.FindCoordinator, 0, 2],
  [ApiKey.JoinGroup, 0, 5],
  [ApiKey.Heartbeat, 0, 3],
  [ApiKey.LeaveGroup, 0, 3],
  [ApiKey.SyncGroup, 0, 3],
  [ApiKey.DescribeGroups, 0, 4],
  [ApiKey.ListGroups, 0, 2],
  [ApiKey.ApiVersions, 0, 2],
  [ApiKey.DeleteGroups, 0, 1],
];

/** The one group ListGroups reports; DescribeGroups says it is Stable with one member. */
export const LISTED_GROUP = "listed-group";

const UNSUPPORTED_VERSION = 35;

export class FakeGroupBroker implements AsyncDisposable {
  readonly seen: Captured[] = [];
  readonly port: number;
  readonly #topic: string;
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  constructor(topic: string) {
    this.#topic = topic;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accepting = this.#accept();
  }

  /** Requests with the given API key, in arrival order. */
  requests(apiKey: number): Captured[] {
    return this.seen.filter((s) => s.header.apiKey === apiKey);
  }

  /** Requests that failed to parse or that the fake does not answer. */
  failures(): Captured[] {
    return this.seen.filter((s) => typeof s.body === "string");
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        this.#serve(conn).finally(() => this.#conns.delete(conn));
      }
    } catch { /* listener closed */ }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const decoder = new FrameDecoder(1 << 20);
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        for (const payload of decoder.push(buffer.slice(0, n))) {
          const response = this.#handle(payload);
          if (response === undefined) return; // closing tells the client we cannot answer
          await conn.write(frame(response));
        }
      }
    } catch {
      /* peer went away */
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }

  #handle(payload: Uint8Array): Uint8Array | undefined {
    const peek = new Reader(payload);
    const apiKey = peek.int16();
    const apiVersion = peek.int16();
    const correlationId = peek.int32();
    const writer = new Writer().int32(correlationId);
    if (apiKey === ApiKey.ApiVersions && apiVersion > 2) {
      // Like Kafka for a version it does not know: a v0 body with UNSUPPORTED_VERSION.
      this.seen.push({
        header: { apiKey, apiVersion, correlationId, clientId: null },
        body: {},
        raw: payload,
      });
      this.#apiVersionsBody(writer, 0, UNSUPPORTED_VERSION);
      return writer.toBytes();
    }
    const reader = new Reader(payload);
    const header = readRequestHeader(reader);
    const raw = payload.slice(reader.position);
    try {
      const body = this.#answer(header, reader, writer);
      reader.expectEnd(`ApiKey ${apiKey} v${apiVersion} body`);
      this.seen.push({ header, body, raw });
      return writer.toBytes();
    } catch (error) {
      this.seen.push({ header, body: String(error), raw });
      return undefined;
    }
  }

  #apiVersionsBody(writer: Writer, version: number, errorCode = 0): void {
    writer.int16(errorCode).array(ADVERTISED, (w, [key, min, max]) => w.int16(key).int16(min).int16(max));
    if (version >= 1) writer.int32(0);
  }

  #answer(header: RequestHeader, reader: Reader, writer: Writer): unknown {
    const v = header.apiVersion;
    switch (header.apiKey) {
      case ApiKey.ApiVersions:
        this.#apiVersionsBody(writer, v);
        return {};
      case ApiKey.Metadata: {
        const topics = reader.array((r) => r.string(), 2);
        this.#metadataV0Body(writer);
        return { topics };
      }
      case ApiKey.ListOffsets:
        return this.#listOffsets(reader, writer, v);
      case ApiKey.FindCoordinator: {
        const body = readFindCoordinatorRequest(reader, v);
        writeFindCoordinatorResponse(writer, v, {
          errorCode: 0,
          nodeId: NODE_ID,
          host: "127.0.0.1",
          port: this.port,
        });
        return body;
      }
      case ApiKey.JoinGroup: {
        const body = readJoinGroupRequest(reader, v);
        const first = body.memberId === "";
        const protocol = body.protocols[0];
        writeJoinGroupResponse(writer, v, {
          errorCode: first && v >= 4 ? 79 : 0, // MEMBER_ID_REQUIRED
          generationId: first && v >= 4 ? -1 : 1,
          protocolName: first && v >= 4 ? "" : protocol.name,
          leader: first && v >= 4 ? "" : ASSIGNED_MEMBER_ID,
          memberId: ASSIGNED_MEMBER_ID,
          members: first && v >= 4
            ? []
            : [{ memberId: ASSIGNED_MEMBER_ID, groupInstanceId: null, metadata: protocol.metadata }],
        });
        return body;
      }
      case ApiKey.SyncGroup: {
        const body = readSyncGroupRequest(reader, v);
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
        const topics = (body.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({
            partitionIndex: p,
            committedOffset: -1,
            metadata: "",
            errorCode: 0,
          })),
        }));
        writeOffsetFetchResponse(writer, v, { topics, errorCode: 0 });
        return body;
      }
      case ApiKey.OffsetCommit: {
        const body = readOffsetCommitRequest(reader, v);
        const topics = body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
        }));
        writeOffsetCommitResponse(writer, v, { topics });
        return body;
      }
      case ApiKey.ListGroups: {
        const body = readListGroupsRequest(reader, v);
        writeListGroupsResponse(writer, v, {
          errorCode: 0,
          groups: [{ groupId: LISTED_GROUP, protocolType: "consumer" }],
        });
        return body;
      }
      case ApiKey.DescribeGroups: {
        const body = readDescribeGroupsRequest(reader, v);
        writeDescribeGroupsResponse(writer, v, { groups: body.groups.map((g) => this.#describe(g)) });
        return body;
      }
      case ApiKey.DeleteGroups: {
        const body = readDeleteGroupsRequest(reader, v);
        const results = body.groupsNames.map((groupId) => ({ groupId, errorCode: 0 }));
        writeDeleteGroupsResponse(writer, v, { throttleTimeMs: 0, results });
        return body;
      }
      case ApiKey.LeaveGroup: {
        const body = readLeaveGroupRequest(reader, v);
        const members = (body.members ?? []).map((m) => ({ ...m, errorCode: 0 }));
        writeLeaveGroupResponse(writer, v, { errorCode: 0, members });
        return body;
      }
      default:
        throw new Error(`Unanswered ApiKey ${header.apiKey} v${v}`);
    }
  }

  #describe(groupId: string) {
    if (groupId !== LISTED_GROUP) {
      return { errorCode: 0, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [] };
    }
    return {
      errorCode: 0,
      groupId,
      groupState: "Stable",
      protocolType: "consumer",
      protocolData: "RoundRobinAssigner",
      members: [{
        memberId: ASSIGNED_MEMBER_ID,
        groupInstanceId: null,
        clientId: "member-client",
        clientHost: "/127.0.0.1",
        memberMetadata: encodeSubscription({
          version: 0,
          topics: [this.#topic],
          userData: new Uint8Array(0),
        }),
        memberAssignment: encodeAssignment({
          version: 0,
          assignedPartitions: [{ topic: this.#topic, partitions: [0] }],
          userData: new Uint8Array(0),
        }),
      }],
    };
  }

  /**
   * ListOffsets v1–2 by hand (the kafka-core codec is not on this branch): every partition is
   * empty, so every offset asked for is 0.
   * Request  => replica_id INT32 [v2: isolation_level INT8] topics [name partitions [index timestamp INT64]]
   * Response => [v2: throttle_time_ms INT32] topics [name partitions [index error_code timestamp offset]]
   */
  #listOffsets(reader: Reader, writer: Writer, version: number): unknown {
    if (version < 1) throw new Error(`Unanswered ListOffsets v${version}`);
    const replicaId = reader.int32();
    const isolationLevel = version >= 2 ? reader.int8() : 0;
    const topics = reader.array((r) => ({
      name: r.string(),
      partitions: r.array((pr) => ({ index: pr.int32(), timestamp: pr.int64n() }), 12) ?? [],
    }), 6) ?? [];
    if (version >= 2) writer.int32(0);
    writer.array(topics, (w, t) => {
      w.string(t.name).array(t.partitions, (pw, p) => pw.int32(p.index).int16(0).int64n(-1).int64n(0));
    });
    return { replicaId, isolationLevel, topics };
  }

  #metadataV0Body(writer: Writer): void {
    // brokers [node_id host port]; topics [error_code name partitions [error_code index leader
    // replicas isr]]: the one topic with one partition led by this node.
    writer.array([NODE_ID], (w, id) => w.int32(id).string("127.0.0.1").int32(this.port));
    writer.array([this.#topic], (w, name) => {
      w.int16(0).string(name);
      w.array([0], (pw, index) => {
        pw.int16(0).int32(index).int32(NODE_ID);
        pw.array([NODE_ID], (rw, id) => rw.int32(id)).array([NODE_ID], (iw, id) => iw.int32(id));
      });
    });
  }

  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await this.#accepting;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
