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
import { registerCommands } from "./program.ts";
import { usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { printJson, toCliError, withClientOptions } from "./client-options.ts";
import { Admin, type TopicDescription } from "../client/admin.ts";

function configOption(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw usageError(`--config expects KEY=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

async function withAdmin<T>(
  options: { bootstrap: string },
  topic: string | undefined,
  body: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = new Admin({ bootstrap: options.bootstrap, clientId: "vltava-cli" });
  try {
    return await body(admin);
  } catch (error) {
    throw toCliError(error, { topic, bootstrap: options.bootstrap });
  } finally {
    admin.close();
  }
}

const list = (ids: number[]) => ids.join(",");

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
      "records",
    ],
    style: { head: [], border: [] },
    colAligns: ["left", "right", "right", "right", "left", "left", "right", "right", "right"],
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
        p.highWatermark < 0 ? "?" : p.highWatermark,
        p.logStartOffset < 0 || p.highWatermark < 0 ? "?" : p.highWatermark - p.logStartOffset,
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

  const cluster = program.command("cluster").description("inspect the cluster");
  withClientOptions(cluster.command("describe").description("show brokers and the controller")).action(
    async (options) => {
      const description = await withAdmin(options, undefined, (admin) => admin.describeCluster());
      if (options.json) {
        printJson(description);
        return;
      }
      if (description.clusterId) console.log(`cluster id: ${description.clusterId}`);
      console.log(`controller: ${description.controllerId < 0 ? "none" : description.controllerId}`);
      const table = new Table({
        head: ["broker", "host", "port", "rack", "role"],
        style: { head: [], border: [] },
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
