/**
 * The nemesis of the partition tests: it plans a fault from the cluster's current state (a pure
 * function, so its own tests can check the plans), applies it through the NetLab (nftables cuts,
 * SIGSTOP), holds it, heals it, and checks what the issue demands of the cluster meanwhile:
 *
 * - leader-isolated / controller-leader-isolated: a partition leader (not the controller / the
 *   controller itself) cut from the coordinator and the other brokers but not from the clients.
 *   Its partitions must take acks=all writes on a new leader while the cut lasts.
 * - controller-cut-from-coordinator: its session expires; the partitions it led move meanwhile and
 *   every partition keeps taking writes.
 * - follower-cut-from-leader: the follower leaves the ISR while cut and is back after the heal.
 * - coordinator-outage: the coordinator cut from every broker for longer than the session
 *   timeout; the data plane goes on (every partition takes writes issued after the sessions would
 *   have expired).
 * - broker-paused: SIGSTOP past the session timeout; its partitions move meanwhile.
 * - random-pairs: one or two random links among the coordinator and the brokers cut both ways.
 *
 * After every heal: no broker process has ended, and every partition is led, fully in sync and
 * takes writes again. Problems are collected per round; a broker that ended is reported apart
 * (the run stops there: what follows would measure a smaller cluster).
 */
import type { Block } from "../helpers/netns.ts";
import { seededRandom } from "../helpers/random.ts";
import type { FaultPeriod } from "./checker.ts";
import { brokerHost, COORDINATOR_HOST, type NetnsCluster } from "./netns-cluster.ts";
import type { Workload } from "./workload.ts";

