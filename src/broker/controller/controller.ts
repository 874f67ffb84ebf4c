/**
 * Controller: the active controller's work, for as long as this broker holds the controller
 * epoch. It keeps the cluster's partition leadership in line with the live brokers:
 *
 * 1. read the tree (live brokers, topics, partition states with their versions);
 * 2. decide each partition's state with electPartition (new partitions, dead or shutting-down
 *    leaders, dead ISR members, offline partitions coming back);
 * 3. write every changed state with a versioned write inside a multi that also checks the
 *    /controller_epoch version this controller set — a controller that has been replaced fails
 *    the check and stops (fencing in the coordinator, not only on the brokers);
 * 4. tell the brokers: LeaderAndIsr to the replicas of changed partitions (and all its partitions
 *    to a broker that (re)registered), UpdateMetadata with the whole view to every live broker,
 *    StopReplica (delete) to the replicas of topics that were deleted.
 *
 * Runs are serialized and coalesced: any number of triggers while a run is active cause exactly
 * one more run. A lost compare-and-set (a leader changed its ISR meanwhile) re-reads and runs
 * again. A periodic run (resyncIntervalMs) repairs whatever a lost watch could have missed.
 */
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import { ErrorCode as ZkErrorCode, KeeperError } from "../../zk/protocol/mod.ts";
import { TransactionError } from "../../zk/client/mod.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { LeaderAndIsrPartitionState } from "../../kafka/apis/leader-and-isr.ts";
import type { UpdateMetadataPartitionState } from "../../kafka/apis/update-metadata.ts";
import {
  type BrokerEndpoint,
  CONTROLLER_EPOCH_PATH,
  encodePartitionState,
  partitionPath,
  partitionsPath,
  type PartitionState,
  partitionStatePath,
} from "../zk-layout.ts";
import { BrokerChannel } from "./broker-channel.ts";
import { ClusterReader, type ClusterView, type TopicView } from "./cluster-reader.ts";
import { electPartition, uncleanElectionEnabled } from "./partition-election.ts";

export interface ControllerOptions {
  brokerId: number;
  epoch: number;
  /** Version of /controller_epoch after this controller's increment (the fencing token). */
  epochZkVersion: number;
  requestTimeoutMs: number;
  resyncIntervalMs: number;
  /** Called once when a write finds a newer controller epoch: this controller must stop. */
  onFenced: () => void;
  log: (message: string) => void;
}

/** Outcome of a controlled shutdown request. */
export interface ShutdownOutcome {
  errorCode: number;
  /** Partitions the broker still leads (no other in-sync replica could take them). */
  remaining: { topicName: string; partitionIndex: number }[];
}

/** A write found /controller_epoch at another version: a newer controller exists. */
export class ControllerFencedError extends Error {
  constructor(epoch: number) {
    super(`Controller epoch ${epoch} was superseded`);
  }
}

/** Delay before re-sending to a broker that missed a request. */
const RETRY_UNTOLD_MS = 1000;

/** How many runs in a row may lose compare-and-set races before waiting for the next trigger. */
const MAX_CONFLICT_RUNS = 20;

