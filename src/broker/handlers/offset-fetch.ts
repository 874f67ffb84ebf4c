/**
 * OffsetFetch v0-7: committed offsets (-1 when none); a null topic list (v2+) asks for all;
 * require_stable (v7) answers UNSTABLE_OFFSET_COMMIT where an open transaction commits a partition.
 */
import {
  type OffsetFetchRequestTopic,
  readOffsetFetchRequest,
  writeOffsetFetchResponse,
} from "../../kafka/apis/offset-fetch.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, type AuthorizationContext } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function offsetFetchHandler(groups: GroupApi, auth: AuthorizationContext = {}): RequestHandler {
  return (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readOffsetFetchRequest(body, version);
    // Describe on the group; then Describe on each topic: named ones refused by name, and a
    // request for all topics sees only those it may describe (as Kafka).
    if (!allowed(auth, request_, AclOperation.Describe, ResourceType.Group, request.groupId)) {
      const topics = (request.topics ?? []).map((topic) =>
        refused(topic, ErrorCode.GROUP_AUTHORIZATION_FAILED)
      );
      return (writer) =>
        writeOffsetFetchResponse(writer, version, {
          throttleTimeMs: 0,
          errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
          topics,
        });
    }
    const describable = (name: string) =>
      allowed(auth, request_, AclOperation.Describe, ResourceType.Topic, name);
    const fetched = groups.coordinator.fetchOffsets(
      request.topics === null
        ? request
        : { ...request, topics: request.topics.filter((t) => describable(t.name)) },
    );
    const result = {
      errorCode: fetched.errorCode,
      topics: request.topics === null
        ? fetched.topics.filter((topic) => describable(topic.name))
        : request.topics.map((topic) =>
          describable(topic.name)
            ? fetched.topics.find((t) => t.name === topic.name) ?? { name: topic.name, partitions: [] }
            : refused(topic, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        ),
    };
    return (writer) =>
      writeOffsetFetchResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        topics: result.topics,
      });
  };
}

/** Every asked-for partition of a topic, refused with `errorCode`. */
function refused(topic: OffsetFetchRequestTopic, errorCode: number) {
  return {
    name: topic.name,
    partitions: topic.partitionIndexes.map((partitionIndex) => ({
      partitionIndex,
      committedOffset: -1,
      metadata: null,
      errorCode,
    })),
  };
}
