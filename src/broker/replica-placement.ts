/**
 * Where the replicas of new partitions go (CreateTopics, CreatePartitions, auto-creation, the
 * internal topics). Pure functions, so they are tested on their own.
 *
 * Without racks this is Kafka's staggered assignment: leaders round-robin over the sorted brokers
 * from a random start; followers follow the leader at a distance that grows by one each time the
 * partitions wrap around the broker list, so the followers of one broker's leaders spread over
 * all the others.
 *
 * With racks (`broker start --rack`, Kafka's broker.rack) the same walk runs over the brokers
 * listed rack by rack in turn (the first broker of each rack, then the second of each, …), so
 * consecutive leaders sit in different racks; and a follower is taken only if its rack holds no
 * replica of the partition yet (unless every rack does) and it holds none itself (unless every
 * broker does). So each partition spans min(replication factor, racks) racks, and leaders stay
 * spread evenly. Racks of unequal sizes load the brokers of the smaller racks more, as in Kafka:
 * spanning racks comes first.
 *
 * Some brokers with a rack and some without: an explicit creation is refused ("enforced", as
 * Kafka's tools), while auto-creation and the internal topics fall back to ignoring racks
 * ("safe", as Kafka's auto-creation), so a half-upgraded cluster still gets its offsets topic.
 *
 * Partitions added to a topic (CreatePartitions) do not start at a random broker: as Kafka's
 * (AdminZkClient.createNewPartitionsAssignment), the walk starts at partition 0's preferred
 * leader's position (its first replica), so partition p's leader is the one a topic created with
 * p + 1 partitions would have had, and leaders stay spread over the brokers the topic already
 * uses. (With racks, Kafka takes that index in the id-sorted list and applies it to the
 * rack-interleaved one; here it is the leader's own position in the walk, which is what
 * continuing the rotation needs.)
 *
 * @example
 * ```ts
 * const racks = new Map([[1, "a"], [2, "b"], [3, "a"], [4, "b"]]);
 * placeReplicas(racks, 8, 2); // every partition has one replica in rack a and one in rack b
 * ```
 */
import { invariant } from "../assert.ts";
import type { ReplicaAssignment } from "./zk-layout.ts";

/** What to do with racks when some brokers have one and some do not. */
export type RackAwareMode = "enforced" | "safe";

/** Mixed racked and unracked brokers under the "enforced" mode. */
export class MissingRackError extends RangeError {
  constructor(readonly unracked: number[]) {
    super(
      `Broker${unracked.length > 1 ? "s" : ""} ${unracked.join(", ")} ha${
        unracked.length > 1 ? "ve" : "s"
      } no rack while others do: give every broker --rack (or none), or give the assignment explicitly`,
    );
  }
}

/**
 * Replicas for `partitionCount` new partitions numbered from `firstPartition`, over the brokers of
 * `racks` (broker id -> rack, null for none). `partitionZeroLeader`, for partitions added to a
 * topic, is its partition 0's preferred leader (first replica): the walk starts there instead of at random. Throws
 * RangeError when the factor is over the broker count, MissingRackError for mixed racks in
 * "enforced" mode.
 */
export function placeReplicas(
  racks: ReadonlyMap<number, string | null>,
  partitionCount: number,
  replicationFactor: number,
  firstPartition = 0,
  mode: RackAwareMode = "enforced",
  random: () => number = Math.random,
  partitionZeroLeader: number | null = null,
): ReplicaAssignment {
  const ids = [...racks.keys()];
  const unracked = ids.filter((id) => racks.get(id) === null).sort((a, b) => a - b);
  if (unracked.length === ids.length || (unracked.length > 0 && mode === "safe")) {
    return assignReplicas(
      ids,
      partitionCount,
      replicationFactor,
      firstPartition,
      random,
      partitionZeroLeader,
    );
  }
  if (unracked.length > 0) throw new MissingRackError(unracked);
  return assignReplicasRackAware(
    racks as ReadonlyMap<number, string>,
    partitionCount,
    replicationFactor,
    firstPartition,
    random,
    partitionZeroLeader,
  );
}