export class Controller {
  readonly #zk: ZooKeeperClient;
  readonly #options: ControllerOptions;
  readonly #reader: ClusterReader;
  readonly #channel: BrokerChannel;
  readonly #shuttingDown = new Set<number>();
  /** Brokers told everything, by registration zxid. */
  #announced = new Map<number, number>();
  #knownTopics = new Map<string, TopicView>();
  #view: ClusterView | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #runsStarted = 0;
  #runsDone = 0;
  #waiters: { atLeast: number; resolve: () => void }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(zk: ZooKeeperClient, options: ControllerOptions) {
    this.#zk = zk;
    this.#options = options;
    this.#reader = new ClusterReader(zk, () => void this.trigger(), options.log);
    this.#channel = new BrokerChannel({
      controllerId: options.brokerId,
      controllerEpoch: options.epoch,
      requestTimeoutMs: options.requestTimeoutMs,
      log: options.log,
    });
  }

  get epoch(): number {
    return this.#options.epoch;
  }

  /** First full run; later runs follow watches and the resync timer. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.trigger(), this.#options.resyncIntervalMs);
    await this.trigger();
  }

  /** Resolves after a run that started after this call finished. */
  trigger(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const target = this.#runsStarted + 1;
    const done = new Promise<void>((resolve) => this.#waiters.push({ atLeast: target, resolve }));
    if (this.#running) this.#again = true;
    else this.#running = this.#loop().finally(() => this.#running = null);
    return done;
  }

  async #loop(): Promise<void> {
    let conflicts = 0;
    do {
      this.#again = false;
      this.#runsStarted++;
      try {
        if (await this.#runOnce()) {
          conflicts++;
          if (conflicts < MAX_CONFLICT_RUNS) this.#again = true;
        } else {
          conflicts = 0;
        }
      } catch (error) {
        if (error instanceof ControllerFencedError) {
          this.#options.log(error.message);
          this.#stopped = true;
          this.#options.onFenced();
        } else if (!this.#stopped) {
          this.#options.log(`controller run failed: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
          this.#again = true;
        }
      }
      this.#runsDone = this.#runsStarted;
      this.#waiters = this.#waiters.filter((waiter) => {
        if (waiter.atLeast > this.#runsDone && !this.#stopped) return true;
        waiter.resolve();
        return false;
      });
    } while (this.#again && !this.#stopped);
  }

  /** One read-decide-write-announce pass; true when a compare-and-set race calls for another. */
  async #runOnce(): Promise<boolean> {
    const view = await this.#reader.read();
    if (this.#stopped) return false;
    const live = new Set(view.brokers.keys());
    for (const id of this.#shuttingDown) if (!live.has(id)) this.#shuttingDown.delete(id);
    const changed = new Set<string>();
    let conflict = false;
    for (const topic of view.topics.values()) {
      const uncleanAllowed = uncleanElectionEnabled(topic.configs);
      for (let partition = 0; partition < topic.assignment.length; partition++) {
        const current = topic.states[partition];
        const result = electPartition({
          replicas: topic.assignment[partition],
          state: current?.state ?? null,
          live,
          shuttingDown: this.#shuttingDown,
          uncleanAllowed,
          controllerEpoch: this.#options.epoch,
        });
        if (result === null) continue;
        const version = await this.#write(topic.name, partition, result.state, current?.version ?? null);
        if (version === "conflict") conflict = true;
        if (typeof version !== "number") continue;
        topic.states[partition] = { state: result.state, version };
        changed.add(`${topic.name}:${partition}`);
        const { leader, leaderEpoch, isr } = result.state;
        this.#options.log(
          `${topic.name}-${partition}: ${result.reason}: leader ${leader}, leader epoch ${leaderEpoch}, isr [${isr}]`,
        );
      }
    }
    this.#view = view;
    await this.#announce(view, changed);
    return conflict;
  }

  /**
   * Write a partition state fenced by the controller epoch; returns the new znode version,
   * "conflict" when someone else changed the state first (re-read and decide again), or "skip"
   * when there is nothing sensible to write: the topic went away (its watch brings the next run),
   * or a state node exists that could not be read (malformed; logged by the reader, left alone).
   */
  async #write(
    topic: string,
    partition: number,
    state: PartitionState,
    version: number | null,
  ): Promise<number | "conflict" | "skip"> {
    const path = partitionStatePath(topic, partition);
    const data = encodePartitionState(state);
    if (version === null) {
      // Parents one by one (not mkdirp): a topic deleted meanwhile must not be recreated.
      for (const parent of [partitionsPath(topic), partitionPath(topic, partition)]) {
        try {
          await this.#zk.create(parent);
        } catch (error) {
          if (!(error instanceof KeeperError)) throw error;
          if (error.code === ZkErrorCode.noNode) return "skip";
          if (error.code !== ZkErrorCode.nodeExists) throw error;
        }
      }
    }
    const transaction = this.#zk.transaction().check(CONTROLLER_EPOCH_PATH, this.#options.epochZkVersion);
    if (version === null) transaction.create(path, data);
    else transaction.setData(path, data, version);
    try {
      await transaction.commit();
      return version === null ? 0 : version + 1;
    } catch (error) {
      if (error instanceof TransactionError) {
        if (error.index === 0) throw new ControllerFencedError(this.#options.epoch);
        if (error.code === ZkErrorCode.badVersion) return "conflict";
        if (error.code === ZkErrorCode.nodeExists || error.code === ZkErrorCode.noNode) return "skip";
      }
      if (error instanceof KeeperError && error.code === ZkErrorCode.noNode) return "skip";
      throw error;
    }
  }

  /** Send LeaderAndIsr, UpdateMetadata and StopReplica as the run's changes require. */
  async #announce(view: ClusterView, changed: Set<string>): Promise<void> {
    const liveBrokers = [...view.brokers.values()];
    const fresh = liveBrokers.filter((broker) =>
      this.#announced.get(broker.brokerId) !== view.registrations.get(broker.brokerId)
    );
    const deleted = [...this.#knownTopics.values()].filter((topic) => !view.topics.has(topic.name));
    const sends: Promise<boolean>[] = [];
    const untold = new Set<number>();
    for (const broker of liveBrokers) {
      const everything = fresh.includes(broker);
      const states = this.#leaderAndIsrStates(view, broker.brokerId, everything ? null : changed);
      // A broker new to this controller hears from it even with nothing to lead or follow, so it
      // learns the controller epoch (and refuses older controllers from then on).
      if (states.length > 0 || everything) {
        sends.push(
          this.#channel.leaderAndIsr(broker, states, liveBrokers).then((ok) => {
            if (!ok) untold.add(broker.brokerId);
            return ok;
          }),
        );
      }
    }
    for (const topic of deleted) {
      const byBroker = new Map<number, { topicName: string; partitionIndex: number }[]>();
      topic.assignment.forEach((replicas, partitionIndex) => {
        for (const id of replicas) {
          const list = byBroker.get(id) ?? [];
          list.push({ topicName: topic.name, partitionIndex });
          byBroker.set(id, list);
        }
      });
      for (const [id, partitions] of byBroker) {
        const broker = view.brokers.get(id);
        if (broker) sends.push(this.#channel.stopReplica(broker, partitions, true));
      }
    }
    await Promise.all(sends);
    if (changed.size > 0 || fresh.length > 0 || deleted.length > 0) {
      const states = this.#updateMetadataStates(view);
      const results = await Promise.all(
        liveBrokers.map((broker) => this.#channel.updateMetadata(broker, states, liveBrokers)),
      );
      liveBrokers.forEach((broker, index) => {
        if (!results[index]) untold.add(broker.brokerId);
      });
    }
    // A broker that missed a request is told everything in a run shortly after (it also follows
    // the coordinator itself, so this only makes it hear sooner).
    for (const id of untold) view.registrations.set(id, -1);
    if (untold.size > 0 && !this.#stopped) {
      setTimeout(() => void this.trigger(), RETRY_UNTOLD_MS);
    }
    this.#announced = new Map(view.registrations);
    this.#knownTopics = new Map(view.topics);
  }

  /** The partition states a broker replicates: all of them, or only those in `only`. */
  #leaderAndIsrStates(
    view: ClusterView,
    brokerId: number,
    only: Set<string> | null,
  ): LeaderAndIsrPartitionState[] {
    const states: LeaderAndIsrPartitionState[] = [];
    for (const topic of view.topics.values()) {
      topic.assignment.forEach((replicas, partition) => {
        const current = topic.states[partition];
        if (!current || !replicas.includes(brokerId)) return;
        if (only && !only.has(`${topic.name}:${partition}`)) return;
        states.push({
          topicName: topic.name,
          partitionIndex: partition,
          controllerEpoch: current.state.controllerEpoch,
          leader: current.state.leader,
          leaderEpoch: current.state.leaderEpoch,
          isr: current.state.isr,
          zkVersion: current.version,
          replicas,
          isNew: false,
        });
      });
    }
    return states;
  }

  #updateMetadataStates(view: ClusterView): UpdateMetadataPartitionState[] {
    const states: UpdateMetadataPartitionState[] = [];
    for (const topic of view.topics.values()) {
      topic.assignment.forEach((replicas, partition) => {
        const current = topic.states[partition];
        if (!current) return;
        states.push({
          topicName: topic.name,
          partitionIndex: partition,
          controllerEpoch: current.state.controllerEpoch,
          leader: current.state.leader,
          leaderEpoch: current.state.leaderEpoch,
          isr: current.state.isr,
          zkVersion: current.version,
          replicas,
          offlineReplicas: replicas.filter((id) => !view.brokers.has(id)),
        });
      });
    }
    return states;
  }

  /**
   * Controlled shutdown of `brokerId`: it may no longer lead, and leaves every ISR it can leave;
   * resolves after the changes are written and announced.
   */
  async controlledShutdown(brokerId: number): Promise<ShutdownOutcome> {
    const { brokers } = await this.#reader.readBrokers();
    if (!brokers.has(brokerId)) return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, remaining: [] };
    this.#shuttingDown.add(brokerId);
    this.#options.log(`controlled shutdown of broker ${brokerId}`);
    await this.trigger();
    const remaining: ShutdownOutcome["remaining"] = [];
    const view = this.#view;
    for (const topic of view?.topics.values() ?? []) {
      topic.assignment.forEach((_replicas, partitionIndex) => {
        const state = topic.states[partitionIndex]?.state;
        // Only a partition that another live in-sync replica could take is worth waiting for;
        // one with no such replica (a single replica, or every other one gone or leaving) stays.
        const movable = state?.isr.some((id) =>
          id !== brokerId && view!.brokers.has(id) && !this.#shuttingDown.has(id)
        );
        if (state?.leader === brokerId && movable) remaining.push({ topicName: topic.name, partitionIndex });
      });
    }
    return { errorCode: 0, remaining };
  }

  /** Stop acting (resigned or fenced); in-flight work finishes but nothing new starts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters = [];
    await this.#running?.catch(() => {});
    this.#channel.close();
  }

  /** Live brokers of the last run (for status output and tests). */
  get liveBrokers(): BrokerEndpoint[] {
    return [...(this.#view?.brokers.values() ?? [])];
  }
}
