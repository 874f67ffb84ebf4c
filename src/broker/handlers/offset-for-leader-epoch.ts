/**
 * OffsetForLeaderEpoch (key 23): where a leader epoch ended in this leader's log — the start
 * of the next larger epoch, or the log end for the current one — so a follower truncates
 * exactly there (KIP-101). current_leader_epoch fences stale callers (KIP-320): older →
 * FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH. Only the leader answers.
 */
import {
  readOffsetForLeaderEpochRequest,
  writeOffsetForLeaderEpochResponse,
} from "../../kafka/apis/offset-for-leader-epoch.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import { allowed, clusterActionAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { RequestHandler } from "../connection.ts";

export function offsetForLeaderEpochHandler(context: BrokerContext): RequestHandler {
  return (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readOffsetForLeaderEpochRequest(body, version);
    // Followers (replica_id >= 0, v3+) need ClusterAction; consumers Describe on the topic.
    const followerAllowed = (request.replicaId ?? -1) < 0 || clusterActionAllowed(context, context_);
    const topics = request.topics.map((topic) => ({
      topic: topic.topic,
      partitions: topic.partitions.map((wanted) => {
        const permitted = followerAllowed &&
          ((request.replicaId ?? -1) >= 0 ||
            allowed(context, context_, AclOperation.Describe, ResourceType.Topic, topic.topic));
        const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1) => ({
          errorCode,
          partition: wanted.partition,
          leaderEpoch,
          endOffset,
        });
        if (!permitted) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        const lookup = context.replicas.leaderFor(topic.topic, wanted.partition);
        if (lookup.partition === null) return answer(lookup.errorCode);
        const partition = lookup.partition;
        const current = wanted.currentLeaderEpoch ?? -1;
        if (current >= 0 && current < partition.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH);
        if (current > partition.leaderEpoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH);
        const end = partition.endOffsetForEpoch(wanted.leaderEpoch);
        return answer(ErrorCode.NONE, end.leaderEpoch, end.endOffset);
      }),
    }));
    return (writer) => writeOffsetForLeaderEpochResponse(writer, version, { throttleTimeMs: 0, topics });
  };
}
