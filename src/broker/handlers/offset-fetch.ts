/** OffsetFetch v0-4: committed offsets (-1 when none); a null topic list (v2+) asks for all. */
import { readOffsetFetchRequest, writeOffsetFetchResponse } from "../../kafka/apis/offset-fetch.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function offsetFetchHandler(groups: GroupApi): RequestHandler {
  return ({ header, body }) => {
    const version = header.apiVersion;
    const request = readOffsetFetchRequest(body, version);
    const result = groups.coordinator.fetchOffsets(request);
    return (writer) =>
      writeOffsetFetchResponse(writer, version, {
        throttleTimeMs: 0,
        errorCode: result.errorCode,
        topics: result.topics,
      });
  };
}
