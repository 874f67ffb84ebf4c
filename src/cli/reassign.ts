/**
 * `vltava topic reassign` and `vltava cluster drain`: show the moves as a table, ask before
 * moving anything on a terminal (`--yes` skips the question), start them through the controller
 * (AlterPartitionReassignments), then wait until they are done with a progress line (exit 0), or
 * return at once with `--no-wait`.
 *
 * @example
 * ```sh
 * vltava topic reassign orders --partition 0 --replicas 2,3,4
 * vltava cluster drain 3 --yes
 * ```
 */
import Table from "cli-table3";
import type { Command } from "@commander-js/extra-typings";
import { withAdmin } from "./admin-session.ts";
import { CliError, usageError } from "./cli-error.ts";
import { printJson, withClientOptions } from "./client-options.ts";
import { byteRateOption, integerOption } from "./options.ts";
import type { Admin } from "../client/admin.ts";
import { replicaLogSizes } from "../client/log-dir-sizes.ts";
import { MoveProgress, type ProgressFigures, progressLine } from "../client/move-progress.ts";
import {
  planDrain,
  type PlannedMove,
  planRebalance,
  planReplicationFactor,
} from "../client/reassignment-plan.ts";
import { partitionKey } from "../client/partition-key.ts";

/** How often the wait asks the controller what is still moving. */
const POLL_INTERVAL_MS = 500;

/** A plan, or the planner's RangeError as a one-line CLI error starting with `what`. */
function planned(what: string, plan: () => PlannedMove[]): PlannedMove[] {
  try {
    return plan();
  } catch (error) {
    if (error instanceof RangeError) throw new CliError(`${what}: ${error.message}`);
    throw error;
  }
}

function brokerList(value: string): number[] {
  const ids = value.split(",").map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id))) {
    throw usageError(`--brokers expects broker ids like 1,2,3, got "${value}"`);
  }
  return ids.map(Number);
}

function replicaList(value: string): number[] {
  const ids = value.split(",").map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id))) {
    throw usageError(`--replicas expects broker ids like 2,3,4, got "${value}"`);
  }
  return ids.map(Number);
}

function movesTable(moves: PlannedMove[]): string {
  const table = new Table({
    head: ["topic", "partition", "replicas now", "replicas after"],
    style: { head: [], border: [], compact: true },
  });
  for (const move of moves) {
    table.push([move.topic, move.partition, move.from.join(","), (move.replicas ?? move.from).join(",")]);
  }
  return table.toString();
}

/** On a terminal, ask; in scripts (no terminal) --yes is required so nothing moves by surprise. */
function confirm(question: string, yes: boolean): void {
  if (yes) return;
  if (!Deno.stdin.isTerminal()) throw usageError("not a terminal: add --yes to move replicas without asking");
  const answer = prompt(`${question} [y/N]`);
  if (answer?.trim().toLowerCase() !== "y") throw new CliError("nothing moved");
}

/** How often a plain (not a terminal) progress report repeats while nothing finishes. */
const PLAIN_REPORT_INTERVAL_MS = 10_000;

/**
 * Wait until none of `moves` is still being reassigned, printing progress: partitions moved, bytes
 * copied of the total, rate and time left (move-progress.ts). One line redrawn on a terminal;
 * plain lines otherwise, when a partition finishes and every 10 s; nothing with --json. Returns
 * the last figures.
 */
