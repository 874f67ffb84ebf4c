/**
 * TreeModel: the cluster as the coordinator tree records it (controller, live brokers, topics'
 * assignments, partition states), and the one place that turns a change of one node into typed
 * events by comparing the node's new content with the model's copy. Pure: no I/O, so the same
 * code serves a tree watched live, a tree re-read after a lost session, and unit tests.
 *
 * @example
 * ```ts
 * const model = new TreeModel();
 * model.applyController({ brokerId: 1, epoch: 3 }, Date.now()); // [{ type: "controller-elected", … }]
 * ```
 */
import type { ControllerInfo } from "../broker/controller/controller-znodes.ts";
import type { BrokerEndpoint, PartitionState, ReplicaAssignment } from "../broker/zk-layout.ts";
import type { BrokerLeft, NewEvent } from "./cluster-event.ts";

/** A partition's state as the model keeps it. */
export interface PartitionRecord {
  topic: string;
  partition: number;
  state: PartitionState;
}

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

export class TreeModel {
  controller: ControllerInfo | null = null;
  readonly brokers = new Map<number, BrokerEndpoint>();
  readonly topics = new Map<string, ReplicaAssignment>();
  readonly #states = new Map<string, PartitionRecord>();
  #lastController: ControllerInfo | null = null;

  /** The state of one partition, or undefined. */
  state(topic: string, partition: number): PartitionState | undefined {
    return this.#states.get(key(topic, partition))?.state;
  }

  /** Every known partition state (insertion order). */
  states(): IterableIterator<PartitionRecord> {
    return this.#states.values();
  }

  /** /controller now holds `info` (null: no controller). */
  applyController(info: ControllerInfo | null, time: number): NewEvent[] {
    const before = this.controller;
    this.controller = info;
    if (info === null) return [];
    if (before && before.brokerId === info.brokerId && before.epoch === info.epoch) return [];
    // The previous controller is the last one known, even when /controller was empty in between.
    const previous = this.#lastController;
    this.#lastController = info;
    return [{
      type: "controller-elected",
      time,
      broker: info.brokerId,
      epoch: info.epoch,
      previous: previous ? { broker: previous.brokerId, epoch: previous.epoch } : null,
    }];
  }

  /** /brokers/ids/N now holds `endpoint` (null: the registration is gone). */
  applyBroker(brokerId: number, endpoint: BrokerEndpoint | null, time: number): NewEvent[] {
    const before = this.brokers.get(brokerId);
    const liveBefore = this.#liveIds();
    if (endpoint === null) {
      if (!before) return [];
      this.brokers.delete(brokerId);
      return [{
        type: "broker-left",
        time,
        broker: brokerId,
        host: before.host,
        port: before.port,
        how: this.#howLeft(brokerId),
        liveBefore,
        liveAfter: this.#liveIds(),
      }];
    }
    this.brokers.set(brokerId, endpoint);
    if (before && before.host === endpoint.host && before.port === endpoint.port) return [];
    return [{
      type: "broker-joined",
      time,
      broker: brokerId,
      host: endpoint.host,
      port: endpoint.port,
      liveBefore,
      liveAfter: this.#liveIds(),
    }];
  }

  #liveIds(): number[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  /** See BrokerLeft: a controlled shutdown has moved leadership and ISR membership away first. */
  #howLeft(brokerId: number): BrokerLeft["how"] {
    let hosts = false;
    for (const { topic, partition, state } of this.#states.values()) {
      const replicas = this.topics.get(topic)?.[partition] ?? [];
      if (replicas.includes(brokerId)) hosts = true;
      if (replicas.length < 2) continue;
      const leadsMovable = state.leader === brokerId && state.isr.some((id) => id !== brokerId);
      if (leadsMovable || (state.isr.includes(brokerId) && state.isr.length > 1)) return "expired";
    }
    return hosts ? "clean" : "unknown";
  }

  /** /brokers/topics/T now holds `assignment` (null: the topic is gone, with its states). */
  applyTopic(topic: string, assignment: ReplicaAssignment | null, time: number): NewEvent[] {
    const before = this.topics.get(topic);
    if (assignment === null) {
      if (!before) return [];
      this.topics.delete(topic);
      for (let p = 0; p < before.length; p++) this.#states.delete(key(topic, p));
      return [{ type: "topic-deleted", time, topic }];
    }
    this.topics.set(topic, assignment);
    if (before) return [];
    return [{
      type: "topic-created",
      time,
      topic,
      partitions: assignment.length,
      replicationFactor: assignment[0]?.length ?? 0,
    }];
  }

  /** A partition's state node now holds `state` (null: gone). */
  applyState(topic: string, partition: number, state: PartitionState | null, time: number): NewEvent[] {
    const id = key(topic, partition);
    const before = this.#states.get(id)?.state;
    if (state === null) {
      this.#states.delete(id);
      return [];
    }
    this.#states.set(id, { topic, partition, state });
    const events: NewEvent[] = [];
    const facts = (s: PartitionState) => ({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: [...s.isr] });
    const after = facts(state);
    if (!before || before.leader !== state.leader || before.leaderEpoch !== state.leaderEpoch) {
      events.push({
        type: "leader-changed",
        time,
        topic,
        partition,
        oldLeader: before ? before.leader : null,
        newLeader: state.leader,
        leaderEpoch: state.leaderEpoch,
        why: this.#whyLeaderChanged(before, state, this.topics.get(topic)?.[partition]?.[0]),
        before: before ? facts(before) : null,
        after,
      });
    }
    if (before) {
      const removed = before.isr.filter((id) => !state.isr.includes(id));
      const added = state.isr.filter((id) => !before.isr.includes(id));
      const base = {
        time,
        topic,
        partition,
        leader: state.leader,
        leaderEpoch: state.leaderEpoch,
        before: facts(before),
        after,
      };
      const oldIsr = [...before.isr];
      // A change that both drops and adds members is told as the shrink, then the expansion.
      if (removed.length > 0) {
        const newIsr = before.isr.filter((id) => !removed.includes(id));
        events.push({
          ...base,
          type: "isr-shrunk",
          oldIsr,
          newIsr: added.length > 0 ? newIsr : [...state.isr],
        });
      }
      if (added.length > 0) {
        const from = removed.length > 0 ? before.isr.filter((id) => !removed.includes(id)) : oldIsr;
        events.push({ ...base, type: "isr-expanded", oldIsr: from, newIsr: [...state.isr] });
      }
    }
    return events;
  }

  #whyLeaderChanged(before: PartitionState | undefined, after: PartitionState, preferred?: number): string {
    if (!before) return "partition created";
    if (after.leader < 0) return "no live in-sync replica: partition offline";
    if (before.leader < 0) return "an in-sync replica came back";
    if (before.leader === after.leader) return "leader epoch bumped (same leader)";
    if (!this.brokers.has(before.leader)) return "old leader offline";
    if (after.leader === preferred) return "preferred leader back (old leader still live)";
    return "old leader still live (controlled shutdown or reassignment)";
  }
}