/** Kafka's staggered assignment, racks ignored. */
export function assignReplicas(
  brokerIds: number[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition = 0,
  random: () => number = Math.random,
  partitionZeroLeader: number | null = null,
): ReplicaAssignment {
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  const start = { random, partitionZeroLeader };
  return stagger(brokers, partitionCount, replicationFactor, firstPartition, start, (first, shift) => {
    const replicas = [brokers[first]];
    for (let j = 0; j < replicationFactor - 1; j++) {
      replicas.push(brokers[followerIndex(first, shift, j, n)]);
    }
    return replicas;
  });
}

/** The staggered walk over the rack-interleaved broker list, skipping brokers that add no spread. */
export function assignReplicasRackAware(
  racks: ReadonlyMap<number, string>,
  partitionCount: number,
  replicationFactor: number,
  firstPartition = 0,
  random: () => number = Math.random,
  partitionZeroLeader: number | null = null,
): ReplicaAssignment {
  const brokers = interleaveRacks(racks);
  const n = brokers.length;
  const rackCount = new Set(racks.values()).size;
  const start = { random, partitionZeroLeader };
  return stagger(brokers, partitionCount, replicationFactor, firstPartition, start, (first, shift) => {
    const replicas = [brokers[first]];
    const racksUsed = new Set([racks.get(brokers[first])!]);
    // Each step looks at the next broker of the walk; within 2n steps every broker has been seen
    // twice, and the second time round any broker not yet a replica is accepted.
    for (let k = 0; replicas.length < replicationFactor; k++) {
      invariant(
        k < 2 * n * replicationFactor,
        () => `rack-aware placement walked ${k} steps over ${n} brokers`,
      );
      const broker = brokers[followerIndex(first, shift * rackCount, k, n)];
      const rack = racks.get(broker)!;
      const rackAdds = !racksUsed.has(rack) || racksUsed.size === rackCount;
      if (rackAdds && !replicas.includes(broker)) {
        replicas.push(broker);
        racksUsed.add(rack);
      }
    }
    return replicas;
  });
}

/** Where the walk starts: at random for a new topic, at partition 0's preferred leader for added partitions. */
interface WalkStart {
  random: () => number;
  partitionZeroLeader: number | null;
}

/**
 * The walk both placements share: partition p's leader is broker (p + start) mod n of `brokers`,
 * and the followers' shift grows by one each time the partitions wrap around the list (start and
 * first shift random, so topics do not all pile on the same brokers; for added partitions both are
 * partition 0's preferred leader's index, as Kafka's fixed start index).
 */
function stagger(
  brokers: number[],
  partitionCount: number,
  replicationFactor: number,
  firstPartition: number,
  start: WalkStart,
  replicasOf: (first: number, shift: number) => number[],
): ReplicaAssignment {
  const n = brokers.length;
  if (replicationFactor > n) {
    throw new RangeError(`Replication factor ${replicationFactor} over ${n} live brokers`);
  }
  const startIndex = start.partitionZeroLeader === null
    ? Math.floor(start.random() * n)
    : indexOfLeader(brokers, start.partitionZeroLeader);
  let shift = start.partitionZeroLeader === null ? Math.floor(start.random() * n) : startIndex;
  const assignment: ReplicaAssignment = [];
  for (let index = 0; index < partitionCount; index++) {
    const partition = firstPartition + index;
    if (partition > 0 && partition % n === 0) shift++;
    assignment.push(replicasOf((partition + startIndex) % n, shift));
  }
  return assignment;
}

/**
 * The index of `leader` in the walk; when it is no longer a broker, that of the next higher id,
 * and the first broker when none is higher (Kafka's indexWhere(id >= leader), at least 0).
 */
function indexOfLeader(brokers: number[], leader: number): number {
  const next = brokers.filter((id) => id >= leader).sort((a, b) => a - b)[0];
  return next === undefined ? 0 : brokers.indexOf(next);
}

/** Brokers listed rack by rack in turn: racks and ids sorted, the i-th broker of every rack before any (i+1)-th. */
export function interleaveRacks(racks: ReadonlyMap<number, string>): number[] {
  const byRack = new Map<string, number[]>();
  for (const [id, rack] of [...racks].sort((a, b) => a[0] - b[0])) {
    byRack.set(rack, [...byRack.get(rack) ?? [], id]);
  }
  const columns = [...byRack.keys()].sort().map((rack) => byRack.get(rack)!);
  const longest = Math.max(0, ...columns.map((column) => column.length));
  const list: number[] = [];
  for (let row = 0; row < longest; row++) {
    for (const column of columns) if (row < column.length) list.push(column[row]);
  }
  return list;
}

/** The j-th follower of a partition led by index `first`: never the leader itself. */
function followerIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + (shift + j) % (n - 1)) % n;
}
