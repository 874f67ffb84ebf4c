/** SyncGroup v0-3: the leader brings assignments; every member gets its own once stored. */
import { readSyncGroupRequest, writeSyncGroupResponse } from "../../kafka/apis/sync-group.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";

export function syncGroupHandler(groups: GroupApi): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readSyncGroupRequest(body, version);
    const result = await groups.coordinator.sync(request);
    return (writer) => writeSyncGroupResponse(writer, version, { throttleTimeMs: 0, ...result });
  };
}
