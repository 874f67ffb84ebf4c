/**
 * The sticky assignor: a balanced assignment that moves as few partitions as possible from
 * their previous owners. Each member reports what it owns in its Subscription: owned_partitions
 * (Subscription v1+) or, for v0, userData in the layout of Kafka's StickyAssignor:
 *
 *   StickyUserData => previous_assignment [topic STRING partitions [INT32]] [generation INT32]
 *
 * (v0 of that layout has no generation). Steps:
 *   1. Each member keeps the partitions it owned that still exist and it still subscribes to;
 *      a partition claimed twice goes to the claim with the higher generation (then the smaller
 *      member id).
 *   2. Unowned partitions go one by one (those with the fewest eligible members first) to the
 *      eligible member holding the fewest.
 *   3. While a member holds at least two more than an eligible other member, one partition
 *      moves over (newly placed ones first). Each move lowers the sum of squared counts, so this
 *      ends; the loop is bounded besides.
 * With equal subscriptions the result has counts differing by at most one, and a member that
 * leaves only frees its own partitions: the others keep theirs.
 */
import type { Subscription, TopicPartitions } from "../../kafka/consumer-protocol.ts";
import { Reader, WireError, Writer } from "../../wire/mod.ts";
import {
  addPartition,
  type AssignInput,
  type Assignor,
  compare,
  emptyBuilder,
  finish,
  type GroupAssignment,
  knownTopics,
  sortedMemberIds,
} from "./assignor.ts";

/** Encode what a member owns as StickyAssignor userData (v1: with generation). */
export function encodeStickyUserData(owned: readonly TopicPartitions[], generationId: number): Uint8Array {
  const writer = new Writer(64);
  writer.array(owned, (w, tp) => w.string(tp.topic).array(tp.partitions, (pw, p) => pw.int32(p)));
  writer.int32(generationId);
  return writer.toBytes();
}

/** Decode StickyAssignor userData (v0 or v1); generation -1 when absent. Throws WireError. */
export function decodeStickyUserData(bytes: Uint8Array): { owned: TopicPartitions[]; generationId: number } {
  const reader = new Reader(bytes);
  const owned = reader.array((r) => {
    const topic = r.string();
    if (topic === null) throw new WireError("Null topic in sticky assignor user data");
    return { topic, partitions: r.array((pr) => pr.int32(), 4) ?? [] };
  }, 6) ?? [];
  const generationId = reader.remaining >= 4 ? reader.int32() : -1;
  return { owned, generationId };
}

/** What a member claims to own, and the generation of that claim. */
function claimsOf(subscription: Subscription): { owned: TopicPartitions[]; generationId: number } {
  const generationId = subscription.generationId ?? -1;
  if ((subscription.ownedPartitions ?? []).length > 0) {
    return { owned: subscription.ownedPartitions!, generationId };
  }
  if (subscription.userData !== null && subscription.userData.length > 0) {
    try {
      const decoded = decodeStickyUserData(subscription.userData);
      return { owned: decoded.owned, generationId: Math.max(decoded.generationId, generationId) };
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
    }
  }
  return { owned: [], generationId };
}

interface Slot {
  topic: string;
  partition: number;
}

const slotKey = (topic: string, partition: number) => `${partition}\u0000${topic}`;

