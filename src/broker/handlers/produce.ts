/**
 * Produce: validate each partition's batches WITHOUT decoding records (magic, lengths, CRC;
 * size against max.message.bytes), append them as leader (offsets and leader epoch written
 * in place), then answer according to acks:
 *   acks=0   no response at all;
 *   acks=1   after the leader's append;
 *   acks=-1  after the high watermark passes the batch (waitForCommit): with a single in-sync
 *            replica the append itself commits; with more it parks in the purgatory until the
 *            ISR has it (the replication issue advances the HWM) or timeout_ms passes.
 */
import { readProduceRequest, writeProduceResponse } from "../../kafka/apis/produce.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import {
  CompressionCodec,
  compressionOf,
  iterateBatches,
  RecordBatchError,
} from "../../kafka/record-batch.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import type { Partition } from "../replica-manager.ts";
import { topicConfigValue } from "../topic-config.ts";

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export function produceHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readProduceRequest(body, version);
    const acks = request.acks;
    const timeoutMs = Math.min(Math.max(request.timeoutMs, 0), context.config.maxWaitMs);
    const snapshot = context.metadata.snapshot;
    const responses = await Promise.all(request.topicData.map(async (topic) => ({
      name: topic.name,
      partitionResponses: await Promise.all(
        topic.partitionData.map(async (data): Promise<PartitionResult> => {
          const result = (errorCode: number, baseOffset = -1, logStartOffset = -1) => ({
            index: data.index,
            errorCode,
            baseOffset,
            logAppendTimeMs: -1,
            logStartOffset,
          });
          if (acks !== 0 && acks !== 1 && acks !== -1) return result(ErrorCode.INVALID_REQUIRED_ACKS);
          const lookup = context.replicas.leaderFor(snapshot, topic.name, data.index);
          if (lookup.partition === null) return result(lookup.errorCode);
          const partition = lookup.partition;
          const maxBatchBytes = maxMessageBytes(context, snapshot.topics.get(topic.name)?.configs ?? {});
          const problem = checkBatches(data.records, maxBatchBytes, version);
          if (problem !== 0) return result(problem, -1, partition.log.logStartOffset);
          try {
            const appended = await appendAsLeader(context, partition, data.records!);
            const errorCode = acks === -1
              ? await waitForCommit(context, partition, appended.nextOffset, timeoutMs)
              : 0;
            return result(errorCode, appended.baseOffset, partition.log.logStartOffset);
          } catch (error) {
            console.error(`produce ${partition.key}: ${(error as Error).message}`);
            return result(ErrorCode.UNKNOWN_SERVER_ERROR, -1, partition.log.logStartOffset);
          }
        }),
      ),
    })));
    if (acks === 0) return null;
    return (writer) => writeProduceResponse(writer, version, { responses, throttleTimeMs: 0 });
  };
}

/** 0 when every batch is whole and valid, else the error code to answer. */
export function checkBatches(records: Uint8Array | null, maxBatchBytes: number, version: number): number {
  if (records === null || records.length === 0) return ErrorCode.CORRUPT_MESSAGE;
  let end = 0;
  try {
    for (const slot of iterateBatches(records, { maxBatchBytes })) {
      // zstd needs Produce v7 (KIP-110): older clients could not read it back.
      if (compressionOf(slot.header.attributes) === CompressionCodec.zstd && version < 7) {
        return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
      }
      end = slot.position + slot.sizeBytes;
    }
  } catch (error) {
    if (error instanceof RecordBatchError) {
      return error.kind === "too-large" ? ErrorCode.MESSAGE_TOO_LARGE : ErrorCode.CORRUPT_MESSAGE;
    }
    throw error;
  }
  // A trailing partial batch is corrupt input, not something to store.
  return end === records.length ? 0 : ErrorCode.CORRUPT_MESSAGE;
}

function maxMessageBytes(context: BrokerContext, overrides: Record<string, string>): number {
  const configured = overrides["max.message.bytes"] !== undefined
    ? Number(topicConfigValue(overrides, "max.message.bytes"))
    : context.config.maxMessageBytes;
  return Number.isSafeInteger(configured) ? configured : context.config.maxMessageBytes;
}

/**
 * Resolve once the high watermark reaches nextOffset (0) or timeoutMs passes
 * (REQUEST_TIMED_OUT). With this broker as the only in-sync replica, the append commits.
 */
export async function waitForCommit(
  context: BrokerContext,
  partition: Partition,
  nextOffset: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (partition.log.highWatermark < nextOffset) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) return ErrorCode.REQUEST_TIMED_OUT;
    const outcome = await context.purgatory.wait([`hwm:${partition.key}`], remainingMs);
    if (outcome === "closed") return ErrorCode.REQUEST_TIMED_OUT;
    if (outcome === "full") await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, 10)));
  }
  return 0;
}

/**
 * Append as leader, then advance the high watermark when this broker is the only in-sync
 * replica, and wake whoever waits on the partition (long-poll fetches, acks=all produces).
 */
export async function appendAsLeader(context: BrokerContext, partition: Partition, records: Uint8Array) {
  const appended = await partition.log.appendAsLeader(records, partition.leaderEpoch);
  const others = partition.isr.filter((id) => id !== context.replicas.brokerId);
  if (others.length === 0) partition.log.setHighWatermark(appended.nextOffset);
  context.purgatory.wake(partition.key);
  context.purgatory.wake(`hwm:${partition.key}`);
  return appended;
}
