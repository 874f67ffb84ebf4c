/**
 * `vltava consume TOPIC --group G`: the consume command as a member of a consumer group. It
 * reads the partitions the group gives it, from the group's committed offsets (--from-beginning
 * decides where a partition with none starts), and commits what it printed: periodically, at
 * every rebalance and on exit (Ctrl-C / SIGTERM leave the group cleanly).
 */
import { GroupConsumer } from "../client/group-consumer.ts";
import type { ConsumerRecord } from "../client/consumer.ts";
import { toCliError } from "./client-options.ts";
import { usageError } from "./cli-error.ts";
import { clientSecurity, type SecurityFlags } from "./client-security.ts";

export interface GroupConsumeOptions extends SecurityFlags {
  bootstrap: string;
  group: string;
  fromBeginning?: boolean;
  maxMessages?: number;
  timeoutMs?: number;
  assignor?: string;
  sessionTimeoutMs?: number;
  commitIntervalMs?: number;
  partition?: number;
  offset?: number;
  fromTime?: number;
  isolation?: "read_uncommitted" | "read_committed";
}

/** Consume `topic` in group `options.group`, printing with `format`; returns how many were printed. */
export async function consumeInGroup(
  topic: string,
  options: GroupConsumeOptions,
  print: (records: ConsumerRecord[]) => Promise<boolean>,
): Promise<number> {
  if (options.partition !== undefined || options.offset !== undefined || options.fromTime !== undefined) {
    throw usageError(
      "--group takes its partitions and offsets from the group: drop --partition/--offset/--from-time",
    );
  }
  const security = await clientSecurity(options);
  const principal = security?.sasl ? `User:${security.sasl.username}` : undefined;
  const consumer = new GroupConsumer({
    bootstrap: options.bootstrap,
    security,
    clientId: "vltava-cli",
    groupId: options.group,
    topics: [topic],
    autoOffsetReset: options.fromBeginning ? "earliest" : "latest",
    assignors: options.assignor ? [options.assignor] : undefined,
    sessionTimeoutMs: options.sessionTimeoutMs,
    autoCommitIntervalMs: options.commitIntervalMs ?? 1_000,
    isolationLevel: options.isolation,
    onAssign: (partitions) =>
      console.error(
        `group "${options.group}": assigned ${
          partitions.map((p) => `${p.topic}-${p.partition}`).join(",") || "nothing"
        }`,
      ),
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  let count = 0;
  try {
    await consumer.consumer.cluster.refreshMetadata([topic]);
    consumer.consumer.cluster.topic(topic);
    let idleSince = Date.now();
    const max = options.maxMessages ?? Infinity;
    while (count < max && !stopping) {
      const left = options.timeoutMs === undefined ? 500 : idleSince + options.timeoutMs - Date.now();
      if (left <= 0) break;
      const records = await consumer.poll(Math.min(left, 500), max - count);
      if (records.length === 0) continue;
      idleSince = Date.now();
      count += records.length;
      if (!await print(records)) break;
    }
    // The final commit is best effort: uncommitted records are read again (at-least-once).
    await consumer.commit().catch(() => {});
  } catch (error) {
    throw toCliError(error, {
      topic,
      group: options.group,
      bootstrap: options.bootstrap,
      operation: "Read",
      principal,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    await consumer.close();
  }
  return count;
}
