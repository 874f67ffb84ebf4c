/**
 * `vltava events`: the cluster's event timeline in the terminal — what the coordinator tree
 * remembers (controller, broker registrations, topics, with their own times), then, with --follow,
 * every change as it happens (leader changes, ISR shrinks and expansions, brokers joining and
 * leaving, high watermarks and group rebalances sampled from the brokers). One aligned line per
 * event, or NDJSON with --json (one event object per line, `type` as the console's API names it).
 *
 * @example
 * ```sh
 * vltava events --coordinator 127.0.0.1:2181 --since 10m
 * vltava events --coordinator 127.0.0.1:2181 --follow --json | jq 'select(.type=="leader-changed")'
 * ```
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { CliError } from "./cli-error.ts";
import { connectStringOption, integerOption } from "./options.ts";
import { clientSecurity, type SecurityFlags, withSecurityOptions } from "./client-security.ts";
import { onStopRequest } from "./stop-signals.ts";
import { Timeline } from "../events/timeline.ts";
import { formatEventLine } from "../events/format.ts";
import type { ClusterEvent } from "../events/cluster-event.ts";

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "2h", "1d" → milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`expected a duration like 30s, 10m, 2h or 1d, got "${value}"`);
  return Number(match[1]) * UNITS_MS[match[2]];
}

const encoder = new TextEncoder();

/** Start the timeline for a command's --coordinator / --bootstrap / security flags; one clear line on failure. */
export async function openTimeline(
  options: { coordinator: string; bootstrap?: string } & SecurityFlags,
  sampleIntervalMs: number,
): Promise<Timeline> {
  const security = await clientSecurity(options);
  try {
    return await Timeline.start({
      coordinator: options.coordinator,
      bootstrap: options.bootstrap,
      security,
      sampleIntervalMs,
      log: (line) => console.error(line),
    });
  } catch (error) {
    throw new CliError(
      `cannot read the coordinator at ${options.coordinator}: ${(error as Error).message} (is it running?)`,
    );
  }
}

registerCommands((program) => {
  withSecurityOptions(
    program.command("events")
      .description("print the cluster's event timeline (elections, leaders, ISR, brokers, groups)")
      .requiredOption(
        "--coordinator <connect>",
        "coordinator or ZooKeeper connect string HOST:PORT[,HOST:PORT][/chroot]",
        connectStringOption,
      )
      .option("--bootstrap <hosts>", "brokers to sample (default: the brokers registered in the tree)")
      .option("--follow", "keep printing events as they happen", false)
      .option("--since <duration>", "only events of the last DURATION (30s, 10m, 2h, 1d)", parseDuration)
      .option("--json", "one JSON object per line (NDJSON)", false)
      .option(
        "--sample-ms <ms>",
        "how often brokers are sampled with --follow",
        integerOption(100, 60_000),
        1000,
      ),
  ).action(async (options) => {
    const timeline = await openTimeline(options, options.follow ? options.sampleMs : 0);
    const sinceMs = options.since === undefined ? -Infinity : Date.now() - options.since;
    const print = (event: ClusterEvent) => {
      if (event.time < sinceMs) return;
      const line = options.json ? JSON.stringify(event) : formatEventLine(event);
      Deno.stdout.writeSync(encoder.encode(line + "\n"));
    };
    try {
      const follower = options.follow ? timeline.log.follow() : undefined;
      for (const event of timeline.log.all()) print(event);
      if (!follower) return;
      const release = onStopRequest(() => void timeline.stop());
      try {
        for await (const event of follower) print(event);
      } finally {
        release();
      }
    } finally {
      await timeline.stop();
    }
  });
});
