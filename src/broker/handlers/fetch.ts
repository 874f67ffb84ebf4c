/**
 * Fetch: stored batch bytes as they are, up to the high watermark for consumers and up to the
 * log end for followers (replica_id >= 0). Long-poll: when fewer than min_bytes are ready the
 * request parks in the purgatory on its partitions' keys until an append wakes it or max_wait
 * passes, then answers with whatever is there and error 0 — never blocking another request.
 *
 * Sizes: the first partition with data returns at least one whole batch even over max_bytes
 * (KIP-74); after that partitions stop once the response budget is spent. Sessions are not
 * kept: session_id 0 keeps clients on full fetches. last_stable_offset = high watermark (no
 * transactions); preferred_read_replica = -1.
 */
import { readFetchRequest, writeFetchResponse } from "../../kafka/apis/fetch.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

interface PartitionAnswer {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: bigint; firstOffset: number }[];
  preferredReadReplica: number;
  records: Uint8Array;
}

export function fetchHandler(context: BrokerContext): RequestHandler {
  return async ({ header, body }) => {
    const version = header.apiVersion;
    const request = readFetchRequest(body, version);
    const isFollower = request.replicaId >= 0;
    const maxBytes = Math.max(0, request.maxBytes ?? 0x7fffffff);
    const minBytes = Math.max(0, request.minBytes);
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), context.config.maxWaitMs);
    const keys = request.topics.flatMap((topic) =>
      topic.partitions.map((p) => `${topic.topic}:${p.partition}`)
    );
    for (;;) {
      const { responses, totalBytes, anyError } = await readOnce(
        context,
        request.topics,
        maxBytes,
        isFollower,
      );
      const remainingMs = deadline - Date.now();
      if (totalBytes >= minBytes || anyError || remainingMs <= 0) {
        return (writer) =>
          writeFetchResponse(writer, version, { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses });
      }
      const outcome = await context.purgatory.wait(keys, remainingMs);
      if (outcome === "closed") {
        return (writer) =>
          writeFetchResponse(writer, version, { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses });
      }
      if (outcome === "full") await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, 10)));
    }
  };
}

type FetchTopics = ReturnType<typeof readFetchRequest>["topics"];

async function readOnce(context: BrokerContext, topics: FetchTopics, maxBytes: number, isFollower: boolean) {
  const snapshot = context.metadata.snapshot;
  let budget = maxBytes;
  let totalBytes = 0;
  let anyError = false;
  const responses = [];
  for (const topic of topics) {
    const partitions: PartitionAnswer[] = [];
    for (const wanted of topic.partitions) {
      const answer = (errorCode: number, highWatermark = -1, logStartOffset = -1, records = EMPTY) => ({
        partitionIndex: wanted.partition,
        errorCode,
        highWatermark,
        lastStableOffset: highWatermark,
        logStartOffset,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records,
      });
      const lookup = context.replicas.leaderFor(snapshot, topic.topic, wanted.partition);
      if (lookup.partition === null) {
        anyError = true;
        partitions.push(answer(lookup.errorCode));
        continue;
      }
      const partition = lookup.partition;
      const log = partition.log;
      const currentLeaderEpoch = wanted.currentLeaderEpoch ?? -1;
      if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== partition.leaderEpoch) {
        anyError = true;
        partitions.push(answer(
          currentLeaderEpoch < partition.leaderEpoch
            ? ErrorCode.FENCED_LEADER_EPOCH
            : ErrorCode.UNKNOWN_LEADER_EPOCH,
        ));
        continue;
      }
      const highWatermark = log.highWatermark;
      if (wanted.fetchOffset < log.logStartOffset || wanted.fetchOffset > log.logEndOffset) {
        anyError = true;
        partitions.push(answer(ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, log.logStartOffset));
        continue;
      }
      const maxOffset = isFollower ? log.logEndOffset : highWatermark;
      let records: Uint8Array = EMPTY;
      if (wanted.fetchOffset < maxOffset && (budget > 0 || totalBytes === 0)) {
        const limit = Math.max(1, Math.min(wanted.partitionMaxBytes, budget));
        records = await log.read(wanted.fetchOffset, limit, maxOffset);
        budget -= records.length;
        totalBytes += records.length;
      }
      partitions.push(answer(0, highWatermark, log.logStartOffset, records));
    }
    responses.push({ topic: topic.topic, partitions });
  }
  return { responses, totalBytes, anyError };
}
