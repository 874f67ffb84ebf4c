/**
 * Fetch: stored batch bytes as they are, up to the high watermark for consumers and up to the
 * log end for followers (replica_id >= 0), whose fetch offset reports their log end offset to
 * their Partition (ISR, high watermark) once, when the request arrives: a parked request that
 * reads again after its wait reports nothing more (its offset is the same), so a follower whose
 * broker stopped fetching — a controlled shutdown, after the controller took it out of the ISR —
 * is not added back by a request it sent before. A current_leader_epoch older than ours is
 * FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH. Long-poll: when fewer than min_bytes are ready the
 * request parks in the purgatory on its partitions' keys until an append wakes it or max_wait
 * passes, then answers with whatever is there and error 0 — never blocking another request.
 *
 * Sizes: the first partition with data returns at least one whole batch even over max_bytes
 * (KIP-74); after that partitions stop once the response budget is spent. The budget is
 * max_bytes capped by the broker's fetchMaxBytes, so a fetch asking for 2 GiB on a long
 * partition holds (and sends) at most that much: the batches go from the file read straight
 * to the socket by reference (Writer.rawShared), in bounded writes. preferred_read_replica = -1.
 *
 * Fetch sessions (KIP-227, v7+; the state lives in ../fetch-sessions.ts): a full fetch with
 * epoch 0 creates one when a slot is free; an incremental fetch reads only its session's
 * unsettled partitions — those named by the request, changed here since, or with something
 * still to read — answers only those with something new, and long-polls on the session's one
 * key; the partitions a read found with nothing for the fetcher settle. An unknown session or
 * wrong epoch gets the top-level error and no partitions.
 *
 * Transactions: last_stable_offset is the partition's LSO (below the first record of the oldest
 * open transaction, at most the high watermark). isolation_level 1 (read_committed) reads only
 * below it and answers the aborted transactions whose records the returned batches may hold, so
 * the client drops them; read_uncommitted reads to the high watermark.
 */
import { readFetchRequest, writeFetchResponse } from "../../kafka/apis/fetch.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, clusterActionAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { partitionErrorCode } from "./common.ts";
import { ReadBuffers } from "../read-buffers.ts";
import type { ReadAllocator } from "../../storage/log-segment.ts";
import { FollowerJoins } from "../replication/follower-joins.ts";
import {
  type FetchSession,
  INITIAL_EPOCH,
  type OpenedSession,
  type RequestedPartition,
  type SessionPartition,
} from "../fetch-sessions.ts";

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
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readFetchRequest(body, version);
    const sessions = context.fetchSessions;
    const opened = version >= 7 ? sessions.open(request) : NO_SESSION;
    if (opened.errorCode !== 0) {
      const errorCode = opened.errorCode;
      return (writer) =>
        writeFetchResponse(writer, version, { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] });
    }
    const session = opened.session;
    // Followers need ClusterAction; consumers Read on each topic (Kafka's KafkaApis.handleFetchRequest).
    const followerAllowed = request.replicaId < 0 || clusterActionAllowed(context, context_);
    const deniedTopics = new Map<string, boolean>();
    const denied = (name: string): boolean => {
      let verdict = deniedTopics.get(name);
      if (verdict === undefined) {
        verdict = !followerAllowed ||
          (request.replicaId < 0 && !allowed(context, context_, AclOperation.Read, ResourceType.Topic, name));
        deniedTopics.set(name, verdict);
      }
      return verdict;
    };
    // The broker's fetch.max.bytes bounds what one response holds, whatever the client asks.
    const maxBytes = Math.min(Math.max(0, request.maxBytes ?? 0x7fffffff), context.config.fetchMaxBytes);
    const minBytes = Math.max(0, request.minBytes);
    let deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), context.config.maxWaitMs);
    const follower = request.replicaId >= 0;
    const joins = context.replicas.followerJoins;
    let keys: readonly string[] | null = null;
    let arrived = true;
    for (;;) {
      // An incremental fetch reads what is unsettled in its session (again after each wait: a
      // change may have unsettled more); a full one what it names. Reads go into pooled buffers
      // when the connection says when the response is written; a round that waits and reads
      // again leaves its buffers to the collector (rare: only below min_bytes).
      const topics: FetchTopics = session ? session.unsettledTopics() : request.topics;
      const buffers = context.buffers && context_.afterResponse ? new ReadBuffers(context.buffers) : null;
      const { responses, totalBytes, anyError, settled } = readOnce(
        context,
        topics,
        maxBytes,
        request.replicaId,
        request.isolationLevel === 1,
        denied,
        arrived,
        session !== null,
        buffers?.allocate,
      );
      arrived = false;
      // A follower about to add a partition led here parks only briefly (follower-joins.ts).
      if (follower) deadline = Math.min(deadline, Date.now() + joins.waitCapMs(request.replicaId));
      const remainingMs = deadline - Date.now();
      if (totalBytes < minBytes && !anyError && remainingMs > 0) {
        // A session's fetch waits for a change to its partitions (FetchSession); without one,
        // followers wait for the logs to grow, consumers for the high watermarks to move. A
        // partition not hosted here needs no key: its answer carries an error, so no wait.
        if (keys === null) {
          const partitionKeys = session ? [session.waitKey] : waitKeys(context, topics, follower);
          // A follower's fetch also wakes when this broker starts leading a partition it must add.
          keys = follower ? [...partitionKeys, FollowerJoins.key(request.replicaId)] : partitionKeys;
        }
        const outcome = await context.purgatory.wait(keys, remainingMs);
        if (outcome !== "closed") {
          if (outcome === "full") {
            await new Promise((resolve) => setTimeout(resolve, Math.min(remainingMs, 10)));
          }
          continue;
        }
      }
      if (follower === false && totalBytes > 0) countBytesOut(context, responses);
      let sessionId = 0;
      if (session !== null) {
        recordAnswered(session, responses);
        session.settle(settled);
        sessionId = session.id;
      } else if (version >= 7 && request.sessionEpoch === INITIAL_EPOCH) {
        const created = sessions.create(follower ? request.replicaId : -1, request.topics);
        if (created !== null) {
          recordAnswered(created, responses);
          sessionId = created.id;
        }
      }
      if (buffers !== null) context_.afterResponse!(() => buffers.giveBack());
      return (writer) =>
        writeFetchResponse(writer, version, { throttleTimeMs: 0, errorCode: 0, sessionId, responses });
    }
  };
}

