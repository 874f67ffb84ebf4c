/**
 * OffsetCommit v0-5: appended to the group's offsets partition; answered once committed there.
 * Partitions that do not exist answer UNKNOWN_TOPIC_OR_PARTITION and are not stored (as Kafka);
 * stale generations and unknown members are refused; groups with no members accept commits.
 */
import {
  type OffsetCommitRequest,
  readOffsetCommitRequest,
  writeOffsetCommitResponse,
} from "../../kafka/apis/offset-commit.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { OffsetCommitResult } from "../groups/mod.ts";
import type { GroupApi } from "../group-service.ts";

export function offsetCommitHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readOffsetCommitRequest(body, version);
    // Read on the group, then Read on each topic (Kafka's KafkaApis.handleOffsetCommitRequest).
    const refuse = (errorCode: number, topic: OffsetCommitRequest["topics"][number]) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    });
    if (!allowed(auth, request_, AclOperation.Read, ResourceType.Group, request.groupId)) {
      const topics = request.topics.map((topic) => refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED, topic));
      return (writer) => writeOffsetCommitResponse(writer, version, { throttleTimeMs: 0, topics });
    }
    const readable = (name: string) => allowed(auth, request_, AclOperation.Read, ResourceType.Topic, name);
    const committed = await commitExisting(groups, {
      ...request,
      topics: request.topics.filter((topic) => readable(topic.name)),
    });
    const topics = request.topics.map((topic) =>
      readable(topic.name)
        ? committed.find((done) => done.name === topic.name)!
        : refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED, topic)
    );
    return (writer) => writeOffsetCommitResponse(writer, version, { throttleTimeMs: 0, topics });
  };
}

/**
 * Commit the partitions that exist (through `commit`, OffsetCommit's by default); the others
 * answer UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function commitExisting<R extends Pick<OffsetCommitRequest, "topics">>(
  groups: GroupApi,
  request: R,
  commit: (request: R) => Promise<OffsetCommitResult> = (r) =>
    groups.coordinator.commitOffsets(r as unknown as OffsetCommitRequest),
) {
  const known = request.topics
    .map((topic) => ({
      ...topic,
      partitions: topic.partitions.filter((p) => groups.partitionExists(topic.name, p.partitionIndex)),
    }))
    .filter((topic) => topic.partitions.length > 0);
  const committed = known.length > 0 ? await commit({ ...request, topics: known }) : { topics: [] };
  const codes = new Map<string, Map<number, number>>();
  for (const topic of committed.topics) {
    const byPartition = codes.get(topic.name) ?? new Map<number, number>();
    for (const p of topic.partitions) byPartition.set(p.partitionIndex, p.errorCode);
    codes.set(topic.name, byPartition);
  }
  return request.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      errorCode: codes.get(topic.name)?.get(p.partitionIndex) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    })),
  }));
}
