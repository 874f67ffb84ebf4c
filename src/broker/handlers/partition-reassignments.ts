/**
 * AlterPartitionReassignments and ListPartitionReassignments: only the controller answers (others
 * NOT_CONTROLLER, top level). Alter hands the targets to the controller, which validates each
 * (INVALID_REPLICA_ASSIGNMENT for an empty list, a broker named twice or an unknown broker;
 * UNKNOWN_TOPIC_OR_PARTITION; NO_REASSIGNMENT_IN_PROGRESS for a cancel of nothing) and starts or
 * cancels it on its next run; the answer comes once that is written, completion later (List).
 */
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  type AlterPartitionReassignmentsResponse,
  type ListPartitionReassignmentsResponse,
  readAlterPartitionReassignmentsRequest,
  readListPartitionReassignmentsRequest,
  writeAlterPartitionReassignmentsResponse,
  writeListPartitionReassignmentsResponse,
} from "../../kafka/apis/partition-reassignments.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { RequestHandler } from "../connection.ts";
import { type AuthorizationContext, clusterAllowed } from "../authorization.ts";
import { AclOperation } from "../../kafka/acl.ts";
import type { Controller } from "../controller/controller.ts";
import { partitionKey } from "../topic-partition.ts";
import { boundedTimeoutMs } from "./common.ts";

/** Longest an AlterPartitionReassignments request waits for the controller's run. */
const MAX_REASSIGN_WAIT_MS = 60_000;

export function partitionReassignmentHandlers(
  controller: () => Controller | null,
  authorization: AuthorizationContext = {},
): [number, RequestHandler][] {
  const alter: RequestHandler = async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readAlterPartitionReassignmentsRequest(body, version);
    const respond =
      (response: Omit<AlterPartitionReassignmentsResponse, "throttleTimeMs">) =>
      (w: Parameters<typeof writeAlterPartitionReassignmentsResponse>[0]) =>
        writeAlterPartitionReassignmentsResponse(w, version, { throttleTimeMs: 0, ...response });
    const every = (errorCode: number, errorMessage: string | null) =>
      request.topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map(({ partitionIndex }) => ({ partitionIndex, errorCode, errorMessage })),
      }));
    // Alter on the cluster, as Kafka checks it.
    if (!clusterAllowed(authorization, request_, AclOperation.Alter)) {
      const message = "Not allowed to reassign partitions (needs Alter on the cluster)";
      return respond({
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: message,
        responses: every(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, message),
      });
    }
    const active = controller();
    if (active === null) {
      const message = "This broker is not the controller";
      return respond({
        errorCode: ErrorCode.NOT_CONTROLLER,
        errorMessage: message,
        responses: every(ErrorCode.NOT_CONTROLLER, message),
      });
    }
    const partitions = request.topics.flatMap(({ name, partitions }) =>
      partitions.map(({ partitionIndex, replicas }) => ({
        topic: name,
        partition: partitionIndex,
        target: replicas,
      }))
    );
    const keys = partitions.map(({ topic, partition }) => partitionKey(topic, partition));
    if (new Set(keys).size !== keys.length) {
      const message = "A partition is named more than once";
      return respond({
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: message,
        responses: every(ErrorCode.INVALID_REQUEST, message),
      });
    }
    const outcomes = await active.reassign(
      partitions,
      boundedTimeoutMs(request.timeoutMs, MAX_REASSIGN_WAIT_MS),
    );
    if (outcomes === null) {
      const message = "The controller did not take the reassignment in time";
      return respond({
        errorCode: ErrorCode.REQUEST_TIMED_OUT,
        errorMessage: message,
        responses: every(ErrorCode.REQUEST_TIMED_OUT, message),
      });
    }
    const responses = request.topics.map(({ name, partitions }) => ({
      name,
      partitions: partitions.map(({ partitionIndex }) => ({
        partitionIndex,
        ...(outcomes.get(partitionKey(name, partitionIndex)) ??
          { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: "no outcome" }),
      })),
    }));
    return respond({ errorCode: 0, errorMessage: null, responses });
  };

  const list: RequestHandler = async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readListPartitionReassignmentsRequest(body, version);
    const respond =
      (response: Omit<ListPartitionReassignmentsResponse, "throttleTimeMs">) =>
      (w: Parameters<typeof writeListPartitionReassignmentsResponse>[0]) =>
        writeListPartitionReassignmentsResponse(w, version, { throttleTimeMs: 0, ...response });
    // Describe on the cluster, as Kafka checks it.
    if (!clusterAllowed(authorization, request_, AclOperation.Describe)) {
      return respond({
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: "Not allowed to list reassignments (needs Describe on the cluster)",
        topics: [],
      });
    }
    const active = controller();
    if (active === null) {
      return respond({
        errorCode: ErrorCode.NOT_CONTROLLER,
        errorMessage: "This broker is not the controller",
        topics: [],
      });
    }
    const wanted = request.topics === null
      ? null
      : new Set(request.topics.flatMap(({ name, partitionIndexes }) =>
        partitionIndexes.map((p) => partitionKey(name, p))
      ));
    const byTopic = new Map<string, ListPartitionReassignmentsResponse["topics"][number]>();
    for (const ongoing of await active.listReassignments()) {
      if (wanted !== null && !wanted.has(partitionKey(ongoing.topic, ongoing.partition))) continue;
      let entry = byTopic.get(ongoing.topic);
      if (!entry) byTopic.set(ongoing.topic, entry = { name: ongoing.topic, partitions: [] });
      entry.partitions.push({
        partitionIndex: ongoing.partition,
        replicas: ongoing.replicas,
        addingReplicas: ongoing.adding,
        removingReplicas: ongoing.removing,
      });
    }
    return respond({ errorCode: 0, errorMessage: null, topics: [...byTopic.values()] });
  };

  return [[ApiKey.AlterPartitionReassignments, alter], [ApiKey.ListPartitionReassignments, list]];
}
