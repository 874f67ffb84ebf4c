/**
 * Request handlers for the group APIs: decode the body with the src/kafka/apis codecs, call the
 * GroupCoordinator, return a function that writes the response body. Their shape is the broker's
 * RequestHandler ({header, body, remote} in, body writer out), declared here structurally so this
 * folder does not depend on the server's modules. The broker registers them with:
 *
 *   for (const [apiKey, handler] of groupHandlers(coordinator, { findCoordinator, partitionExists })) {
 *     handlers.set(apiKey, handler);
 *   }
 */
import { ApiKey } from "../../kafka/api-keys.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { RequestHeader } from "../../kafka/header.ts";
import { readDeleteGroupsRequest, writeDeleteGroupsResponse } from "../../kafka/apis/delete-groups.ts";
import { readDescribeGroupsRequest, writeDescribeGroupsResponse } from "../../kafka/apis/describe-groups.ts";
import {
  type FindCoordinatorResponse,
  readFindCoordinatorRequest,
  writeFindCoordinatorResponse,
} from "../../kafka/apis/find-coordinator.ts";
import { readHeartbeatRequest, writeHeartbeatResponse } from "../../kafka/apis/heartbeat.ts";
import { readJoinGroupRequest, writeJoinGroupResponse } from "../../kafka/apis/join-group.ts";
import { readLeaveGroupRequest, writeLeaveGroupResponse } from "../../kafka/apis/leave-group.ts";
import { readListGroupsRequest, writeListGroupsResponse } from "../../kafka/apis/list-groups.ts";
import {
  type OffsetCommitRequest,
  readOffsetCommitRequest,
  writeOffsetCommitResponse,
} from "../../kafka/apis/offset-commit.ts";
import { readOffsetFetchRequest, writeOffsetFetchResponse } from "../../kafka/apis/offset-fetch.ts";
import { readSyncGroupRequest, writeSyncGroupResponse } from "../../kafka/apis/sync-group.ts";
import type { Reader, Writer } from "../../wire/mod.ts";
import type { GroupCoordinator } from "./coordinator.ts";

/** What a handler sees of one request (structurally the broker's RequestContext). */
export interface GroupRequestContext {
  header: RequestHeader;
  body: Reader;
  /** "host:port" of the client. */
  remote: string;
}

/** Writes one response body. */
export type GroupResponseBody = (writer: Writer) => void;

export type GroupRequestHandler = (
  request: GroupRequestContext,
) => Promise<GroupResponseBody> | GroupResponseBody;

export interface GroupHandlerOptions {
  /**
   * FindCoordinator: the broker leading `__consumer_offsets` partition
   * `coordinator.partitionFor(key)`, creating the topic on first use. Answer errorCode
   * COORDINATOR_NOT_AVAILABLE (with nodeId -1, host "", port -1) while there is none.
   */
  findCoordinator: (
    key: string,
    keyType: number,
  ) => Promise<Pick<FindCoordinatorResponse, "errorCode" | "nodeId" | "host" | "port">>;
  /** Whether a topic partition exists; commits to others get UNKNOWN_TOPIC_OR_PARTITION. Default: all exist. */
  partitionExists?: (topic: string, partition: number) => boolean;
}

/** Kafka reports a member's host as "/" + its address. */
export function clientHostOf(remote: string): string {
  const colon = remote.lastIndexOf(":");
  const host = colon > 0 ? remote.slice(0, colon) : remote;
  return `/${host.replace(/^\[|\]$/g, "")}`;
}

