/** ZooKeeper recipes built on the client: leader election, group membership, distributed lock. */
export { type ElectionEvent, type ElectionOptions, LeaderElection } from "./leader-election.ts";
export { GroupMembership, type MembershipChange } from "./group-membership.ts";
export { DistributedLock, type LockOptions } from "./distributed-lock.ts";
export { sequenceOf, sortBySequence } from "./sequential-queue.ts";
