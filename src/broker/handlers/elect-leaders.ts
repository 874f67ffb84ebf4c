/**
 * ElectLeaders: only the controller answers (others: NOT_CONTROLLER; the client looks the
 * controller up again). The controller makes the elections on its next run and reports each
 * partition: elected (0), ELECTION_NOT_NEEDED (already led by its preferred replica, or led at
 * all for an unclean election), PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION; REQUEST_TIMED_OUT when the runs took longer than timeout_ms.
 */
import {
  ElectionType,
  type ElectLeadersTopicResult,
  readElectLeadersRequest,
  writeElectLeadersResponse,
} from "../../kafka/apis/elect-leaders.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { RequestHandler } from "../connection.ts";
import { type AuthorizationContext, clusterAllowed } from "../authorization.ts";
import { AclOperation } from "../../kafka/acl.ts";
import type { Controller, ElectionOutcome } from "../controller/controller.ts";
import { boundedTimeoutMs } from "./common.ts";

/** Longest an ElectLeaders request waits for the controller's runs. */
const MAX_ELECTION_WAIT_MS = 60_000;

const OUTCOME_CODES: Record<ElectionOutcome, number> = {
  "elected": ErrorCode.NONE,
  "not needed": ErrorCode.ELECTION_NOT_NEEDED,
  "preferred not available": ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
  "no eligible leader": ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
  "unknown partition": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
};

export function electLeadersHandler(
  controller: () => Controller | null,
  authorization: AuthorizationContext = {},
): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readElectLeadersRequest(body, version);
    const asked =
      request.topicPartitions?.flatMap(({ topic, partitions }) =>
        partitions.map((partition) => ({ topic, partition }))
      ) ?? null;
    const respond =
      (errorCode: number, results: ElectLeadersTopicResult[]) =>
      (writer: Parameters<typeof writeElectLeadersResponse>[0]) =>
        writeElectLeadersResponse(writer, version, {
          throttleTimeMs: 0,
          errorCode,
          replicaElectionResults: results,
        });
    const everyAsked = (errorCode: number, errorMessage: string) =>
      group((asked ?? []).map(({ topic, partition }) => ({ topic, partition, errorCode, errorMessage })));
    // Alter on the cluster, as Kafka checks it.
    if (!clusterAllowed(authorization, request_, AclOperation.Alter)) {
      const message = "Not allowed to elect leaders (needs Alter on the cluster)";
      return respond(
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        everyAsked(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message),
      );
    }
    const active = controller();
    if (active === null) {
      return respond(
        ErrorCode.NOT_CONTROLLER,
        everyAsked(ErrorCode.NOT_CONTROLLER, "This broker is not the controller"),
      );
    }
    if (request.electionType !== ElectionType.preferred && request.electionType !== ElectionType.unclean) {
      const message = `Unknown election type ${request.electionType}`;
      return respond(ErrorCode.INVALID_REQUEST, everyAsked(ErrorCode.INVALID_REQUEST, message));
    }
    const type = request.electionType === ElectionType.preferred ? "preferred" : "unclean";
    const outcomes = await active.electLeaders(
      type,
      asked,
      boundedTimeoutMs(request.timeoutMs, MAX_ELECTION_WAIT_MS),
    );
    if (outcomes === null) {
      return respond(
        0,
        everyAsked(ErrorCode.REQUEST_TIMED_OUT, "The controller did not finish the elections in time"),
      );
    }
    const results = [...outcomes].map(([key, outcome]) => {
      // "topic:partition" (topic names cannot hold a colon).
      const at = key.lastIndexOf(":");
      return {
        topic: key.slice(0, at),
        partition: Number(key.slice(at + 1)),
        errorCode: OUTCOME_CODES[outcome],
        errorMessage: outcome === "elected" ? null : `${key}: ${outcome}`,
      };
    });
    return respond(0, group(results));
  };
}

/** Per-partition results grouped by topic, in the order first seen. */
function group(
  results: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[],
): ElectLeadersTopicResult[] {
  const byTopic = new Map<string, ElectLeadersTopicResult>();
  for (const { topic, partition, errorCode, errorMessage } of results) {
    let entry = byTopic.get(topic);
    if (!entry) byTopic.set(topic, entry = { topic, partitionResult: [] });
    entry.partitionResult.push({ partitionId: partition, errorCode, errorMessage });
  }
  return [...byTopic.values()];
}