/** Handlers for FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups. */
export function groupHandlers(
  coordinator: GroupCoordinator,
  options: GroupHandlerOptions,
): Map<number, GroupRequestHandler> {
  const partitionExists = options.partitionExists ?? (() => true);
  return new Map<number, GroupRequestHandler>([
    [ApiKey.FindCoordinator, async ({ header, body }) => {
      const version = header.apiVersion;
      const request = readFindCoordinatorRequest(body, version);
      const found = await options.findCoordinator(request.key, request.keyType ?? 0);
      return (w) =>
        writeFindCoordinatorResponse(w, version, { throttleTimeMs: 0, errorMessage: null, ...found });
    }],
    [ApiKey.JoinGroup, async ({ header, body, remote }) => {
      const version = header.apiVersion;
      const request = readJoinGroupRequest(body, version);
      const result = await coordinator.join({
        ...request,
        clientId: header.clientId ?? "",
        clientHost: clientHostOf(remote),
        requireKnownMemberId: version >= 4,
      });
      return (w) => writeJoinGroupResponse(w, version, { throttleTimeMs: 0, ...result });
    }],
    [ApiKey.SyncGroup, async ({ header, body }) => {
      const version = header.apiVersion;
      const result = await coordinator.sync(readSyncGroupRequest(body, version));
      return (w) => writeSyncGroupResponse(w, version, { throttleTimeMs: 0, ...result });
    }],
    [ApiKey.Heartbeat, ({ header, body }) => {
      const version = header.apiVersion;
      const errorCode = coordinator.heartbeat(readHeartbeatRequest(body, version));
      return (w) => writeHeartbeatResponse(w, version, { throttleTimeMs: 0, errorCode });
    }],
    [ApiKey.LeaveGroup, ({ header, body }) => {
      const version = header.apiVersion;
      const result = coordinator.leave(readLeaveGroupRequest(body, version), version);
      return (w) => writeLeaveGroupResponse(w, version, { throttleTimeMs: 0, ...result });
    }],
    [ApiKey.OffsetCommit, async ({ header, body }) => {
      const version = header.apiVersion;
      const request = readOffsetCommitRequest(body, version);
      const result = await commitExisting(coordinator, request, partitionExists);
      return (w) => writeOffsetCommitResponse(w, version, { throttleTimeMs: 0, ...result });
    }],
    [ApiKey.OffsetFetch, ({ header, body }) => {
      const version = header.apiVersion;
      const result = coordinator.fetchOffsets(readOffsetFetchRequest(body, version));
      return (w) => writeOffsetFetchResponse(w, version, { throttleTimeMs: 0, ...result });
    }],
    [ApiKey.DescribeGroups, ({ header, body }) => {
      const version = header.apiVersion;
      const request = readDescribeGroupsRequest(body, version);
      const groups = coordinator.describeGroups(request.groups).map((g) => ({
        ...g,
        authorizedOperations: -2147483648,
      }));
      return (w) => writeDescribeGroupsResponse(w, version, { throttleTimeMs: 0, groups });
    }],
    [ApiKey.ListGroups, ({ header, body }) => {
      const version = header.apiVersion;
      readListGroupsRequest(body, version);
      const { errorCode, groups } = coordinator.listGroups();
      const listed = groups.map(({ groupId, protocolType }) => ({ groupId, protocolType }));
      return (w) => writeListGroupsResponse(w, version, { throttleTimeMs: 0, errorCode, groups: listed });
    }],
    [ApiKey.DeleteGroups, async ({ header, body }) => {
      const version = header.apiVersion;
      const request = readDeleteGroupsRequest(body, version);
      const results = await coordinator.deleteGroups(request.groupsNames);
      return (w) => writeDeleteGroupsResponse(w, version, { throttleTimeMs: 0, results });
    }],
  ]);
}

/** Commit only partitions that exist (as Kafka does); the others answer UNKNOWN_TOPIC_OR_PARTITION. */
async function commitExisting(
  coordinator: GroupCoordinator,
  request: OffsetCommitRequest,
  partitionExists: (topic: string, partition: number) => boolean,
) {
  const known = request.topics.map((t) => ({
    ...t,
    partitions: t.partitions.filter((p) => partitionExists(t.name, p.partitionIndex)),
  })).filter((t) => t.partitions.length > 0);
  const committed = known.length > 0
    ? await coordinator.commitOffsets({ ...request, topics: known })
    : { topics: [] };
  const codes = new Map<string, number>();
  for (const t of committed.topics) {
    for (const p of t.partitions) codes.set(`${p.partitionIndex}\u0000${t.name}`, p.errorCode);
  }
  return {
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: codes.get(`${p.partitionIndex}\u0000${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      })),
    })),
  };
}
