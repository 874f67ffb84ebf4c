/** The consumer-group APIs, keyed by API key, for the broker's dispatch table. */
import { ApiKey } from "../kafka/api-keys.ts";
import type { RequestHandler } from "./connection.ts";
import type { GroupService } from "./group-service.ts";
import { findCoordinatorHandler } from "./handlers/find-coordinator.ts";
import { joinGroupHandler } from "./handlers/join-group.ts";
import { syncGroupHandler } from "./handlers/sync-group.ts";
import { heartbeatHandler } from "./handlers/heartbeat.ts";
import { leaveGroupHandler } from "./handlers/leave-group.ts";
import { offsetCommitHandler } from "./handlers/offset-commit.ts";
import { offsetFetchHandler } from "./handlers/offset-fetch.ts";
import { describeGroupsHandler } from "./handlers/describe-groups.ts";
import { listGroupsHandler } from "./handlers/list-groups.ts";
import { deleteGroupsHandler } from "./handlers/delete-groups.ts";

export function groupHandlers(groups: GroupService): [number, RequestHandler][] {
  return [
    [ApiKey.FindCoordinator, findCoordinatorHandler(groups)],
    [ApiKey.JoinGroup, joinGroupHandler(groups)],
    [ApiKey.SyncGroup, syncGroupHandler(groups)],
    [ApiKey.Heartbeat, heartbeatHandler(groups)],
    [ApiKey.LeaveGroup, leaveGroupHandler(groups)],
    [ApiKey.OffsetCommit, offsetCommitHandler(groups)],
    [ApiKey.OffsetFetch, offsetFetchHandler(groups)],
    [ApiKey.DescribeGroups, describeGroupsHandler(groups)],
    [ApiKey.ListGroups, listGroupsHandler(groups)],
    [ApiKey.DeleteGroups, deleteGroupsHandler(groups)],
  ];
}
