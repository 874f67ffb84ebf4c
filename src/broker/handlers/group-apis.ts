/**
 * The consumer-group APIs, keyed by API key, over one GroupApi: FindCoordinator, JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
 * DeleteGroups and TxnOffsetCommit (the group side of transactions); FindCoordinator also answers
 * for transactional ids when given the locator. The broker registers them with its other handlers; tests drive them over a
 * stand-in GroupApi.
 */
import { ApiKey } from "../../kafka/api-keys.ts";
import type { AuthorizationContext } from "../authorization.ts";
import type { RequestHandler } from "../connection.ts";
import type { GroupApi } from "../group-service.ts";
import { deleteGroupsHandler } from "./delete-groups.ts";
import { describeGroupsHandler } from "./describe-groups.ts";
import { findCoordinatorHandler, type TransactionCoordinatorLocator } from "./find-coordinator.ts";
import { heartbeatHandler } from "./heartbeat.ts";
import { joinGroupHandler } from "./join-group.ts";
import { leaveGroupHandler } from "./leave-group.ts";
import { listGroupsHandler } from "./list-groups.ts";
import { offsetCommitHandler } from "./offset-commit.ts";
import { offsetFetchHandler } from "./offset-fetch.ts";
import { syncGroupHandler } from "./sync-group.ts";
import { txnOffsetCommitHandler } from "./txn-offset-commit.ts";

export function groupApiHandlers(
  groups: GroupApi,
  auth: AuthorizationContext = {},
  transactions?: TransactionCoordinatorLocator,
): [number, RequestHandler][] {
  return [
    [ApiKey.FindCoordinator, findCoordinatorHandler(groups, auth, transactions)],
    [ApiKey.JoinGroup, joinGroupHandler(groups, auth)],
    [ApiKey.SyncGroup, syncGroupHandler(groups, auth)],
    [ApiKey.Heartbeat, heartbeatHandler(groups, auth)],
    [ApiKey.LeaveGroup, leaveGroupHandler(groups, auth)],
    [ApiKey.OffsetCommit, offsetCommitHandler(groups, auth)],
    [ApiKey.OffsetFetch, offsetFetchHandler(groups, auth)],
    [ApiKey.DescribeGroups, describeGroupsHandler(groups, auth)],
    [ApiKey.ListGroups, listGroupsHandler(groups, auth)],
    [ApiKey.DeleteGroups, deleteGroupsHandler(groups, auth)],
    [ApiKey.TxnOffsetCommit, txnOffsetCommitHandler(groups, auth)],
  ];
}