function assignSticky({ members, partitionsPerTopic }: AssignInput): GroupAssignment {
  const memberIds = sortedMemberIds(members);
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const topicsOf = new Map(
    memberIds.map((id) => [id, new Set(knownTopics(byId.get(id)!.subscription, partitionsPerTopic))]),
  );
  const eligibleByTopic = new Map<string, string[]>();
  const eligible = (topic: string): string[] => {
    let ids = eligibleByTopic.get(topic);
    if (ids === undefined) {
      eligibleByTopic.set(
        topic,
        ids = memberIds.filter((id) => topicsOf.get(id)!.has(topic)),
      );
    }
    return ids;
  };

  // Step 1: the valid claim with the highest generation wins each partition.
  const owner = new Map<string, { memberId: string; generationId: number }>();
  for (const memberId of memberIds) {
    const { owned, generationId } = claimsOf(byId.get(memberId)!.subscription);
    for (const { topic, partitions } of owned) {
      const count = partitionsPerTopic.get(topic) ?? 0;
      if (!topicsOf.get(memberId)!.has(topic)) continue;
      for (const partition of partitions) {
        if (!Number.isInteger(partition) || partition < 0 || partition >= count) continue;
        const key = slotKey(topic, partition);
        const current = owner.get(key);
        if (current === undefined || generationId > current.generationId) {
          owner.set(key, { memberId, generationId });
        }
      }
    }
  }
  const held = new Map<string, Slot[]>(memberIds.map((id) => [id, []]));
  const fresh = new Set<string>();
  const unowned: Slot[] = [];
  const allTopics = [...new Set([...topicsOf.values()].flatMap((set) => [...set]))].sort(compare);
  for (const topic of allTopics) {
    for (let partition = 0; partition < partitionsPerTopic.get(topic)!; partition++) {
      const claim = owner.get(slotKey(topic, partition));
      if (claim === undefined) unowned.push({ topic, partition });
      else held.get(claim.memberId)!.push({ topic, partition });
    }
  }

  // Step 2: place unowned partitions, the most constrained first.
  const eligibleCount = new Map(allTopics.map((t) => [t, eligible(t).length]));
  unowned.sort((a, b) =>
    eligibleCount.get(a.topic)! - eligibleCount.get(b.topic)! || compare(a.topic, b.topic) ||
    a.partition - b.partition
  );
  for (const slot of unowned) {
    const target = leastLoaded(eligible(slot.topic), held);
    held.get(target)!.push(slot);
    fresh.add(slotKey(slot.topic, slot.partition));
  }

  // Step 3: move partitions from members holding two or more above an eligible other.
  const totalSlots = [...held.values()].reduce((sum, slots) => sum + slots.length, 0);
  const maxMoves = totalSlots * Math.max(1, memberIds.length);
  for (let moves = 0; moves < maxMoves; moves++) {
    if (!moveOne(memberIds, held, fresh, eligible)) break;
  }

  const builder = emptyBuilder(members);
  for (const [memberId, slots] of held) {
    for (const slot of slots) addPartition(builder, memberId, slot.topic, slot.partition);
  }
  return finish(builder);
}

function leastLoaded(candidates: string[], held: Map<string, Slot[]>): string {
  let best = candidates[0];
  for (const id of candidates) if (held.get(id)!.length < held.get(best)!.length) best = id;
  return best;
}

/** Make one balancing move, from the most loaded member that can give; false when balanced. */
function moveOne(
  memberIds: string[],
  held: Map<string, Slot[]>,
  fresh: Set<string>,
  eligible: (topic: string) => string[],
): boolean {
  const donors = [...memberIds].sort((a, b) => held.get(b)!.length - held.get(a)!.length || compare(a, b));
  for (const donor of donors) {
    const slots = held.get(donor)!;
    // Prefer giving away what was placed this round, then the last partitions held.
    const order = slots.map((slot, index) => ({ slot, index })).sort((a, b) =>
      Number(fresh.has(slotKey(b.slot.topic, b.slot.partition))) -
        Number(fresh.has(slotKey(a.slot.topic, a.slot.partition))) || b.index - a.index
    );
    for (const { slot, index } of order) {
      const receiver = leastLoaded(eligible(slot.topic), held);
      if (held.get(receiver)!.length + 1 < slots.length) {
        slots.splice(index, 1);
        held.get(receiver)!.push(slot);
        return true;
      }
    }
  }
  return false;
}

/** Protocol name "sticky" (Kafka's eager StickyAssignor). */
export const stickyAssignor: Assignor = { name: "sticky", assign: assignSticky };
