/**
 * `vltava topic create|list|describe|delete` and `vltava cluster describe`: thin wrappers
 * over the Admin client that print aligned tables (or JSON with --json).
 *
 * @example
 * ```sh
 * vltava topic create orders --partitions 3 --config retention.ms=86400000
 * vltava topic describe orders
 * ```
 */
import Table from "cli-table3";
import type { Command } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { withAdmin } from "./admin-session.ts";
import { registerMoveCommands } from "./reassign.ts";
import { keyValuePairs, registerClusterConfigCommands } from "./cluster-config.ts";
import { CliError, usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { printJson, withClientOptions } from "./client-options.ts";
import type { TopicDescription } from "../client/admin.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";
import { ZooKeeperClient } from "../zk/client/mod.ts";
import { readClusterStatus } from "../broker/controller/cluster-status.ts";

function configOption(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw usageError(`--config expects KEY=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

const list = (ids: number[]) => ids.join(",");

const SIZE_UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];

/** Bytes for people: "512 B", "1.2 MiB"; "?" when unknown (negative). */
function humanBytes(sizeBytes: number): string {
  if (sizeBytes < 0) return "?";
  if (sizeBytes < 1024) return `${sizeBytes} B`;
  let value = sizeBytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${SIZE_UNITS[unit]}`;
}

function describeTable(topics: TopicDescription[]): string {
  const table = new Table({
    head: [
      "topic",
      "partition",
      "leader",
      "epoch",
      "replicas",
      "isr",
      "log start",
      "high watermark",
      "log end",
      "records",
      "size",
      "under-replicated",
    ],
    style: { head: [], border: [], compact: true },
    colAligns: [
      "left",
      "right",
      "right",
      "right",
      "left",
      "left",
      "right",
      "right",
      "right",
      "right",
      "right",
      "left",
    ],
  });
  for (const topic of topics) {
    for (const p of topic.partitions) {
      table.push([
        topic.name,
        p.partition,
        p.leader < 0 ? "none" : p.leader,
        p.leaderEpoch,
        list(p.replicas),
        list(p.isr),
        p.logStartOffset < 0 ? "?" : p.logStartOffset,
        // The LSO only when an open transaction holds it below the high watermark.
        p.highWatermark < 0
          ? "?"
          : p.lastStableOffset >= 0 && p.lastStableOffset < p.highWatermark
          ? `${p.highWatermark} (LSO ${p.lastStableOffset})`
          : p.highWatermark,
        p.logEndOffset < 0 ? "?" : p.logEndOffset,
        p.logStartOffset < 0 || p.highWatermark < 0 ? "?" : p.highWatermark - p.logStartOffset,
        humanBytes(p.sizeBytes),
        p.leader < 0 ? "offline" : p.underReplicated ? "yes" : "",
      ]);
    }
  }
  return table.toString();
}

registerCommands((program) => {
  const topic = program.command("topic").description("create, list, describe and delete topics");

  withClientOptions(
    topic.command("create")
      .description("create a topic")
      .argument("<name>", "topic name")
      .option("--partitions <n>", "number of partitions (default: the broker's)", integerOption(1, 100_000))
      .option(
        "--replication-factor <n>",
        "replicas per partition (default: the broker's)",
        integerOption(1, 1000),
      )
      .option("--config <key=value>", "topic config, repeatable", configOption, {} as Record<string, string>),
  ).action(async (name, options) => {
    await withAdmin(options, name, (admin) =>
      admin.createTopics([{
        name,
        partitions: options.partitions,
        replicationFactor: options.replicationFactor,
        configs: options.config,
      }]));
    if (options.json) printJson({ created: name });
    else console.log(`created topic "${name}"`);
  });

  withClientOptions(topic.command("list").description("list topics")).action(async (options) => {
    const names = await withAdmin(options, undefined, (admin) => admin.listTopics());
    if (options.json) printJson(names);
    else for (const name of names) console.log(name);
  });

  withClientOptions(
    topic.command("describe")
      .description("show partitions, leaders, replicas, ISR and offsets")
      .argument("[name]", "topic name (default: every topic)"),
  ).action(async (name, options) => {
    const topics = await withAdmin(options, name, (admin) => admin.describeTopics(name ? [name] : undefined));
    if (options.json) printJson(topics);
    else if (topics.length === 0) console.log("no topics (create one with: vltava topic create NAME)");
    else console.log(describeTable(topics));
  });

  withClientOptions(
    topic.command("delete").description("delete a topic and its data").argument("<name>", "topic name"),
  ).action(async (name, options) => {
    await withAdmin(options, name, (admin) => admin.deleteTopics([name]));
    if (options.json) printJson({ deleted: name });
    else console.log(`deleted topic "${name}"`);
  });

  registerConfigCommands(topic);

  withClientOptions(
    topic.command("elect-leaders")
      .description("move leadership back to the preferred replicas (or, with --unclean, to any live replica)")
      .option("--topic <name>", "only this topic (default: every partition of every topic)")
      .option("--partition <n>", "only this partition (needs --topic)", integerOption(0))
      .option(
        "--unclean",
        "elect a leader for partitions without one, from outside the ISR if need be (may lose data)",
        false,
      ),
  ).action(async (options) => {
    if (options.partition !== undefined && options.topic === undefined) {
      throw usageError("--partition needs --topic");
    }
    const results = await withAdmin(options, options.topic, async (admin) => {
      let partitions: { topic: string; partition: number }[] | null = null;
      if (options.topic !== undefined) {
        const [described] = await admin.describeTopics([options.topic]);
        const ids = described.partitions.map((p) => p.partition);
        if (options.partition !== undefined && !ids.includes(options.partition)) {
          throw new CliError(
            `topic "${options.topic}" has no partition ${options.partition} (it has ${ids.length})`,
          );
        }
        partitions = (options.partition === undefined ? ids : [options.partition])
          .map((partition) => ({ topic: options.topic!, partition }));
      }
      return await admin.electLeaders(options.unclean ? "unclean" : "preferred", partitions);
    });
    if (options.json) return printJson(results);
    const table = new Table({
      head: ["topic", "partition", "result"],
      style: { head: [], border: [], compact: true },
    });
    for (const result of results) {
      table.push([result.topic, result.partition, electionText(result.errorCode)]);
    }
    console.log(table.toString());
    const elected = results.filter((r) => r.errorCode === 0).length;
    console.log(`${elected} leader(s) moved, ${results.length - elected} left as they were`);
  });

  const cluster = program.command("cluster").description(
    "inspect the cluster, drain a broker, change dynamic broker configs",
  );
  registerMoveCommands(topic, cluster);
  registerClusterConfigCommands(cluster);
  withClientOptions(
    cluster.command("describe")
      .description("show brokers and the controller")
      .option(
        "--coordinator <connect>",
        "read the coordinator instead: every registered broker live or offline, the controller epoch",
      ),
  ).action(
    async (options) => {
      if (options.coordinator) return await describeFromCoordinator(options.coordinator, options.json);
      const description = await withAdmin(options, undefined, (admin) => admin.describeCluster());
      if (options.json) {
        printJson(description);
        return;
      }
      if (description.clusterId) console.log(`cluster id: ${description.clusterId}`);
      console.log(`controller: ${description.controllerId < 0 ? "none" : description.controllerId}`);
      const table = new Table({
        head: ["broker", "host", "port", "rack", "role"],
        style: { head: [], border: [], compact: true },
      });
      for (const broker of description.brokers) {
        table.push([
          broker.nodeId,
          broker.host,
          broker.port,
          broker.rack ?? "",
          broker.nodeId === description.controllerId ? "controller" : "",
        ]);
      }
      console.log(table.toString());
    },
  );
});

/** An ElectLeaders outcome for people. */
function electionText(errorCode: number): string {
  switch (errorCode) {
    case 0:
      return "elected";
    case ErrorCode.ELECTION_NOT_NEEDED:
      return "already there";
    case ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE:
      return "preferred replica not live or not in sync";
    case ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE:
      return "no live replica to elect";
    default:
      return new KafkaError(errorCode).message;
  }
}

/** `topic config get|set|delete`: a topic's configs, changed live. */
function registerConfigCommands(topic: Command): void {
  const config = topic.command("config").description("show and change a topic's configs live");
  withClientOptions(
    config.command("get")
      .description("every config of a topic with its value; overrides marked")
      .argument("<topic>", "topic name")
      .argument("[keys...]", "only these configs"),
  ).action(async (name, keys: string[], options) => {
    const entries = await withAdmin(options, name, (admin) => admin.describeTopicConfigs(name));
    const shown = keys.length === 0 ? entries : entries.filter((entry) => keys.includes(entry.name));
    const unknown = keys.filter((key) => !entries.some((entry) => entry.name === key));
    if (unknown.length > 0) {
      throw new CliError(`unknown topic config ${unknown.join(", ")}: see vltava topic config get ${name}`);
    }
    if (options.json) return printJson(shown);
    const table = new Table({
      head: ["config", "value", "source"],
      style: { head: [], border: [], compact: true },
    });
    for (const entry of shown) {
      table.push([entry.name, entry.value ?? "", entry.override ? "topic" : "default"]);
    }
    console.log(table.toString());
  });
  withClientOptions(
    config.command("set")
      .description("set configs on a live topic (the brokers apply them at once)")
      .argument("<topic>", "topic name")
      .argument("<key=value...>", "configs to set"),
  ).action(async (name, pairs: string[], options) => {
    const changes = keyValuePairs(pairs);
    await withAdmin(options, name, (admin) => admin.alterTopicConfigs(name, changes));
    if (options.json) {
      printJson({ topic: name, set: Object.fromEntries(changes.map((c) => [c.name, c.value])) });
    } else for (const change of changes) console.log(`${name}: ${change.name}=${change.value}`);
  });
  withClientOptions(
    config.command("delete")
      .description("drop config overrides of a live topic (back to the defaults)")
      .argument("<topic>", "topic name")
      .argument("<keys...>", "configs to reset"),
  ).action(async (name, keys: string[], options) => {
    await withAdmin(
      options,
      name,
      (admin) => admin.alterTopicConfigs(name, keys.map((key) => ({ name: key, value: null }))),
    );
    if (options.json) printJson({ topic: name, deleted: keys });
    else for (const key of keys) console.log(`${name}: ${key} back to its default`);
  });
}

/** `cluster describe --coordinator`: the registry in the coordinator, offline brokers included. */
async function describeFromCoordinator(connect: string, json: boolean): Promise<void> {
  let zk: ZooKeeperClient;
  try {
    zk = await ZooKeeperClient.connect(connect, { connectTimeoutMs: 10_000 });
  } catch (error) {
    throw new CliError(`cannot reach the coordinator at ${connect}: ${(error as Error).message}`);
  }
  try {
    const status = await readClusterStatus(zk);
    if (json) {
      printJson(status);
      return;
    }
    const controller = status.controller;
    console.log(`controller: ${controller ? `${controller.brokerId} (epoch ${controller.epoch})` : "none"}`);
    const table = new Table({
      head: ["broker", "host", "port", "state", "role", "partitions led"],
      style: { head: [], border: [] },
    });
    for (const broker of status.brokers) {
      table.push([
        broker.brokerId,
        broker.host,
        broker.port,
        broker.live ? "live" : "offline",
        controller?.brokerId === broker.brokerId ? "controller" : "",
        broker.partitionsLed,
      ]);
    }
    console.log(table.toString());
    console.log(
      `${status.partitions} partitions, ${status.offlinePartitions} offline, ` +
        `${status.underReplicatedPartitions} under-replicated`,
    );
  } finally {
    await zk.close();
  }
}
