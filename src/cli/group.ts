/**
 * `vltava group list|describe|reset-offsets|delete`: consumer groups as the coordinators see
 * them, with committed offsets, log ends and lag; offset resets for groups with no members.
 *
 * @example
 * ```sh
 * vltava group describe billing
 * vltava group reset-offsets billing --topic orders --to-time 2026-01-31T12:00:00Z --dry-run
 * ```
 */
import Table from "cli-table3";
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { printJson, toCliError, withClientOptions } from "./client-options.ts";
import { clientSecurity, type SecurityFlags } from "./client-security.ts";
import {
  GroupAdmin,
  type GroupDescription,
  GroupNotEmptyError,
  type ResetSpec,
} from "../client/group-admin.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";

async function withGroupAdmin<T>(
  options: { bootstrap: string } & SecurityFlags,
  groupId: string | undefined,
  body: (admin: GroupAdmin) => Promise<T>,
): Promise<T> {
  const security = await clientSecurity(options);
  const admin = new GroupAdmin({ bootstrap: options.bootstrap, clientId: "vltava-cli", security });
  try {
    return await body(admin);
  } catch (error) {
    if (error instanceof GroupNotEmptyError) throw new CliError(lowerFirst(error.message));
    if (error instanceof KafkaError && groupId !== undefined) {
      if (error.code === ErrorCode.NON_EMPTY_GROUP) {
        throw new CliError(`group "${groupId}" still has members: stop its consumers first`);
      }
      if (error.code === ErrorCode.GROUP_ID_NOT_FOUND) {
        throw new CliError(`group "${groupId}" does not exist (see the groups with: vltava group list)`);
      }
    }
    throw toCliError(error, { bootstrap: options.bootstrap });
  } finally {
    admin.close();
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const plain = { head: [] as string[], border: [] as string[] };

function describeText(group: GroupDescription): string {
  const lines = [
    `group: ${group.groupId}`,
    `state: ${group.state}`,
    `protocol: ${group.protocolType || "-"}/${group.protocol || "-"}`,
    `coordinator: ${group.coordinator}`,
    `members: ${group.members.length}`,
  ];
  if (group.members.length > 0) {
    const members = new Table({ head: ["member", "client id", "host", "partitions"], style: plain });
    for (const m of group.members) {
      members.push([
        m.memberId,
        m.clientId,
        m.clientHost,
        m.partitions.map((p) => `${p.topic}-${p.partition}`).join(",") || "-",
      ]);
    }
    lines.push(members.toString());
  }
  const offsets = new Table({
    head: ["topic", "partition", "committed", "log end", "lag", "member"],
    style: plain,
    colAligns: ["left", "right", "right", "right", "right", "left"],
  });
  for (const o of group.offsets) {
    offsets.push([
      o.topic,
      o.partition,
      o.committedOffset < 0 ? "-" : o.committedOffset,
      o.logEndOffset < 0 ? "?" : o.logEndOffset,
      o.lag < 0 ? "?" : o.lag,
      o.memberId ?? "-",
    ]);
  }
  if (group.offsets.length > 0) lines.push(offsets.toString());
  lines.push(`total lag: ${group.totalLag}`);
  return lines.join("\n");
}

function resetSpec(options: {
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toTime?: string;
  shiftBy?: string;
}): ResetSpec {
  const chosen = [options.toEarliest, options.toLatest, options.toOffset, options.toTime, options.shiftBy]
    .filter((v) => v !== undefined && v !== false);
  if (chosen.length !== 1) {
    throw usageError("choose exactly one of --to-earliest, --to-latest, --to-offset, --to-time, --shift-by");
  }
  if (options.toEarliest) return { kind: "earliest" };
  if (options.toLatest) return { kind: "latest" };
  if (options.toOffset !== undefined) {
    const offset = Number(options.toOffset);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw usageError(`--to-offset expects a non-negative integer, got "${options.toOffset}"`);
    }
    return { kind: "offset", offset };
  }
  if (options.toTime !== undefined) {
    const timestampMs = Date.parse(options.toTime);
    if (Number.isNaN(timestampMs)) {
      throw usageError(`--to-time expects an ISO date like 2026-01-31T12:00:00Z, got "${options.toTime}"`);
    }
    return { kind: "time", timestampMs };
  }
  const by = Number(options.shiftBy);
  if (!Number.isSafeInteger(by)) throw usageError(`--shift-by expects an integer, got "${options.shiftBy}"`);
  return { kind: "shift", by };
}

registerCommands((program) => {
  const group = program.command("group").description("list, describe, reset and delete consumer groups");

  withClientOptions(group.command("list").description("list consumer groups")).action(async (options) => {
    const groups = await withGroupAdmin(options, undefined, (admin) => admin.listGroups());
    if (options.json) printJson(groups);
    else if (groups.length === 0) console.log("no groups");
    else {
      const table = new Table({ head: ["group", "state", "protocol type", "coordinator"], style: plain });
      for (const g of groups) table.push([g.groupId, g.state, g.protocolType || "-", g.coordinator]);
      console.log(table.toString());
    }
  });

  withClientOptions(
    group.command("describe")
      .description("state, members, assigned partitions, committed offsets and lag")
      .argument("<group>", "group id"),
  ).action(async (groupId, options) => {
    const described = await withGroupAdmin(options, groupId, (admin) => admin.describeGroup(groupId));
    if (options.json) printJson(described);
    else console.log(describeText(described));
  });

  withClientOptions(
    group.command("reset-offsets")
      .description("move a group's committed offsets of a topic (only while it has no members)")
      .argument("<group>", "group id")
      .requiredOption("--topic <topic>", "topic whose offsets move (every partition)")
      .option("--to-earliest", "to the first offset still in the log")
      .option("--to-latest", "to the end of the log")
      .option("--to-offset <n>", "to this offset (clamped to the log)")
      .option("--to-time <iso>", "to the first record at or after this time")
      .option("--shift-by <n>", "move by N (negative: back)")
      .option("--dry-run", "show the plan without committing it"),
  ).action(async (groupId, options) => {
    const spec = resetSpec(options);
    const plan = await withGroupAdmin(
      options,
      groupId,
      (admin) => admin.resetOffsets(groupId, options.topic, spec, options.dryRun ?? false),
    );
    if (options.json) {
      printJson({ group: groupId, dryRun: options.dryRun ?? false, partitions: plan });
      return;
    }
    const table = new Table({
      head: ["topic", "partition", "current", "new"],
      style: plain,
      colAligns: ["left", "right", "right", "right"],
    });
    for (const p of plan) {
      table.push([p.topic, p.partition, p.currentOffset < 0 ? "-" : p.currentOffset, p.newOffset]);
    }
    console.log(table.toString());
    console.log(options.dryRun ? "dry run: nothing committed" : `reset offsets of group "${groupId}"`);
  });

  withClientOptions(
    group.command("delete").description("delete a group with no members, and its offsets").argument(
      "<group>",
      "group id",
    ),
  ).action(async (groupId, options) => {
    await withGroupAdmin(options, groupId, (admin) => admin.deleteGroup(groupId));
    if (options.json) printJson({ deleted: groupId });
    else console.log(`deleted group "${groupId}"`);
  });
});
