/**
 * Controller: the active controller's work, for as long as this broker holds the controller
 * epoch. It keeps the cluster's partition leadership in line with the live brokers. Its cost
 * follows what changed, not the cluster's size: each run acts only on the partitions the
 * ControllerContext hands it as touched (all of them after a full read, else those whose
 * assignment, state, replicas' liveness or unclean setting changed) and those it changes itself.
 *
 * 1. bring its in-memory view up to date (ControllerContext: one full read when elected and at
 *    a resync that finds the tree changed, otherwise only what watches, the ISR change
 *    notifications leaders left — deleted once read — and lost compare-and-sets name);
 * 2. decide each touched partition's state with electPartition (new partitions, dead or
 *    shutting-down leaders, dead ISR members, offline partitions coming back);
 * 3. write every changed state with a versioned write inside a multi that also checks the
 *    /controller_epoch version this controller set — a controller that has been replaced fails
 *    the check and stops (fencing in the coordinator, not only on the brokers); up to 500
 *    partitions per multi, four multis in flight, one by one after a failed multi;
 * 4. elections asked for (ElectLeaders, or the automatic leader rebalance every
 *    leader.imbalance.check.interval): preferred or unclean, decided by leader-balance.ts on the
 *    run's fresh view and written like any other change; reassignments asked for
 *    (AlterPartitionReassignments) started or cancelled, and those in progress among the
 *    touched partitions completed once their targets are in sync (reassignment.ts);
 * 5. tell the brokers, through one queue per broker that the run never waits on (a slow or
 *    unreachable broker delays only its own messages): LeaderAndIsr to the replicas of
 *    partitions it changed or never announced
 *    (and all its partitions to a broker that (re)registered or missed a request),
 *    UpdateMetadata to every live broker with the touched partition states that changed since
 *    the last announcement (leaders' own ISR changes included; deleted partitions with leader
 *    -2) or everything for a broker new to this controller, StopReplica (delete) to the replicas
 *    of topics that were deleted and of replicas a reassignment removed.
 *
 * Runs are serialized and coalesced: any number of triggers while a run is active cause exactly
 * one more run. A lost compare-and-set (a leader changed its ISR meanwhile) re-reads that
 * partition and runs again. A periodic run (resyncIntervalMs) repairs whatever a lost watch could
 * have missed: it reads the whole tree again only when the coordinator's zxid moved since the last
 * full read (ResyncGate), so an idle cluster's controller reads nothing.
 */
import type { ClientSecurity } from "../../client/security.ts";
import type { ZooKeeperClient } from "../../zk/client/mod.ts";
import { ErrorCode as ZkErrorCode, KeeperError } from "../../zk/protocol/mod.ts";
import { TransactionError } from "../../zk/client/mod.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { LeaderAndIsrPartitionState } from "../../kafka/apis/leader-and-isr.ts";
import type { UpdateMetadataPartitionState } from "../../kafka/apis/update-metadata.ts";
import {
  BROKER_IDS_PATH,
  type BrokerEndpoint,
  CONTROLLER_EPOCH_PATH,
  decodePartitionList,
  encodePartitionState,
  encodeTopicAssignment,
  ISR_CHANGE_NOTIFICATION_PATH,
  partitionPath,
  partitionsPath,
  type PartitionState,
  partitionStatePath,
  type Reassignment,
  topicPath,
} from "../zk-layout.ts";
import { BrokerChannel } from "./broker-channel.ts";
import {
  ClusterTreeReader,
  type ClusterView,
  mapBounded,
  type TopicView,
  type VersionedState,
} from "../cluster-tree.ts";
import { ControllerContext, type PartitionName, type Refreshed } from "./controller-context.ts";
import { LEADER_DURING_DELETE } from "../metadata-cache.ts";
import { parsePartitionKey, partitionKey } from "../topic-partition.ts";
import { type ElectionResult, electPartition, uncleanElectionEnabled } from "./partition-election.ts";
import { electPreferred, electUnclean, imbalancedPartitions, type NoElection } from "./leader-balance.ts";
import {
  cancelReassignment,
  completeReassignment,
  startReassignment,
  type Step,
  targetProblem,
} from "./reassignment.ts";
import { yieldToEventLoop } from "../event-loop.ts";
import { ResyncGate } from "../resync-gate.ts";

