/** The group coordinator (pure logic) and the `__consumer_offsets` record format, for the broker to wire in. */
export { GroupCoordinator, type GroupCoordinatorOptions, type GroupStore } from "./coordinator.ts";
export { type Clock, ManualClock, systemClock, type TimerId } from "./clock.ts";
export type { GroupState, MemberProtocol } from "./group.ts";
export {
  DEFAULT_OFFSETS_TOPIC_PARTITIONS,
  groupPartition,
  javaStringHashCode,
  OFFSETS_TOPIC,
} from "./group-partition.ts";
export * from "./offsets-records.ts";
export type * from "./types.ts";
