/**
 * ListOffsets: -1 = latest (the high watermark for consumers, the log end for replicas and the
 * debugging replica id -2 that admin tools use; the last stable offset for a read_committed
 * consumer, isolation_level 1 from v2),
 * -2 = earliest (log start), otherwise the first offset whose batch's max timestamp reaches the
 * target (offset -1 when none). v0 answers in its old-style list of offsets.
 */
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type ListOffsetsTopicResponse,
  readListOffsetsRequest,
  writeListOffsetsResponse,
} from "../../kafka/apis/list-offsets.ts";
import { allowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";

export function listOffsetsHandler(context: BrokerContext): RequestHandler {
  return (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readListOffsetsRequest(body, version);
    const topics: ListOffsetsTopicResponse[] = [];
    for (const topic of request.topics) {
      const partitions = [];
      const describable = allowed(context, context_, AclOperation.Describe, ResourceType.Topic, topic.name);
      for (const wanted of topic.partitions) {
        const answer = (errorCode: number, offset = -1, timestamp = -1) => ({
          partitionIndex: wanted.partitionIndex,
          errorCode,
          oldStyleOffsets: offset >= 0 ? [offset] : [],
          timestamp,
          offset,
        });
        if (!describable) {
          partitions.push(answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        const lookup = context.replicas.leaderFor(topic.name, wanted.partitionIndex);
        if (lookup.partition === null) {
          partitions.push(answer(lookup.errorCode));
          continue;
        }
        const partition = lookup.partition;
        if (wanted.timestamp === LATEST_TIMESTAMP) {
          partitions.push(
            answer(
              0,
              request.replicaId !== -1
                ? partition.logEndOffset
                : request.isolationLevel === 1
                ? partition.lastStableOffset
                : partition.highWatermark,
            ),
          );
        } else if (wanted.timestamp === EARLIEST_TIMESTAMP) {
          partitions.push(answer(0, partition.logStartOffset));
        } else {
          const found = partition.log.offsetForTimestamp(wanted.timestamp);
          // Only committed offsets are visible to consumers.
          if (found === null || found.offset >= partition.highWatermark) partitions.push(answer(0));
          else partitions.push(answer(0, found.offset, found.timestampMs));
        }
      }
      topics.push({ name: topic.name, partitions });
    }
    return (writer) => writeListOffsetsResponse(writer, version, { throttleTimeMs: 0, topics });
  };
}