export interface ControllerOptions {
  brokerId: number;
  epoch: number;
  /** Version of /controller_epoch after this controller's increment (the fencing token). */
  epochZkVersion: number;
  requestTimeoutMs: number;
  resyncIntervalMs: number;
  /** Called once when a write finds a newer controller epoch: this controller must stop. */
  onFenced: () => void;
  /**
   * auto.leader.rebalance.enable: every intervalMs (leader.imbalance.check.interval), elect
   * preferred leaders back for brokers whose imbalance exceeds percentage
   * (leader.imbalance.per.broker.percentage). Absent: no automatic rebalance.
   */
  autoLeaderRebalance?: { intervalMs: number; percentage: number };
  log: (message: string) => void;
  /** How to reach brokers' inter-broker listener; undefined = PLAINTEXT. */
  security?: ClientSecurity;
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

/**
 * The brokers that count as live for one partition: the registered ones, less those that report
 * their replica of it offline (its log failed: for this partition the broker is as good as dead).
 */
function liveReplicasOf(
  live: ReadonlySet<number>,
  offlineReplicas: ReadonlyMap<number, ReadonlySet<string>>,
): (partitionKey: string) => ReadonlySet<number> {
  if (offlineReplicas.size === 0) return () => live;
  return (key) => {
    const without = [...offlineReplicas].filter(([id, keys]) => live.has(id) && keys.has(key));
    if (without.length === 0) return live;
    const less = new Set(live);
    for (const [id] of without) less.delete(id);
    return less;
  };
}

/** An election asked for: its partitions (null = all), and per partition the outcome once made. */
export interface ElectionRequest {
  type: "preferred" | "unclean";
  partitions: { topic: string; partition: number }[] | null;
  /** Filled by the runs that made (or declined) the elections: key "topic:p" → outcome. */
  outcomes: Map<string, ElectionOutcome>;
  /** Every partition asked for has its outcome. */
  complete: boolean;
}

/** One partition's outcome: elected, declined (why), or unknown partition. */
export type ElectionOutcome = "elected" | NoElection | "unknown partition";

/** A reassignment asked for (AlterPartitionReassignments): per partition a target, or null to cancel. */
export interface ReassignRequest {
  partitions: { topic: string; partition: number; target: number[] | null }[];
  /** key "topic:p" → error code (0 = started or cancelled) and message. */
  outcomes: Map<string, { errorCode: number; errorMessage: string | null }>;
  complete: boolean;
}

/** A reassignment in progress, as ListPartitionReassignments reports it. */
export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** Most election requests waiting for a run; more are refused (the caller retries). */
const MAX_PENDING_ELECTIONS = 64;

/** One partition's new state, to be written. */
interface Decision {
  topic: TopicView;
  partition: number;
  result: ElectionResult;
  /** The state node's version read, or null when it does not exist. */
  version: number | null;
}

type WriteOutcome = number | "conflict" | "skip";

/** Partitions per coordinator multi: about 150 bytes each, far below a 1 MiB request. */
const WRITES_PER_MULTI = 500;

/** Multis in flight at once. */
const MULTIS_IN_FLIGHT = 4;

/** Partitions decided between two yields to the event loop. */
const DECISIONS_PER_SLICE = 1000;

/** Delay before re-sending everything to a broker that missed a request. */
const RETRY_UNTOLD_MS = 1000;

/** How many runs in a row may lose compare-and-set races before waiting for the next trigger. */
const MAX_CONFLICT_RUNS = 20;

function leaderAndIsrState(
  topic: TopicView,
  partition: number,
  current: VersionedState,
): LeaderAndIsrPartitionState {
  return {
    topicName: topic.name,
    partitionIndex: partition,
    controllerEpoch: current.state.controllerEpoch,
    leader: current.state.leader,
    leaderEpoch: current.state.leaderEpoch,
    isr: current.state.isr,
    zkVersion: current.version,
    replicas: topic.assignment[partition],
    isNew: false,
  };
}

function updateMetadataState(
  view: ClusterView,
  topic: TopicView,
  partition: number,
  current: VersionedState,
): UpdateMetadataPartitionState {
  const { isNew: _, ...state } = leaderAndIsrState(topic, partition, current);
  const key = partitionKey(topic.name, partition);
  return {
    ...state,
    offlineReplicas: state.replicas.filter((id) =>
      !view.brokers.has(id) || view.offlineReplicas.get(id)?.has(key)
    ),
  };
}

/** Deleted topics' partitions, announced with leader -2 (brokers forget them). */
function deletedStates(
  deleted: readonly TopicView[],
  controllerEpoch: number,
): UpdateMetadataPartitionState[] {
  return deleted.flatMap((topic) =>
    topic.assignment.map((replicas, partition) => ({
      topicName: topic.name,
      partitionIndex: partition,
      controllerEpoch,
      leader: LEADER_DURING_DELETE,
      leaderEpoch: -1,
      isr: [],
      zkVersion: -1,
      replicas,
      offlineReplicas: [],
    }))
  );
}

export class Controller {
  readonly #zk: ZooKeeperClient;
  readonly #options: ControllerOptions;
  readonly #reader: ClusterTreeReader;
  /** The cluster in memory: loaded once, then changed by watches, notifications and our writes. */
  readonly #context: ControllerContext;
  readonly #channel: BrokerChannel;
  readonly #shuttingDown = new Set<number>();
  /** Paths with a watch armed (one per path, re-armed when it fires). */
  readonly #armed = new Set<string>();
  /** Brokers told everything, by registration zxid. */
  #announced = new Map<number, number>();
  /** The live broker ids of the last UpdateMetadata round. */
  #announcedBrokers = "";
  /** Znode version of each partition state ("topic:p") as last announced to every broker. */
  #announcedStates = new Map<string, number>();
  #resendTimer: ReturnType<typeof setTimeout> | undefined;
  #view: ClusterView | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #runsStarted = 0;
  #runsDone = 0;
  #waiters: { atLeast: number; resolve: () => void }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #balanceTimer: ReturnType<typeof setInterval> | undefined;
  /** Elections asked for, made by the next run. */
  #elections: ElectionRequest[] = [];
  /** Reassignments asked for, started (or cancelled) by the next run. */
  #reassigns: ReassignRequest[] = [];
  #stopped = false;
  /** Partitions looked at by the run in progress, and by every run that finished. */
  #work = 0;
  #workDone = 0;

