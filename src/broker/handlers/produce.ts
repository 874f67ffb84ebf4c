/**
 * Produce: each partition's batches go to its Partition as leader (validated once, by the log:
 * magic, lengths, CRC, size against max.message.bytes, zstd only from v7), then the answer
 * follows acks:
 *   acks=0   no response at all;
 *   acks=1   after the leader's append;
 *   acks=-1  after the high watermark passes the batch (Partition.waitForCommit): with a single
 *            in-sync replica the append itself commits; with more it parks in the purgatory until
 *            the ISR has it (followers' fetches advance the HWM) or timeout_ms passes.
 * min.insync.replicas guards acks=-1: an ISR smaller than it refuses the write before appending
 * (NOT_ENOUGH_REPLICAS); one that shrank below it while the write waited answers
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records are stored but not acknowledged).
 */
import { readProduceRequest, writeProduceResponse } from "../../kafka/apis/produce.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { boundedTimeoutMs, partitionErrorCode } from "./common.ts";

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export function produceHandler(context: BrokerContext): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readProduceRequest(body, version);
    const acks = request.acks;
    const timeoutMs = boundedTimeoutMs(request.timeoutMs, context.config.maxWaitMs);
    const responses = await Promise.all(request.topicData.map(async (topic) => {
      const writable = allowed(context, request_, AclOperation.Write, ResourceType.Topic, topic.name);
      return {
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async (data): Promise<PartitionResult> => {
            const result = (
              errorCode: number,
              baseOffset = -1,
              logStartOffset = -1,
              logAppendTimeMs = -1,
            ) => ({
              index: data.index,
              errorCode,
              baseOffset,
              logAppendTimeMs,
              logStartOffset,
            });
            if (!writable) return result(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (acks !== 0 && acks !== 1 && acks !== -1) return result(ErrorCode.INVALID_REQUIRED_ACKS);
            const lookup = context.replicas.leaderFor(topic.name, data.index);
            if (lookup.partition === null) return result(lookup.errorCode);
            const partition = lookup.partition;
            if (data.records === null) return result(ErrorCode.CORRUPT_MESSAGE, -1, partition.logStartOffset);
            try {
              const appended = await partition.appendAsLeader(data.records, {
                requiredAcks: acks,
                zstdAllowed: version >= 7,
              });
              const errorCode = acks === -1
                ? await partition.waitForCommit(appended.nextOffset, timeoutMs)
                : 0;
              return result(
                errorCode,
                appended.baseOffset,
                partition.logStartOffset,
                appended.logAppendTimeMs,
              );
            } catch (error) {
              return result(
                partitionErrorCode(error, `produce ${partition.key}`),
                -1,
                partition.logStartOffset,
              );
            }
          }),
        ),
      };
    }));
    if (acks === 0) return null;
    return (writer) => writeProduceResponse(writer, version, { responses, throttleTimeMs: 0 });
  };
}