export const FAULT_KINDS = [
  "leader-isolated",
  "controller-leader-isolated",
  "controller-cut-from-coordinator",
  "follower-cut-from-leader",
  "coordinator-outage",
  "broker-paused",
  "random-pairs",
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/** The coordinator's view of the cluster. */
export interface ClusterView {
  brokers: number[];
  controller: number;
  partitions: { partition: number; replicas: number[]; leader: number; leaderEpoch: number; isr: number[] }[];
}

export interface FaultPlan {
  kind: FaultKind;
  description: string;
  blocks: Block[];
  /** Broker to SIGSTOP, if any. */
  pause: number | null;
  /**
   * Partitions whose leader can acknowledge nothing during the fault (cut from its followers, or
   * paused): they must take acks=all writes issued after the fault began, so on a new leader.
   */
  mustFailOver: number[];
  /** Partitions whose leadership must move during the fault (their leader's session expires). */
  mustMove: number[];
  /** Must leave these partitions' ISR during the fault (a cut follower). */
  mustShrink: { partition: number; broker: number }[];
  /** Every partition must keep taking writes (the data plane goes on without the coordinator). */
  mustStayWritable: boolean;
}

function choose<T>(list: readonly T[], random: () => number): T {
  if (list.length === 0) throw new Error("Nothing to choose from");
  return list[Math.floor(random() * list.length)];
}

function both(a: string, b: string): Block[] {
  return [{ from: a, to: b }, { from: b, to: a }];
}

/** Cut a broker from the coordinator and every other broker, not from the clients. */
function isolateBroker(id: number, view: ClusterView): Block[] {
  const others = [COORDINATOR_HOST, ...view.brokers.filter((b) => b !== id).map(brokerHost)];
  return others.flatMap((other) => both(brokerHost(id), other));
}

const ledBy = (view: ClusterView, id: number) =>
  view.partitions.filter((p) => p.leader === id).map((p) => p.partition);

function plan(kind: FaultKind, description: string, rest: Partial<FaultPlan>): FaultPlan {
  return {
    kind,
    description,
    blocks: [],
    pause: null,
    mustFailOver: [],
    mustMove: [],
    mustShrink: [],
    mustStayWritable: false,
    ...rest,
  };
}

/** Decide a fault of `kind` against the cluster as `view` shows it. */
export function planFault(kind: FaultKind, view: ClusterView, random: () => number): FaultPlan {
  const leaders = [...new Set(view.partitions.map((p) => p.leader).filter((l) => l >= 0))];
  switch (kind) {
    case "leader-isolated":
    case "controller-leader-isolated": {
      const others = leaders.filter((l) => l !== view.controller);
      const victim = kind === "controller-leader-isolated"
        ? view.controller
        : choose(others.length > 0 ? others : leaders, random);
      const role = victim === view.controller ? "controller" : "broker";
      return plan(
        kind,
        `${role} ${victim} (leader of ${ledBy(view, victim)}) cut from the coordinator and the brokers`,
        {
          blocks: isolateBroker(victim, view),
          mustFailOver: ledBy(view, victim),
        },
      );
    }
    case "controller-cut-from-coordinator": {
      const victim = view.controller;
      // Still reachable by its followers, it may acknowledge writes until its leaderships move.
      return plan(kind, `controller ${victim} cut from the coordinator`, {
        blocks: both(brokerHost(victim), COORDINATOR_HOST),
        mustMove: ledBy(view, victim),
        mustStayWritable: true,
      });
    }
    case "follower-cut-from-leader": {
      const partition = choose(view.partitions.filter((p) => p.leader >= 0 && p.isr.length > 1), random);
      const follower = choose(partition.isr.filter((b) => b !== partition.leader), random);
      return plan(
        kind,
        `follower ${follower} of partition ${partition.partition} cut from its leader ${partition.leader}`,
        {
          blocks: both(brokerHost(follower), brokerHost(partition.leader)),
          mustShrink: [{ partition: partition.partition, broker: follower }],
        },
      );
    }
    case "coordinator-outage":
      return plan(kind, "the coordinator cut from every broker", {
        blocks: view.brokers.flatMap((b) => both(COORDINATOR_HOST, brokerHost(b))),
        mustStayWritable: true,
      });
    case "broker-paused": {
      const victim = choose(leaders, random);
      return plan(kind, `broker ${victim} (leader of ${ledBy(view, victim)}) paused`, {
        pause: victim,
        mustFailOver: ledBy(view, victim),
      });
    }
    case "random-pairs": {
      const nodes = [COORDINATOR_HOST, ...view.brokers.map(brokerHost)];
      const pairs = nodes.flatMap((a, i) => nodes.slice(i + 1).map((b): [string, string] => [a, b]));
      const cut: [string, string][] = [];
      const count = 1 + Math.floor(random() * 2);
      while (cut.length < count) {
        const pair = choose(pairs, random);
        if (!cut.includes(pair)) cut.push(pair);
      }
      return plan(kind, `links cut: ${cut.map(([a, b]) => `${a}↔${b}`).join(", ")}`, {
        blocks: cut.flatMap(([a, b]) => both(a, b)),
      });
    }
  }
}

export interface NemesisTimings {
  sessionTimeoutMs: number;
  tickMs: number;
  replicaLagTimeMaxMs: number;
  /** How long to wait for what must happen during a fault, and for recovery after a heal. */
  patienceMs?: number;
}

/**
 * How many times the issue's failover bound (session timeout + one tick + 1 s) a fault that needs
 * a failover is held at most before the test calls it missing: generous, so that a busy 2-core
 * machine does not fail it, yet short of what a controller waiting out one unreachable broker
 * (10 s per request) takes. The benchmark measures the real figure.
 */
export const FAILOVER_SLACK = 3;

export interface RoundOutcome {
  period: FaultPeriod;
  plan: FaultPlan;
  /** What the round saw go wrong; empty when it went as the issue demands. */
  problems: string[];
  /** Set when a broker process ended: the run cannot go on meaningfully. */
  brokerExit: string | null;
  /**
   * For each partition that had to fail over, ms from the fault (observed every 250 ms; null:
   * never) to: a new leader in the coordinator; that leader saying so in its own Metadata; the
   * first acknowledged write issued after the fault. The stages show who was slow: the
   * controller, the news reaching the new leader, or the clients finding it.
   */
  failover: {
    partition: number;
    electedMs: number | null;
    servingMs: number | null;
    writableMs: number | null;
  }[];
  /** The producer's failed attempts during the fault, as "partition P: ERROR ×count". */
  clientErrors: string[];
}

/** A line about what the nemesis does, timed like the servers' lines so the two can be ordered. */
function note(text: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} nemesis: ${text}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` every 250 ms until it holds or `until` passes; true when it held. */
async function within(until: number, probe: () => Promise<boolean>): Promise<boolean> {
  for (;;) {
    try {
      if (await probe()) return true;
    } catch { /* asked a broker that is moving: ask again */ }
    if (Date.now() >= until) return false;
    await sleep(250);
  }
}

export class Nemesis {
  readonly #cluster: NetnsCluster;
  readonly #workload: Workload;
  readonly #topic: string;
  readonly #timings: Required<NemesisTimings>;
  readonly #random: () => number;

  constructor(
    cluster: NetnsCluster,
    workload: Workload,
    topic: string,
    timings: NemesisTimings,
    seed: number,
  ) {
    this.#cluster = cluster;
    this.#workload = workload;
    this.#topic = topic;
    this.#timings = { patienceMs: 60_000, ...timings };
    this.#random = seededRandom(seed);
  }

  /** The coordinator's view of the cluster right now. */
  view(): Promise<ClusterView> {
    return this.#cluster.agent.call<ClusterView>("view", { topic: this.#topic });
  }

  /** The issue's bound on failover: session timeout plus one tick plus a second. */
  get failoverBoundMs(): number {
    return this.#timings.sessionTimeoutMs + this.#timings.tickMs + 1_000;
  }

  /** Past the session timeout by enough for the coordinator to expire it (one tick) and act on it. */
  get outlastSessionMs(): number {
    return this.#timings.sessionTimeoutMs * 2 + this.#timings.tickMs + 1_000;
  }

  /** Apply a fault of `kind`, hold it, heal it, and check the cluster during and after. */
  async round(kind: FaultKind): Promise<RoundOutcome> {
    const cluster = this.#cluster;
    const before = await this.view();
    const plan = planFault(kind, before, this.#random);
    const problems: string[] = [];
    note(`${kind}: ${plan.description}`);
    await cluster.lab.blockAll(plan.blocks);
    if (plan.pause !== null) cluster.lab.pause(cluster.broker(plan.pause).program);
    // The fault counts from when it is wholly in place: a write issued before could still complete.
    const start = Date.now();

    // One loop watches the fault until it has lasted past the session timeout and, when a leader was
    // cut off, until its partitions took writes elsewhere (or the failover deadline passed). When a
    // new leader appears in the coordinator, says so itself, and first acknowledges are noted apart,
    // so a slow failover shows whether the controller, the news or the clients were slow.
    const holdUntil = start + this.outlastSessionMs;
    const deadline = plan.mustFailOver.length > 0
      ? Math.max(holdUntil, start + FAILOVER_SLACK * this.failoverBoundMs)
      : holdUntil;
    const watched = [...new Set([...plan.mustFailOver, ...plan.mustMove])];
    const electedMs = new Map<number, number>();
    const servingMs = new Map<number, number>();
    const writableMs = new Map<number, number>();
    const shrunk = new Set<number>();
    await within(deadline, async () => {
      const now = Date.now();
      const view = await this.view();
      for (const partition of watched) {
        const leader = view.partitions[partition].leader;
        if (leader < 0 || leader === before.partitions[partition].leader) continue;
        if (!electedMs.has(partition)) electedMs.set(partition, now - start);
        if (!servingMs.has(partition) && await this.#leads(leader, partition)) {
          servingMs.set(partition, now - start);
        }
      }
      for (const partition of await this.#workload.writableSince(start, plan.mustFailOver)) {
        if (!writableMs.has(partition)) writableMs.set(partition, now - start);
      }
      for (const { partition, broker } of plan.mustShrink) {
        if (!view.partitions[partition].isr.includes(broker)) shrunk.add(partition);
      }
      return now >= holdUntil && writableMs.size === plan.mustFailOver.length;
    });
    const notWritable = plan.mustFailOver.filter((p) => !writableMs.has(p));
    if (notWritable.length > 0) {
      problems.push(
        `partitions ${notWritable} took no acks=all write on a new leader while the fault lasted ` +
          `(${deadline - start} ms, ${FAILOVER_SLACK}× the bound of ${this.failoverBoundMs} ms)`,
      );
    }
    const notMoved = plan.mustMove.filter((p) => !electedMs.has(p));
    if (notMoved.length > 0) {
      problems.push(`leadership of partitions ${notMoved} did not move while the fault lasted`);
    }
    const notShrunk = plan.mustShrink.filter(({ partition }) => !shrunk.has(partition));
    if (notShrunk.length > 0) {
      problems.push(`the cut follower did not leave the ISR: ${JSON.stringify(notShrunk)}`);
    }
    if (plan.mustStayWritable) {
      // Writes issued once every session would have expired still got acknowledged.
      const since = start + this.#timings.sessionTimeoutMs + this.#timings.tickMs;
      const all = this.#workload.options.partitions;
      const done = await this.#workload.writableSince(since, all);
      if (done.length < all.length) {
        problems.push(
          `partitions ${all.filter((p) => !done.includes(p))} took no writes issued after every session ` +
            `would have expired`,
        );
      }
    }

    const clientErrors = [...await this.#workload.failuresSince(start)].map(([what, n]) => `${what} ×${n}`);
    const heal = Date.now();
    if (plan.pause !== null) cluster.lab.resume(cluster.broker(plan.pause).program);
    await cluster.lab.heal();
    note(
      `healed after ${heal - start} ms` +
        watched.map((p) =>
          `; partition ${p} new leader at ${electedMs.get(p) ?? "-"} ms, serving at ${
            servingMs.get(p) ?? "-"
          } ms, ` +
          `writable at ${writableMs.get(p) ?? "-"} ms`
        ).join("") + (clientErrors.length > 0 ? `; producer errors: ${clientErrors.join(", ")}` : ""),
    );
    problems.push(...await this.#recover(heal));
    const exited = cluster.exitedBrokers();
    const brokerExit = exited.length === 0
      ? null
      : exited.map((b) => `broker ${b.id} exited after ${kind} (${plan.description}):\n${b.output}`).join(
        "\n",
      );
    const failover = plan.mustFailOver.map((partition) => ({
      partition,
      electedMs: electedMs.get(partition) ?? null,
      servingMs: servingMs.get(partition) ?? null,
      writableMs: writableMs.get(partition) ?? null,
    }));
    return { period: { name: kind, start, heal }, plan, problems, brokerExit, failover, clientErrors };
  }

  /** Does broker `id` itself say (in its Metadata) that it leads `partition`? */
  async #leads(id: number, partition: number): Promise<boolean> {
    const metadata = await this.#cluster.agent.call<
      { topics: { name: string; partitions: { partition: number; leader: number }[] }[] }
    >(
      "metadata",
      { broker: this.#cluster.brokerAddress(id), topics: [this.#topic] },
      5_000,
    ).catch(() => null);
    const topic = metadata?.topics.find((t) => t.name === this.#topic);
    return topic?.partitions.find((p) => p.partition === partition)?.leader === id;
  }

  /** After a heal: every broker still running, every partition led, in sync and writable. */
  async #recover(heal: number): Promise<string[]> {
    const cluster = this.#cluster;
    const deadline = heal + this.#timings.patienceMs;
    const partitions = this.#workload.options.partitions;
    let view: ClusterView | undefined;
    const whole = await within(deadline, async () => {
      if (cluster.exitedBrokers().length > 0) return true; // reported below, no use waiting
      view = await this.view();
      return view.brokers.length === cluster.brokers.size &&
        view.partitions.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length) &&
        (await this.#workload.writableSince(heal, partitions)).length === partitions.length;
    });
    if (whole || cluster.exitedBrokers().length > 0) return [];
    const writable = await this.#workload.writableSince(heal, partitions);
    return [
      `not whole ${this.#timings.patienceMs} ms after the heal: registered brokers ${view?.brokers}, ` +
      `partitions ${
        JSON.stringify(view?.partitions.map((p) => ({ p: p.partition, leader: p.leader, isr: p.isr })))
      }, ` +
      `writable again: ${writable}`,
    ];
  }
}