  constructor(zk: ZooKeeperClient, options: ControllerOptions) {
    this.#zk = zk;
    this.#options = options;
    this.#reader = new ClusterTreeReader(zk, {
      watch: (path) => this.#watch(path),
      unwatch: (path) => this.#armed.delete(path),
      log: options.log,
    });
    this.#context = new ControllerContext(
      this.#reader,
      new ResyncGate(() => this.#reader.latestZxid(), options.resyncIntervalMs),
    );
    this.#channel = new BrokerChannel({
      controllerId: options.brokerId,
      controllerEpoch: options.epoch,
      requestTimeoutMs: options.requestTimeoutMs,
      onUndelivered: (brokerId) => this.#resendEverythingTo(brokerId),
      log: options.log,
      security: options.security,
    });
  }

  get epoch(): number {
    return this.#options.epoch;
  }

  /** First full run; later runs follow watches and the resync timer. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => {
      this.#context.requestResync();
      void this.trigger();
    }, this.#options.resyncIntervalMs);
    const balance = this.#options.autoLeaderRebalance;
    if (balance) {
      this.#balanceTimer = setInterval(
        () => this.#checkLeaderBalance(balance.percentage),
        balance.intervalMs,
      );
    }
    await this.trigger();
  }

  /**
   * Elect leaders (ElectLeaders): resolves with each partition's outcome once the runs that
   * follow made the elections; null when this controller stopped first, timeoutMs passed, or too
   * many requests wait already.
   */
  async electLeaders(
    type: "preferred" | "unclean",
    partitions: { topic: string; partition: number }[] | null,
    timeoutMs: number,
  ): Promise<Map<string, ElectionOutcome> | null> {
    if (this.#stopped || this.#elections.length >= MAX_PENDING_ELECTIONS) return null;
    const request: ElectionRequest = { type, partitions, outcomes: new Map(), complete: false };
    const deadline = Date.now() + timeoutMs;
    while (!request.complete && !this.#stopped && Date.now() < deadline) {
      // Queued again when a run lost a race (it does that itself) or failed (then it is gone).
      if (!this.#elections.includes(request)) this.#elections.push(request);
      await this.trigger();
    }
    return request.complete ? request.outcomes : null;
  }

  /**
   * Start or cancel reassignments (AlterPartitionReassignments): resolves with each partition's
   * outcome once a run wrote them; null when this controller stopped first or timeoutMs passed.
   * Completion follows later, when the new replicas are in sync (listReassignments shows it).
   */
  async reassign(
    partitions: ReassignRequest["partitions"],
    timeoutMs: number,
  ): Promise<ReassignRequest["outcomes"] | null> {
    if (this.#stopped || this.#reassigns.length >= MAX_PENDING_ELECTIONS) return null;
    const request: ReassignRequest = { partitions, outcomes: new Map(), complete: false };
    const deadline = Date.now() + timeoutMs;
    while (!request.complete && !this.#stopped && Date.now() < deadline) {
      if (!this.#reassigns.includes(request)) this.#reassigns.push(request);
      await this.trigger();
    }
    return request.complete ? request.outcomes : null;
  }

  /** The reassignments in progress, as of a run started after this call. */
  async listReassignments(): Promise<OngoingReassignment[]> {
    await this.trigger();
    const ongoing: OngoingReassignment[] = [];
    for (const topic of this.#view?.topics.values() ?? []) {
      for (const [partition, { adding, removing }] of topic.reassignments) {
        ongoing.push({
          topic: topic.name,
          partition,
          replicas: topic.assignment[partition],
          adding,
          removing,
        });
      }
    }
    return ongoing;
  }

  /** Start or cancel the reassignments asked for; true when a write lost a race (retried next run). */
  async #startReassignments(
    view: ClusterView,
    requests: ReassignRequest[],
    stops: Map<number, { topicName: string; partitionIndex: number }[]>,
    changed: Set<string>,
  ): Promise<boolean> {
    let conflict = false;
    const registered = new Set(view.registrations.keys());
    for (const request of requests) {
      const byTopic = new Map<string, Map<number, Step>>();
      for (const { topic: name, partition, target } of request.partitions) {
        this.#work++;
        const key = partitionKey(name, partition);
        const topic = view.topics.get(name);
        const current = topic?.states[partition];
        const fail = (errorCode: number, errorMessage: string) =>
          request.outcomes.set(key, { errorCode, errorMessage });
        if (!topic || !current) {
          fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${name} has no partition ${partition}`);
          continue;
        }
        const replicas = topic.assignment[partition];
        const ongoing = topic.reassignments.get(partition);
        let step: Step | null;
        if (target === null) {
          if (!ongoing) {
            fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `${key} is not being reassigned`);
            continue;
          }
          step = cancelReassignment(
            replicas,
            ongoing,
            current.state,
            liveReplicasOf(new Set(view.brokers.keys()), view.offlineReplicas)(key),
            this.#options.epoch,
          );
          if (step === null) {
            fail(
              ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
              `${key}: no original replica is live and in sync to lead`,
            );
            continue;
          }
        } else {
          const problem = targetProblem(target, registered);
          if (problem !== null) {
            fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `${key}: ${problem}`);
            continue;
          }
          step = startReassignment(replicas, ongoing, target, current.state, this.#options.epoch);
          if (step === null) {
            request.outcomes.set(key, { errorCode: 0, errorMessage: null });
            continue;
          }
        }
        const steps = byTopic.get(name) ?? new Map<number, Step>();
        steps.set(partition, step);
        byTopic.set(name, steps);
      }
      let raced = false;
      for (const [name, steps] of byTopic) {
        const topic = view.topics.get(name)!;
        const outcome = await this.#applySteps(topic, steps, stops, changed);
        if (outcome === "conflict") raced = true;
        if (outcome !== "ok") continue;
        for (const partition of steps.keys()) {
          request.outcomes.set(partitionKey(name, partition), { errorCode: 0, errorMessage: null });
        }
      }
      if (raced) {
        conflict = true;
        request.partitions = request.partitions.filter(({ topic, partition }) =>
          !request.outcomes.has(partitionKey(topic, partition))
        );
        this.#reassigns.push(request);
      } else {
        request.complete = true;
      }
    }
    return conflict;
  }

  /**
   * Finish the reassignments whose target replicas are now in sync, looking only at the
   * partitions given (touched or changed this run: an ISR, a replica's liveness or the
   * reassignment itself changed); true when a write lost a race.
   */
  async #advanceReassignments(
    view: ClusterView,
    keys: Iterable<string>[],
    liveFor: (key: string) => ReadonlySet<number>,
    stops: Map<number, { topicName: string; partitionIndex: number }[]>,
    changed: Set<string>,
  ): Promise<boolean> {
    const byTopic = new Map<TopicView, Map<number, Step>>();
    const seen = new Set<string>();
    for (const key of keys.flatMap((some) => [...some])) {
      if (seen.has(key)) continue;
      seen.add(key);
      this.#work++;
      const { topic: name, partition } = parsePartitionKey(key);
      const topic = view.topics.get(name);
      const reassignment = topic?.reassignments.get(partition);
      const current = topic?.states[partition];
      if (!topic || !reassignment || !current) continue;
      const step = completeReassignment(
        topic.assignment[partition],
        reassignment,
        current.state,
        liveFor(key),
        this.#options.epoch,
      );
      if (!step) continue;
      const steps = byTopic.get(topic) ?? new Map<number, Step>();
      steps.set(partition, step);
      byTopic.set(topic, steps);
    }
    let conflict = false;
    for (const [topic, steps] of byTopic) {
      if (await this.#applySteps(topic, steps, stops, changed) === "conflict") conflict = true;
    }
    return conflict;
  }

  /**
   * Write one topic's reassignment steps in one fenced transaction: its assignment node (replicas
   * and the reassignments still in progress) and each changed partition state, all compare-and-set.
   * On success the view is updated, the partitions marked changed, and replicas that left queued
   * for StopReplica (delete).
   */
  async #applySteps(
    topic: TopicView,
    steps: Map<number, Step>,
    stops: Map<number, { topicName: string; partitionIndex: number }[]>,
    changed: Set<string>,
  ): Promise<"ok" | "conflict" | "skip"> {
    const assignment = topic.assignment.map((replicas, partition) =>
      steps.get(partition)?.replicas ?? replicas
    );
    const reassignments = new Map<number, Reassignment>(topic.reassignments);
    for (const [partition, step] of steps) {
      if (step.reassignment) reassignments.set(partition, step.reassignment);
      else reassignments.delete(partition);
    }
    const transaction = this.#zk.transaction().check(CONTROLLER_EPOCH_PATH, this.#options.epochZkVersion);
    transaction.setData(
      topicPath(topic.name),
      encodeTopicAssignment(assignment, reassignments),
      topic.assignmentVersion,
    );
    for (const [partition, step] of steps) {
      const version = topic.states[partition]!.version;
      transaction.setData(
        partitionStatePath(topic.name, partition),
        encodePartitionState(step.state),
        version,
      );
    }
    try {
      await transaction.commit();
    } catch (error) {
      if (error instanceof TransactionError) {
        if (error.index === 0) throw new ControllerFencedError(this.#options.epoch);
        if (error.code === ZkErrorCode.badVersion) {
          // The assignment or a state changed under us: the next round reads the topic again.
          this.#context.markDirty(topicPath(topic.name));
          return "conflict";
        }
        if (error.code === ZkErrorCode.noNode) return "skip";
      }
      throw error;
    }
    for (const [partition, step] of steps) {
      const before = topic.assignment[partition];
      for (const id of before.filter((id) => !step.replicas.includes(id))) {
        const list = stops.get(id) ?? [];
        list.push({ topicName: topic.name, partitionIndex: partition });
        stops.set(id, list);
      }
      topic.states[partition] = { state: step.state, version: topic.states[partition]!.version + 1 };
      changed.add(partitionKey(topic.name, partition));
      const phase = step.reassignment
        ? `reassignment: adding [${step.reassignment.adding}], removing [${step.reassignment.removing}], replicas`
        : "replicas now";
      this.#options.log(
        `${topic.name}-${partition}: ${phase} [${step.replicas}], leader ${step.state.leader}, leader epoch ${step.state.leaderEpoch}, isr [${step.state.isr}]`,
      );
    }
    // The watch on the assignment node brings this version back: a read that changes nothing.
    this.#context.replaceAssignment(topic, assignment, reassignments, topic.assignmentVersion + 1);
    return "ok";
  }

  /** The automatic rebalance: preferred elections for the brokers out of balance, if any. */
  #checkLeaderBalance(percentage: number): void {
    const view = this.#view;
    if (view === null || this.#stopped) return;
    const partitions = [];
    for (const topic of view.topics.values()) {
      for (let partition = 0; partition < topic.assignment.length; partition++) {
        const current = topic.states[partition];
        if (current) {
          partitions.push({
            topic: topic.name,
            partition,
            replicas: topic.assignment[partition],
            state: current.state,
          });
        }
      }
    }
    const chosen = imbalancedPartitions(
      partitions,
      new Set(view.brokers.keys()),
      this.#shuttingDown,
      percentage,
    );
    if (chosen.length === 0 || this.#elections.length >= MAX_PENDING_ELECTIONS) return;
    this.#options.log(`leader imbalance: electing preferred leaders of ${chosen.length} partition(s)`);
    this.#elections.push({
      type: "preferred",
      partitions: chosen.map(({ topic, partition }) => ({ topic, partition })),
      outcomes: new Map(),
      complete: false,
    });
    void this.trigger();
  }

  /**
   * Make the elections asked for on this run's view. Returns true when a write lost a race: the
   * request goes back for the next run, which decides again on a fresh view.
   */
  async #runElections(
    view: ClusterView,
    elections: ElectionRequest[],
    liveFor: (key: string) => ReadonlySet<number>,
    changed: Set<string>,
  ): Promise<boolean> {
    let conflict = false;
    for (const request of elections) {
      const outcomes = request.outcomes;
      const wanted = request.partitions ??
        [...view.topics.values()].flatMap((topic) =>
          topic.assignment.map((_, partition) => ({ topic: topic.name, partition }))
        );
      // Decide every partition first, then write them all pipelined in fenced multis (no
      // awaited round trip per partition: a preferred election after a restart moves a third
      // of the cluster's leaders).
      const decisions: Decision[] = [];
      for (const { topic: name, partition } of wanted) {
        if (++this.#work % DECISIONS_PER_SLICE === 0) await yieldToEventLoop();
        const key = partitionKey(name, partition);
        const topic = view.topics.get(name);
        const current = topic?.states[partition];
        if (!topic || !current) {
          outcomes.set(key, "unknown partition");
          continue;
        }
        const input = {
          replicas: topic.assignment[partition],
          state: current.state,
          live: liveFor(key),
          shuttingDown: this.#shuttingDown,
          controllerEpoch: this.#options.epoch,
        };
        const decision = request.type === "preferred" ? electPreferred(input) : electUnclean(input);
        if (typeof decision === "string") {
          outcomes.set(key, decision);
          continue;
        }
        decisions.push({
          topic,
          partition,
          result: {
            state: decision,
            reason: request.type === "preferred" ? "preferred election" : "unclean election",
          },
          version: current.version,
        });
      }
      let raced = false;
      const written = decisions.length > 0 ? await this.#writeAll(decisions) : [];
      decisions.forEach(({ topic, partition, result }, index) => {
        const version = written[index];
        if (version === "conflict") raced = true;
        if (typeof version !== "number") return;
        const key = partitionKey(topic.name, partition);
        topic.states[partition] = { state: result.state, version };
        changed.add(key);
        outcomes.set(key, "elected");
        this.#options.log(
          `${key}: ${request.type} election: leader ${result.state.leader}, leader epoch ${result.state.leaderEpoch}`,
        );
      });
      if (raced) {
        // The partitions decided stay decided; the rest wait for the next run's fresh view.
        conflict = true;
        request.partitions = wanted.filter(({ topic, partition }) =>
          !request.outcomes.has(partitionKey(topic, partition))
        );
        this.#elections.push(request);
      } else {
        request.complete = true;
      }
    }
    return conflict;
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

  /** A watch for path that triggers a run, unless one is already armed there. */
  #watch(path: string): (() => void) | undefined {
    if (this.#armed.has(path)) return undefined;
    this.#armed.add(path);
    return () => {
      this.#armed.delete(path);
      this.#context.markDirty(path);
      void this.trigger();
    };
  }

  /** One read-decide-write-announce pass; true when a compare-and-set race calls for another. */
  async #runOnce(): Promise<boolean> {
    const notifications = await this.#isrChangeNotifications();
    // Taken before the read: every election asked for so far is decided on a view read after it.
    const elections = this.#elections.splice(0);
    const reassigns = this.#reassigns.splice(0);
    // A target naming a broker this controller has not seen register may only be ahead of its
    // /brokers/ids watch (a broker's metadata can show a newcomer first: every broker re-reads the
    // tree at start and at its periodic reconcile): read the registrations again before refusing.
    // One read, and only then.
    const known = this.#context.view?.registrations;
    if (
      known && reassigns.some((r) => r.partitions.some(({ target }) => target?.some((id) => !known.has(id))))
    ) {
      this.#context.markDirty(BROKER_IDS_PATH);
    }
    const refreshed = await this.#context.refresh(await this.#notifiedPartitions(notifications));
    try {
      return await this.#act(refreshed, notifications, elections, reassigns);
    } catch (error) {
      // Nothing of this run is known to be announced: the next run reconsiders all it was given.
      this.#context.restore(refreshed);
      throw error;
    }
  }

  /** Decide, write and announce what the refresh found changed (the touched partitions only). */
  async #act(
    { view, touched, deleted }: Refreshed,
    notifications: string[],
    elections: ElectionRequest[],
    reassigns: ReassignRequest[],
  ): Promise<boolean> {
    this.#work = 0;
    if (this.#stopped) return false;
    // The read above saw every state those notifications announce: they are done.
    await this.#deleteNotifications(notifications);
    const live = new Set(view.brokers.keys());
    for (const id of this.#shuttingDown) if (!live.has(id)) this.#shuttingDown.delete(id);
    const liveFor = liveReplicasOf(live, view.offlineReplicas);
    const decisions: Decision[] = [];
    for (const { topic: name, partition } of touched.values()) {
      if (++this.#work % DECISIONS_PER_SLICE === 0) await yieldToEventLoop();
      const topic = view.topics.get(name);
      if (!topic || partition >= topic.assignment.length) continue;
      const current = topic.states[partition];
      const result = electPartition({
        replicas: topic.assignment[partition],
        state: current?.state ?? null,
        live: liveFor(partitionKey(name, partition)),
        shuttingDown: this.#shuttingDown,
        uncleanAllowed: uncleanElectionEnabled(topic.configs),
        controllerEpoch: this.#options.epoch,
      });
      if (result !== null) decisions.push({ topic, partition, result, version: current?.version ?? null });
    }
    if (this.#stopped) return false;
    const changed = new Set<string>();
    let conflict = false;
    const outcomes = await this.#writeAll(decisions);
    decisions.forEach(({ topic, partition, result }, index) => {
      const version = outcomes[index];
      if (version === "conflict") conflict = true;
      if (typeof version !== "number") return;
      topic.states[partition] = { state: result.state, version };
      changed.add(partitionKey(topic.name, partition));
      const { leader, leaderEpoch, isr } = result.state;
      this.#options.log(
        `${topic.name}-${partition}: ${result.reason}: leader ${leader}, leader epoch ${leaderEpoch}, isr [${isr}]`,
      );
    });
    if (elections.length > 0 && await this.#runElections(view, elections, liveFor, changed)) conflict = true;
    const stops = new Map<number, { topicName: string; partitionIndex: number }[]>();
    if (reassigns.length > 0 && await this.#startReassignments(view, reassigns, stops, changed)) {
      conflict = true;
    }
    if (await this.#advanceReassignments(view, [touched.keys(), changed], liveFor, stops, changed)) {
      conflict = true;
    }
    this.#view = view;
    this.#announce(view, changed, touched, deleted);
    for (const [brokerId, partitions] of stops) {
      const broker = view.brokers.get(brokerId);
      // A removed replica on a dead broker is deleted by the reconcile when it comes back.
      if (broker) this.#channel.stopReplica(broker, partitions, true);
    }
    this.#workDone += this.#work;
    return conflict;
  }

  /**
   * Write every decision: in multis of at most WRITES_PER_MULTI partitions, each led by the
   * controller-epoch check, with up to MULTIS_IN_FLIGHT of them pipelined (the coordinator's
   * group commit makes one fsync cover many). A multi is all or nothing: when one fails for any
   * reason but the fence (a leader changed an ISR meanwhile, a topic went away), its partitions
   * are written one by one instead, so one conflict costs only its own partition.
   */
  async #writeAll(decisions: Decision[]): Promise<WriteOutcome[]> {
    const outcomes = new Array<WriteOutcome>(decisions.length);
    const batches: number[][] = [];
    for (let start = 0; start < decisions.length; start += WRITES_PER_MULTI) {
      batches.push(
        Array.from({ length: Math.min(WRITES_PER_MULTI, decisions.length - start) }, (_, i) => start + i),
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < batches.length && !this.#stopped) {
        const batch = batches[next++];
        if (batch.length > 1 && await this.#writeMulti(batch.map((i) => decisions[i]))) {
          for (const i of batch) outcomes[i] = decisions[i].version === null ? 0 : decisions[i].version! + 1;
          continue;
        }
        for (const i of batch) {
          const { topic, partition, result, version } = decisions[i];
          outcomes[i] = await this.#write(topic.name, partition, result.state, version);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MULTIS_IN_FLIGHT, batches.length) }, worker));
    for (let i = 0; i < outcomes.length; i++) outcomes[i] ??= "skip";
    return outcomes;
  }

  /** One fenced multi for many partitions; false when it failed for a reason other than the fence. */
  async #writeMulti(decisions: Decision[]): Promise<boolean> {
    const transaction = this.#zk.transaction().check(CONTROLLER_EPOCH_PATH, this.#options.epochZkVersion);
    for (const { topic, partition, result, version } of decisions) {
      const data = encodePartitionState(result.state);
      const path = partitionStatePath(topic.name, partition);
      if (version === null) {
        // A new partition: its parent too (the topic's partitions node is the admin's).
        transaction.create(partitionPath(topic.name, partition)).create(path, data);
      } else {
        transaction.setData(path, data, version);
      }
    }
    try {
      await transaction.commit();
      return true;
    } catch (error) {
      if (error instanceof TransactionError) {
        if (error.index === 0) throw new ControllerFencedError(this.#options.epoch);
        // Any other op failed (a lost compare-and-set, a parent left from an earlier attempt,
        // a deleted topic): the one-by-one path sorts out each partition.
        return false;
      }
      if (error instanceof KeeperError) return false;
      throw error;
    }
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
        if (error.code === ZkErrorCode.badVersion) {
          // Someone else changed it first: the next round reads its state again.
          this.#context.markStale(topic, partition);
          return "conflict";
        }
        if (error.code === ZkErrorCode.nodeExists || error.code === ZkErrorCode.noNode) return "skip";
      }
      if (error instanceof KeeperError && error.code === ZkErrorCode.noNode) return "skip";
      throw error;
    }
  }

  /**
   * A broker's queue gave up on a message: mark the broker so the next run sends it everything,
   * and make sure such a run comes (one timer, whatever the number of failures).
   */
  #resendEverythingTo(brokerId: number): void {
    this.#announced.set(brokerId, -1);
    if (this.#resendTimer !== undefined || this.#stopped) return;
    this.#resendTimer = setTimeout(() => {
      this.#resendTimer = undefined;
      void this.trigger();
    }, RETRY_UNTOLD_MS);
  }

  /** Names of the ISR change notifications waiting (a watch re-runs the controller on new ones). */
  /**
   * The partitions the ISR change notifications name (their states are re-read); a notification
   * that cannot be read makes the next refresh a full read instead.
   */
  async #notifiedPartitions(names: string[]): Promise<PartitionName[]> {
    const lists = await mapBounded(names, async (name) => {
      const path = `${ISR_CHANGE_NOTIFICATION_PATH}/${name}`;
      try {
        return decodePartitionList(path, (await this.#zk.getData(path)).data);
      } catch (error) {
        // Gone (another run took it, and read what it named): nothing to read here.
        if (error instanceof KeeperError && error.code === ZkErrorCode.noNode) return [];
        this.#options.log(`${(error as Error).message}; reading every partition state instead`);
        this.#context.requestFullRead();
        return [];
      }
    });
    return lists.flat();
  }

  async #isrChangeNotifications(): Promise<string[]> {
    const watcher = this.#watch(ISR_CHANGE_NOTIFICATION_PATH);
    try {
      return await this.#zk.getChildren(ISR_CHANGE_NOTIFICATION_PATH, watcher);
    } catch (error) {
      if (watcher) this.#armed.delete(ISR_CHANGE_NOTIFICATION_PATH);
      if (error instanceof KeeperError && error.code === ZkErrorCode.noNode) return [];
      throw error;
    }
  }

  async #deleteNotifications(names: string[]): Promise<void> {
    // Pipelined: the client sends them all before the first answer comes back.
    await Promise.all(
      names.map((name) =>
        this.#zk.delete(`${ISR_CHANGE_NOTIFICATION_PATH}/${name}`).catch((error) => {
          // Gone already (another controller run took it): nothing left to do.
          if (!(error instanceof KeeperError && error.code === ZkErrorCode.noNode)) throw error;
        })
      ),
    );
  }

  /**
   * Queue LeaderAndIsr, UpdateMetadata and StopReplica as the run's changes require, looking only
   * at the partitions the refresh touched and the run changed (plus everything for a broker new
   * to this controller, which needs everything). The decisions are already in the coordinator;
   * delivery is the broker queues' business.
   */
  #announce(
    view: ClusterView,
    changed: Set<string>,
    touched: ReadonlyMap<string, PartitionName>,
    deleted: readonly TopicView[],
  ): void {
    const liveBrokers = [...view.brokers.values()];
    const fresh = liveBrokers.filter((broker) =>
      this.#announced.get(broker.brokerId) !== view.registrations.get(broker.brokerId)
    );
    const looked = new Map(touched);
    for (const key of changed) if (!looked.has(key)) looked.set(key, parsePartitionKey(key));
    // LeaderAndIsr for the partitions this run changed and those never announced (new topics
    // and partitions, whose first state the admin request wrote); UpdateMetadata for every
    // state whose version is not the one last announced.
    const leaderAndIsr = new Map<number, LeaderAndIsrPartitionState[]>();
    const delta: UpdateMetadataPartitionState[] = [];
    for (const [key, { topic: name, partition }] of looked) {
      this.#work++;
      const topic = view.topics.get(name);
      const current = topic?.states[partition];
      if (!topic || !current) {
        this.#announcedStates.delete(key);
        continue;
      }
      const announced = this.#announcedStates.get(key);
      if (changed.has(key) || announced === undefined) {
        const state = leaderAndIsrState(topic, partition, current);
        for (const id of topic.assignment[partition]) {
          const list = leaderAndIsr.get(id) ?? [];
          list.push(state);
          leaderAndIsr.set(id, list);
        }
      }
      if (announced !== current.version) delta.push(updateMetadataState(view, topic, partition, current));
      this.#announcedStates.set(key, current.version);
    }
    for (const broker of liveBrokers) {
      const everything = fresh.includes(broker);
      const states = everything
        ? this.#leaderAndIsrStates(view, broker.brokerId)
        : leaderAndIsr.get(broker.brokerId) ?? [];
      // A broker new to this controller hears from it even with nothing to lead or follow, so it
      // learns the controller epoch (and refuses older controllers from then on).
      if (states.length > 0 || everything) this.#channel.leaderAndIsr(broker, states, liveBrokers);
    }
    for (const topic of deleted) {
      const byBroker = new Map<number, { topicName: string; partitionIndex: number }[]>();
      topic.assignment.forEach((replicas, partitionIndex) => {
        this.#announcedStates.delete(partitionKey(topic.name, partitionIndex));
        for (const id of replicas) {
          const list = byBroker.get(id) ?? [];
          list.push({ topicName: topic.name, partitionIndex });
          byBroker.set(id, list);
        }
      });
      for (const [id, partitions] of byBroker) {
        const broker = view.brokers.get(id);
        if (broker) this.#channel.stopReplica(broker, partitions, true);
      }
    }
    const gone = deletedStates(deleted, this.#options.epoch);
    delta.push(...gone);
    const brokersNow = liveBrokers.map((broker) => broker.brokerId).sort((a, b) => a - b).join(",");
    if (delta.length > 0 || fresh.length > 0 || brokersNow !== this.#announcedBrokers) {
      const all = fresh.length > 0 ? [...this.#updateMetadataStates(view), ...gone] : [];
      for (const broker of liveBrokers) {
        this.#channel.updateMetadata(broker, fresh.includes(broker) ? all : delta, liveBrokers);
      }
    }
    this.#channel.retain(new Set(view.brokers.keys()));
    // A queue that gives up later marks its broker again (#resendEverythingTo); #announce runs
    // without a pause, so no such report can fall between reading #announced and this line.
    this.#announced = new Map(view.registrations);
    this.#announcedBrokers = brokersNow;
  }

  /** Every partition state a broker replicates (for a broker new to this controller). */
  #leaderAndIsrStates(view: ClusterView, brokerId: number): LeaderAndIsrPartitionState[] {
    const states: LeaderAndIsrPartitionState[] = [];
    for (const { topic: name, partition } of this.#context.partitionsOf(brokerId)) {
      this.#work++;
      const topic = view.topics.get(name);
      const current = topic?.states[partition];
      if (topic && current) states.push(leaderAndIsrState(topic, partition, current));
    }
    return states;
  }

  /** Every partition state (UpdateMetadata for a broker new to this controller). */
  #updateMetadataStates(view: ClusterView): UpdateMetadataPartitionState[] {
    const states: UpdateMetadataPartitionState[] = [];
    for (const topic of view.topics.values()) {
      topic.states.forEach((current, partition) => {
        this.#work++;
        if (current) states.push(updateMetadataState(view, topic, partition, current));
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
    this.#context.touchBroker(brokerId);
    this.#options.log(`controlled shutdown of broker ${brokerId}`);
    await this.trigger();
    // The decisions are written; let the other brokers hear them before the broker stops serving
    // (bounded: a broker that does not answer catches up later, it must not hold up a shutdown).
    const others = [...(this.#view?.brokers.keys() ?? [])].filter((id) => id !== brokerId);
    await this.#channel.idle(others, this.#options.requestTimeoutMs);
    const remaining: ShutdownOutcome["remaining"] = [];
    const view = this.#view;
    for (const { topic: name, partition: partitionIndex } of this.#context.partitionsOf(brokerId)) {
      const state = view?.topics.get(name)?.states[partitionIndex]?.state;
      // Only a partition that another live in-sync replica could take is worth waiting for;
      // one with no such replica (a single replica, or every other one gone or leaving) stays.
      const movable = state?.isr.some((id) =>
        id !== brokerId && view!.brokers.has(id) && !this.#shuttingDown.has(id)
      );
      if (state?.leader === brokerId && movable) remaining.push({ topicName: name, partitionIndex });
    }
    return { errorCode: 0, remaining };
  }

  /** Stop acting (resigned or fenced); in-flight work finishes but nothing new starts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#balanceTimer);
    clearTimeout(this.#resendTimer);
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters = [];
    // The run in flight reports its own failures; stopping only waits for it to end.
    await this.#running?.catch(() => {});
    this.#channel.close();
  }

  /** The controller's in-memory view of the cluster as of its last run (tests compare it with a fresh read). */
  get context(): ClusterView | null {
    return this.#context.view;
  }

  /**
   * Partitions looked at (decided, advanced, announced) by every run so far: it grows with what
   * changed, not with the cluster's size (tests count it).
   */
  get workDone(): number {
    return this.#workDone;
  }

  /** Live brokers of the last run (for status output and tests). */
  get liveBrokers(): BrokerEndpoint[] {
    return [...(this.#view?.brokers.values() ?? [])];
  }
}
