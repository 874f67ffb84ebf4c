/**
 * The group coordinator (pure logic) and the `__consumer_offsets` record format, for the broker
 * to wire in. How the broker uses it:
 *
 * - One `GroupCoordinator` per broker: `new GroupCoordinator({ store, numPartitions })`, where
 *   `store.append(partition, records)` produces the {key, value} records (value null = tombstone)
 *   to that partition of `__consumer_offsets` with acks=all and resolves when committed (reject
 *   with a KafkaError on failure; the coordinator maps it to Kafka's coordinator codes).
 * - FindCoordinator(key): the leader of partition `groupPartition(key, numPartitions)`.
 * - On becoming leader of an offsets partition: `beginLoading(p)`, read the partition's records,
 *   `loadPartition(p, records)`. On losing it: `unloadPartition(p)`. On shutdown: `close()`.
 * - The broker's group API handlers (src/broker/handlers/*-group*.ts, offset-*.ts) pass decoded
 *   requests straight in (their shapes match the src/kafka/apis codecs):
 *   `await join({ ...request, clientId, clientHost, requireKnownMemberId: version >= 4 })`,
 *   `await sync(request)`, `heartbeat(request)` (an error code), `leave(request, version)`,
 *   `await commitOffsets(request)`, `fetchOffsets(request)`, `describeGroups(request.groups)`,
 *   `listGroups()`, `await deleteGroups(request.groupsNames)`; results are response bodies
 *   (add throttleTimeMs). Join and sync may wait for a rebalance: never block the connection's
 *   other requests on them beyond Kafka's in-order reply rule.
 * - Compaction of `__consumer_offsets` by key is the log's business; replay order is log order.
 */
export { GroupCoordinator, type GroupCoordinatorOptions, type GroupStore } from "./coordinator.ts";
export { type Clock, ManualClock, systemClock, type TimerId } from "./clock.ts";
export {
  DEFAULT_OFFSETS_TOPIC_PARTITIONS,
  groupPartition,
  javaStringHashCode,
  OFFSETS_TOPIC,
} from "./group-partition.ts";
export * from "./offsets-records.ts";
export type * from "./types.ts";
