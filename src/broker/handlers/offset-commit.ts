/**
 * OffsetCommit v0-5: appended to the group's offsets partition; answered once committed there.
 * Stale generations and unknown members are refused; groups with no members accept commits.
 */
import { readOffsetCommitRequest, writeOffsetCommitResponse } from "../../kafka/apis/offset-commit.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupService } from "../group-service.ts";

export function offsetCommitHandler(groups: GroupService): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readOffsetCommitRequest(body, version);
    const result = await groups.coordinator.commitOffsets(request);
    return (writer) =>
      writeOffsetCommitResponse(writer, version, { throttleTimeMs: 0, topics: result.topics });
  };
}