async function waitForMoves(admin: Admin, moves: PlannedMove[], json: boolean): Promise<ProgressFigures> {
  const keys = new Set(moves.map((m) => partitionKey(m.topic, m.partition)));
  const topics = [...new Set(moves.map((m) => m.topic))];
  const progress = new MoveProgress(moves, Date.now());
  const terminal = Deno.stderr.isTerminal() && !json;
  const leaderOf = (topic: string, partition: number) => {
    try {
      return admin.cluster.leaderFor(topic, partition);
    } catch {
      return -1; // no leader right now (an election in the move): its size is asked next time
    }
  };
  let lastDone = -1;
  let lastReportMs = 0;
  for (;;) {
    const ongoing = new Set(
      (await admin.listPartitionReassignments()).map((r) => partitionKey(r.topic, r.partition))
        .filter((key) => keys.has(key)),
    );
    await admin.cluster.refreshMetadata(topics);
    const sizes = await replicaLogSizes(admin.cluster, progress.replicasToMeasure(leaderOf));
    progress.update(ongoing, leaderOf, sizes);
    const now = Date.now();
    const figures = progress.figures(now);
    if (terminal) {
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${progressLine(figures)}\x1b[K`));
    } else if (
      !json && (figures.partitionsDone !== lastDone || now - lastReportMs >= PLAIN_REPORT_INTERVAL_MS)
    ) {
      console.error(progressLine(figures));
      lastDone = figures.partitionsDone;
      lastReportMs = now;
    }
    if (ongoing.size === 0) {
      if (terminal) console.error("");
      return figures;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * Kafka's reassignment throttle: the moving partitions' current replicas are throttled as
 * leaders, their new replicas as followers (topic configs *.replication.throttled.replicas),
 * and every broker involved gets the rate (dynamic broker configs *.replication.throttled.rate).
 * Returns how to remove it once the moves are done: a function, and the same as the CLI commands
 * an operator runs after `--no-wait`.
 */
async function setThrottle(
  admin: Admin,
  moves: PlannedMove[],
  rate: number,
): Promise<{ remove: () => Promise<void>; commands: string[] }> {
  const byTopic = new Map<string, { leaders: string[]; followers: string[] }>();
  const brokers = new Set<number>();
  for (const { topic, partition, from, replicas } of moves) {
    const target = replicas ?? from;
    const entry = byTopic.get(topic) ?? { leaders: [], followers: [] };
    entry.leaders.push(...from.map((id) => `${partition}:${id}`));
    entry.followers.push(...target.filter((id) => !from.includes(id)).map((id) => `${partition}:${id}`));
    byTopic.set(topic, entry);
    for (const id of [...from, ...target]) brokers.add(id);
  }
  const rates = [LEADER_RATE, FOLLOWER_RATE].map((name) => ({ name, value: String(rate) }));
  for (const id of brokers) await admin.alterBrokerConfigs(id, rates);
  for (const [topic, { leaders, followers }] of byTopic) {
    await admin.alterTopicConfigs(topic, [
      { name: LEADER_REPLICAS, value: leaders.join(",") },
      { name: FOLLOWER_REPLICAS, value: followers.join(",") },
    ]);
  }
  const remove = async () => {
    for (const topic of byTopic.keys()) {
      await admin.alterTopicConfigs(
        topic,
        [LEADER_REPLICAS, FOLLOWER_REPLICAS].map((name) => ({ name, value: null })),
      );
    }
    for (const id of brokers) {
      await admin.alterBrokerConfigs(id, [LEADER_RATE, FOLLOWER_RATE].map((name) => ({ name, value: null })));
    }
  };
  // Topic names hold no spaces or quotes (Kafka's rule, checked at creation): safe to print as is.
  const commands = [
    ...[...byTopic.keys()].map((topic) =>
      `vltava topic config delete ${topic} ${LEADER_REPLICAS} ${FOLLOWER_REPLICAS}`
    ),
    ...[...brokers].sort((a, b) => a - b).map((id) =>
      `vltava cluster config delete ${LEADER_RATE} ${FOLLOWER_RATE} --broker ${id}`
    ),
  ];
  return { remove, commands };
}

const LEADER_RATE = "leader.replication.throttled.rate";
const FOLLOWER_RATE = "follower.replication.throttled.rate";
const LEADER_REPLICAS = "leader.replication.throttled.replicas";
const FOLLOWER_REPLICAS = "follower.replication.throttled.replicas";

async function run(
  admin: Admin,
  moves: PlannedMove[],
  options: { yes: boolean; wait: boolean; json: boolean; dryRun?: boolean; throttle?: number },
): Promise<void> {
  if (moves.length === 0) {
    if (options.json) printJson({ moves: [], started: false }); // the same shape as a plan shown
    else console.log("nothing to move");
    return;
  }
  if (!options.json) console.log(movesTable(moves));
  if (options.dryRun) {
    if (options.json) printJson({ moves, started: false });
    return;
  }
  confirm(`move ${moves.length} partition(s)?`, options.yes);
  const throttle = options.throttle === undefined ? null : await setThrottle(admin, moves, options.throttle);
  if (options.throttle !== undefined && !options.json) {
    console.error(`replication throttled to ${options.throttle} bytes/s for these moves`);
  }
  try {
    await admin.alterPartitionReassignments(
      moves.map(({ topic, partition, replicas }) => ({ topic, partition, replicas })),
    );
  } catch (error) {
    // Nothing moves: the throttle set for it goes again.
    await throttle?.remove();
    throw error;
  }
  let copiedBytes: number | undefined;
  if (options.wait) {
    copiedBytes = (await waitForMoves(admin, moves, options.json)).copiedBytes;
    // Done: the throttle goes with the moves (Kafka's tool does this on --verify).
    await throttle?.remove();
  } else if (throttle !== null && !options.json) {
    // Printed without --bootstrap or security flags: the operator adds the ones given to this command.
    console.error(
      `the throttle stays until removed; once the moves are done (vltava topic reassign --list shows none), run:\n` +
        throttle.commands.map((command) => `  ${command}`).join("\n"),
    );
  }
  if (options.json) {
    const unthrottle = !options.wait && throttle !== null ? { unthrottle: throttle.commands } : {};
    printJson({ moves, started: true, done: options.wait, copiedBytes, ...unthrottle });
  } else console.log(options.wait ? "done" : "started (follow it with: vltava topic reassign --list)");
}

/**
 * The options every moving command shares: --yes (do not ask), --throttle RATE (Kafka's
 * reassignment throttle, removed when done) and --no-wait (return once the moves started).
 */
function withMoveOptions<Args extends unknown[], Opts extends Record<string, unknown>>(
  command: Command<Args, Opts>,
) {
  return command
    .option("--yes", "do not ask before moving replicas", false)
    .option(
      "--throttle <rate>",
      "limit the copy to this many bytes/s, e.g. 10MB (removed when done)",
      byteRateOption,
    )
    .option("--no-wait", "return once the moves started");
}

export function registerMoveCommands(topic: Command, cluster: Command): void {
  withClientOptions(withMoveOptions(
    topic.command("reassign")
      .description("move a partition's replicas to other brokers (or change their order or number)")
      .argument("[topic]", "topic name")
      .option("--partition <n>", "the partition to move", integerOption(0))
      .option("--replicas <ids>", "target brokers, preferred leader first, e.g. 2,3,4", replicaList)
      .option("--cancel", "cancel the partition's reassignment in progress", false)
      .option("--list", "list the reassignments in progress", false),
  )).action(async (name, options) => {
    await withAdmin(options, name, async (admin) => {
      if (options.list) {
        const ongoing = await admin.listPartitionReassignments();
        if (options.json) return printJson(ongoing);
        if (ongoing.length === 0) return console.log("no reassignment in progress");
        const table = new Table({
          head: ["topic", "partition", "replicas", "adding", "removing"],
          style: { head: [], border: [], compact: true },
        });
        for (const r of ongoing) {
          table.push([r.topic, r.partition, r.replicas.join(","), r.adding.join(","), r.removing.join(",")]);
        }
        return console.log(table.toString());
      }
      if (name === undefined || options.partition === undefined) {
        throw usageError("give a topic and --partition (or --list)");
      }
      if ((options.replicas === undefined) === !options.cancel) {
        throw usageError("give either --replicas or --cancel");
      }
      const [described] = await admin.describeTopics([name]);
      const current = described.partitions.find((p) => p.partition === options.partition);
      if (!current) {
        throw new CliError(
          `topic "${name}" has no partition ${options.partition} (it has ${described.partitions.length})`,
        );
      }
      const move = {
        topic: name,
        partition: options.partition,
        replicas: options.replicas ?? null,
        from: current.replicas,
      };
      if (options.cancel) {
        await admin.alterPartitionReassignments([{
          topic: name,
          partition: options.partition,
          replicas: null,
        }]);
        return options.json
          ? printJson({ cancelled: move })
          : console.log(`${name}-${options.partition}: reassignment cancelled`);
      }
      await run(admin, [move as PlannedMove], {
        yes: options.yes,
        wait: options.wait,
        json: options.json,
        throttle: options.throttle,
      });
    });
  });

  withClientOptions(withMoveOptions(
    topic.command("alter")
      .description("grow a topic's partition count, or change its replication factor (by reassignment)")
      .argument("<topic>", "topic name")
      .option("--partitions <n>", "the new, larger partition count", integerOption(1, 100_000))
      .option("--replication-factor <n>", "the new replication factor", integerOption(1, 1000)),
  )).action(async (name, options) => {
    if ((options.partitions === undefined) === (options.replicationFactor === undefined)) {
      throw usageError("give either --partitions or --replication-factor");
    }
    await withAdmin(options, name, async (admin) => {
      if (options.partitions !== undefined) {
        await admin.createPartitions(name, options.partitions);
        return options.json
          ? printJson({ topic: name, partitions: options.partitions })
          : console.log(`topic "${name}" now has ${options.partitions} partitions`);
      }
      const { brokers } = await admin.describeCluster();
      const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
      const described = topics.find((t) => t.name === name) ?? (await admin.describeTopics([name]))[0];
      const racks = new Map(brokers.map((b) => [b.nodeId, b.rack]));
      let moves: PlannedMove[];
      try {
        moves = planReplicationFactor(
          described,
          options.replicationFactor!,
          brokers.map((b) => b.nodeId),
          topics,
          racks,
        );
      } catch (error) {
        if (error instanceof RangeError) {
          throw new CliError(`cannot change the replication factor: ${error.message}`);
        }
        throw error;
      }
      await run(admin, moves, {
        yes: options.yes,
        wait: options.wait,
        json: options.json,
        throttle: options.throttle,
      });
    });
  });

  withClientOptions(withMoveOptions(
    cluster.command("drain")
      .description("move every replica off a broker so it can be retired")
      .argument("<broker>", "broker id", integerOption(0))
      .option("--dry-run", "show the moves, move nothing", false),
  )).action(async (brokerId, options) => {
    await withAdmin(options, undefined, async (admin) => {
      const { brokers } = await admin.describeCluster();
      const live = brokers.map((b) => b.nodeId);
      const racks = new Map(brokers.map((b) => [b.nodeId, b.rack]));
      if (!live.includes(brokerId)) {
        throw new CliError(`broker ${brokerId} is not live (live: ${live.join(", ")})`);
      }
      const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
      const moves = planned(
        `cannot drain broker ${brokerId}`,
        () => planDrain(brokerId, topics, live, racks),
      );
      await run(admin, moves, {
        yes: options.yes,
        wait: options.wait,
        json: options.json,
        dryRun: options.dryRun,
        throttle: options.throttle,
      });
    });
  });

  withClientOptions(withMoveOptions(
    cluster.command("rebalance")
      .description("spread replicas and preferred leaders evenly over the brokers (by reassignment)")
      .option(
        "--brokers <ids>",
        "the brokers to spread over, e.g. 1,2,3,4 (default: every live one)",
        brokerList,
      )
      .option("--dry-run", "show the moves, move nothing", false),
  )).action(async (options) => {
    await withAdmin(options, undefined, async (admin) => {
      const described = (await admin.describeCluster()).brokers;
      const live = described.map((b) => b.nodeId);
      const racks = new Map(described.map((b) => [b.nodeId, b.rack]));
      const brokers = options.brokers ?? live;
      const dead = brokers.filter((id) => !live.includes(id));
      if (dead.length > 0) {
        throw new CliError(`broker(s) ${dead.join(", ")} not live (live: ${live.join(", ")})`);
      }
      const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
      const moves = planned("cannot rebalance", () => planRebalance(topics, brokers, racks));
      await run(admin, moves, {
        yes: options.yes,
        wait: options.wait,
        json: options.json,
        dryRun: options.dryRun,
        throttle: options.throttle,
      });
      if (!options.wait || options.dryRun || moves.length === 0) return;
      // The moves are done; leadership follows the new preferred replicas now, not at the next
      // automatic check.
      const elected = await admin.electLeaders(
        "preferred",
        moves.map(({ topic, partition }) => ({ topic, partition })),
      );
      if (!options.json) {
        console.log(
          `${elected.filter((r) => r.errorCode === 0).length} leader(s) moved to their preferred replicas`,
        );
      }
    });
  });
}