const NO_SESSION: OpenedSession = { errorCode: 0, session: null, incremental: false };

type FetchTopics = readonly { topic: string; partitions: readonly Wanted[] }[];

/** One partition to read: as a request names it, or as a session remembers it. */
type Wanted = RequestedPartition & Partial<SessionPartition>;

/** What an answer told the fetcher, so the next incremental answer can leave it out if unchanged. */
function recordAnswered(session: FetchSession, responses: ReturnType<typeof readOnce>["responses"]): void {
  for (const response of responses) {
    for (const answer of response.partitions) {
      const known = session.get(response.topic, answer.partitionIndex);
      if (known === undefined) continue;
      // After an error the partition is answered again as soon as it has no error (Kafka does the same).
      const failed = answer.errorCode !== 0;
      known.sentHighWatermark = failed ? -1 : answer.highWatermark;
      known.sentLastStableOffset = failed ? -1 : answer.lastStableOffset;
      known.sentLogStartOffset = failed ? -1 : answer.logStartOffset;
    }
  }
}
/** Consumer bytes out per topic, counted once for the answer actually sent. */
function countBytesOut(context: BrokerContext, responses: ReturnType<typeof readOnce>["responses"]): void {
  const metrics = context.metrics;
  if (!metrics) return;
  for (const response of responses) {
    for (const partition of response.partitions) {
      if (partition.records.length > 0) metrics.bytesOut(response.topic, partition.records.length);
    }
  }
}

function waitKeys(context: BrokerContext, topics: FetchTopics, follower: boolean): string[] {
  const keys: string[] = [];
  for (const topic of topics) {
    for (const wanted of topic.partitions) {
      const partition = context.replicas.get(topic.topic, wanted.partition);
      if (partition) keys.push(follower ? partition.dataWaitKey : partition.commitWaitKey);
    }
  }
  return keys;
}

