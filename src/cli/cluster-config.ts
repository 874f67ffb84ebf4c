/**
 * `vltava cluster config get|set|delete` (also `vltava broker config …`): the dynamic broker
 * configs (the replication throttles), live, Kafka's way (kafka-configs --entity-type brokers): one broker's with
 * `--broker N`, else the default every broker without its own value uses. The brokers apply a
 * change at once; nothing restarts.
 *
 * @example
 * ```sh
 * vltava cluster config set leader.replication.throttled.rate=10000000
 * vltava cluster config get --broker 2
 * vltava cluster config delete leader.replication.throttled.rate --broker 2
 * ```
 */
import Table from "cli-table3";
import type { Command } from "@commander-js/extra-typings";
import { withAdmin } from "./admin-session.ts";
import { usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { printJson, withClientOptions } from "./client-options.ts";

/** KEY=VALUE arguments as config changes (a usage error names the first bad one). */
export function keyValuePairs(pairs: string[]): { name: string; value: string }[] {
  return pairs.map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw usageError(`expected KEY=VALUE, got "${pair}"`);
    return { name: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

const whose = (broker: number | undefined) =>
  broker === undefined ? "every broker (default)" : `broker ${broker}`;

export function registerClusterConfigCommands(cluster: Command): void {
  const config = cluster.command("config").description("show and change dynamic broker configs live");
  withClientOptions(
    config.command("get")
      .description("a broker's configs and where each comes from, or the defaults every broker shares")
      .option("--broker <id>", "this broker's configs (default: the shared defaults)", integerOption(0)),
  ).action(async (options) => {
    const entries = await withAdmin(
      options,
      undefined,
      (admin) => admin.describeBrokerConfigs(options.broker ?? null),
    );
    if (options.json) return printJson(entries);
    if (entries.length === 0) return console.log(`no dynamic config set for ${whose(options.broker)}`);
    const table = new Table({
      head: ["config", "value", "source"],
      style: { head: [], border: [], compact: true },
    });
    for (const entry of entries) table.push([entry.name, entry.value ?? "", entry.source]);
    console.log(table.toString());
  });
  withClientOptions(
    config.command("set")
      .description("set dynamic broker configs (the brokers apply them at once)")
      .argument("<key=value...>", "configs to set, e.g. leader.replication.throttled.rate=10000000")
      .option("--broker <id>", "only this broker (default: every broker)", integerOption(0)),
  ).action(async (pairs: string[], options) => {
    const changes = keyValuePairs(pairs);
    await withAdmin(options, undefined, (admin) => admin.alterBrokerConfigs(options.broker ?? null, changes));
    if (options.json) {
      printJson({
        broker: options.broker ?? null,
        set: Object.fromEntries(changes.map((c) => [c.name, c.value])),
      });
    } else {for (const change of changes) {
        console.log(`${whose(options.broker)}: ${change.name}=${change.value}`);
      }}
  });
  withClientOptions(
    config.command("delete")
      .description("drop dynamic broker configs (a broker's own value falls back to the default)")
      .argument("<keys...>", "configs to drop")
      .option(
        "--broker <id>",
        "only this broker's own values (default: the shared defaults)",
        integerOption(0),
      ),
  ).action(async (keys: string[], options) => {
    await withAdmin(
      options,
      undefined,
      (admin) =>
        admin.alterBrokerConfigs(options.broker ?? null, keys.map((name) => ({ name, value: null }))),
    );
    if (options.json) printJson({ broker: options.broker ?? null, deleted: keys });
    else for (const key of keys) console.log(`${whose(options.broker)}: ${key} dropped`);
  });
}