function readOnce(
  context: BrokerContext,
  topics: FetchTopics,
  maxBytes: number,
  replicaId: number,
  readCommitted: boolean,
  denied: (topic: string) => boolean,
  /** The request's first read: its follower fetch offsets are recorded (only then). */
  recordFollowers: boolean,
  incremental: boolean,
  allocate: ReadAllocator | undefined,
) {
  let budget = maxBytes;
  let totalBytes = 0;
  let anyError = false;
  /** Session partitions read with nothing for the fetcher (FetchSession.settle). */
  const settled: Wanted[] = [];
  const responses: { topic: string; partitions: PartitionAnswer[] }[] = [];
  for (const topic of topics) {
    const partitions: PartitionAnswer[] = [];
    for (const wanted of topic.partitions) {
      if (denied(topic.topic)) {
        anyError = true;
        partitions.push(failure(wanted, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        continue;
      }
      const lookup = context.replicas.leaderFor(topic.topic, wanted.partition, wanted.key);
      if (lookup.partition === null) {
        anyError = true;
        partitions.push(failure(wanted, lookup.errorCode));
        continue;
      }
      const partition = lookup.partition;
      const currentLeaderEpoch = wanted.currentLeaderEpoch ?? -1;
      if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== partition.leaderEpoch) {
        anyError = true;
        partitions.push(failure(
          wanted,
          currentLeaderEpoch < partition.leaderEpoch
            ? ErrorCode.FENCED_LEADER_EPOCH
            : ErrorCode.UNKNOWN_LEADER_EPOCH,
        ));
        continue;
      }
      if (wanted.fetchOffset < partition.logStartOffset || wanted.fetchOffset > partition.logEndOffset) {
        anyError = true;
        partitions.push(
          failure(wanted, ErrorCode.OFFSET_OUT_OF_RANGE, partition.highWatermark, partition.logStartOffset),
        );
        continue;
      }
      // A follower's fetch offset is its log end offset: it may move the ISR and the HWM.
      // Only a replica of the partition reads past the high watermark; any other replica_id is
      // served as a consumer.
      const isFollower = replicaId >= 0 && replicaId !== context.replicas.brokerId &&
        partition.replicas.includes(replicaId);
      if (isFollower && recordFollowers) partition.recordFollowerFetch(replicaId, wanted.fetchOffset);
      const highWatermark = partition.highWatermark;
      const lastStableOffset = partition.lastStableOffset;
      const logStartOffset = partition.logStartOffset;
      const maxOffset = isFollower
        ? partition.logEndOffset
        : readCommitted
        ? lastStableOffset
        : highWatermark;
      let records: Uint8Array = EMPTY;
      // A throttled partition's out-of-sync follower (a reassignment's copy) gets nothing while the
      // leader's rate is spent; in-sync followers are never held back (as Kafka).
      const throttled = isFollower && !partition.isr.includes(replicaId) &&
        context.replicas.leaderThrottled(topic.topic, wanted.partition);
      if (
        !(throttled && context.replicas.quotas.leader.delayMs() > 0) &&
        wanted.fetchOffset < maxOffset && (budget > 0 || totalBytes === 0)
      ) {
        const limit = Math.max(
          1,
          Math.min(
            wanted.partitionMaxBytes,
            budget,
            throttled ? context.replicas.quotas.leader.available() : Infinity,
          ),
        );
        try {
          records = partition.read(wanted.fetchOffset, limit, maxOffset, allocate);
        } catch (error) {
          // A disk error took the log offline (KAFKA_STORAGE_ERROR): this partition fails, not the request.
          anyError = true;
          partitions.push(failure(wanted, partitionErrorCode(error, `fetch ${partition.key}`)));
          continue;
        }
        // Only the response's first data may exceed the budget (one whole batch, KIP-74); a later
        // partition's batch that does not fit waits for the next fetch. (The log returns at least
        // one batch, so at the budget's edge this read is wasted: at most one batch.)
        if (totalBytes > 0 && records.length > budget) records = EMPTY;
        budget -= records.length;
        totalBytes += records.length;
        if (throttled) context.replicas.quotas.leader.record(records.length);
      }
      // Nothing to read and (below) nothing new to answer: settled until something changes. A
      // follower also only once the leader holds its position (recorded in this leadership) and
      // while it is in the ISR (one outside it is read at every fetch, so it may rejoin).
      if (
        incremental && records.length === 0 && wanted.fetchOffset >= maxOffset &&
        (!isFollower ||
          (partition.isr.includes(replicaId) && partition.followerLogEnd(replicaId) === wanted.fetchOffset))
      ) settled.push(wanted);
      // An incremental answer leaves out a partition with nothing new for the fetcher.
      if (
        incremental && records.length === 0 && wanted.sentHighWatermark === highWatermark &&
        wanted.sentLastStableOffset === lastStableOffset && wanted.sentLogStartOffset === logStartOffset
      ) continue;
      const aborted = readCommitted && !isFollower && records.length > 0
        ? partition.abortedTransactions(wanted.fetchOffset, maxOffset).map((t) => ({
          producerId: t.producerId,
          firstOffset: t.firstOffset,
        }))
        : [];
      partitions.push({
        partitionIndex: wanted.partition,
        errorCode: 0,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions: aborted,
        preferredReadReplica: -1,
        records,
      });
    }
    if (partitions.length > 0 || !incremental) responses.push({ topic: topic.topic, partitions });
  }
  return { responses, totalBytes, anyError, settled: settled as SessionPartition[] };
}

/** The answer for a partition that cannot be read. */
function failure(
  wanted: Wanted,
  errorCode: number,
  highWatermark = -1,
  logStartOffset = -1,
): PartitionAnswer {
  return {
    partitionIndex: wanted.partition,
    errorCode,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: EMPTY,
  };
}
