/**
 * `vltava consume TOPIC`: print records, one per line, from every partition (or one with
 * --partition). Starts at the end unless --from-beginning, --offset N (with --partition)
 * or --from-time ISO says otherwise; stops after --max-messages, after --timeout-ms with
 * nothing new, or on Ctrl-C. A count goes to stderr at the end.
 *
 * @example
 * ```sh
 * vltava consume orders --from-beginning --max-messages 10 --print-key --print-offset
 * ```
 */
import { Option } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { toCliError, withClientOptions } from "./client-options.ts";
import { clientSecurity } from "./client-security.ts";
import { Consumer, type ConsumerRecord, type StartPosition } from "../client/consumer.ts";
import { consumeInGroup } from "./group-consume.ts";

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : textDecoder.decode(bytes);
}

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw usageError(`--from-time expects an ISO date like 2026-01-31T12:00:00Z, got "${value}"`);
  }
  return ms;
}

function formatRecord(
  record: ConsumerRecord,
  options: { format: string; printKey?: boolean; printOffset?: boolean },
): string {
  if (options.format === "json") {
    return JSON.stringify({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: text(record.key),
      value: text(record.value),
      headers: Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)])),
    });
  }
  let line = "";
  if (options.printOffset) line += `${record.partition}:${record.offset}\t`;
  if (options.printKey) line += `${text(record.key) ?? ""}\t`;
  return line + (text(record.value) ?? "");
}

registerCommands((program) => {
  withClientOptions(
    program.command("consume")
      .description("print records of a topic, one per line")
      .argument("<topic>", "topic to read")
      .option("--from-beginning", "start at the earliest offset")
      .option("--offset <n>", "start at this offset (needs --partition)", integerOption(0))
      .option("--partition <n>", "read only this partition", integerOption(0, 1_000_000))
      .option("--from-time <iso>", "start at the first record at or after this time", parseTime)
      .option("--max-messages <n>", "stop after this many records", integerOption(1))
      .option("--timeout-ms <ms>", "stop when nothing arrives for this long", integerOption(1))
      .option("--print-key", "print KEY<tab> before each value")
      .option("--print-offset", "print PARTITION:OFFSET<tab> before each record")
      .option("--group <id>", "consume as a member of this consumer group, committing offsets")
      .option("--assignor <name>", "with --group: range, roundrobin or sticky")
      .option("--session-timeout-ms <ms>", "with --group: group session timeout", integerOption(6000))
      .option("--commit-interval-ms <ms>", "with --group: auto-commit period", integerOption(1))
      .addOption(
        new Option(
          "--isolation <level>",
          "read_committed: only committed transactions' records, up to the last stable offset",
        ).choices(["read_uncommitted", "read_committed"] as const).default("read_uncommitted" as const),
      )
      .addOption(
        new Option("--format <format>", "output format: text, or json (one object per line)")
          .choices(["text", "json"] as const).default("text"),
      ),
    // --json is what every other command takes for JSON output; here it means the documented --format json.
    "same as --format json",
  ).action(async (topic, options) => {
    const starts = [options.fromBeginning, options.offset !== undefined, options.fromTime !== undefined]
      .filter(Boolean).length;
    if (starts > 1) throw usageError("choose one of --from-beginning, --offset and --from-time");
    if (options.offset !== undefined && options.partition === undefined) {
      throw usageError("--offset needs --partition (offsets belong to one partition)");
    }
    const from: StartPosition = options.fromBeginning
      ? "earliest"
      : options.offset !== undefined
      ? options.offset
      : options.fromTime !== undefined
      ? { timestamp: options.fromTime }
      : "latest";
    const format = options.json ? "json" : options.format;
    if (options.group !== undefined) {
      const printed = await consumeInGroup(topic, { ...options, group: options.group }, async (records) => {
        try {
          await writeAll(
            textEncoder.encode(records.map((r) => formatRecord(r, { ...options, format })).join("\n") + "\n"),
          );
          return true;
        } catch {
          return false; // stdout closed
        }
      });
      console.error(`consumed ${printed} record(s) from "${topic}" in group "${options.group}"`);
      return;
    }
    const security = await clientSecurity(options);
    const principal = security?.sasl ? `User:${security.sasl.username}` : undefined;
    const consumer = new Consumer({
      bootstrap: options.bootstrap,
      clientId: "vltava-cli",
      security,
      autoOffsetReset: "earliest",
      isolationLevel: options.isolation,
    });
    const stop = () => void consumer.close();
    Deno.addSignalListener("SIGINT", stop);
    let count = 0;
    try {
      await consumer.cluster.refreshMetadata([topic]);
      const partitions = consumer.cluster.topic(topic).partitions.map((p) => p.partition);
      if (options.partition !== undefined && !partitions.includes(options.partition)) {
        throw usageError(
          `topic "${topic}" has ${partitions.length} partition(s): --partition must be below ${partitions.length}`,
        );
      }
      const chosen = options.partition !== undefined ? [options.partition] : partitions;
      await consumer.assign(chosen.map((partition) => ({ topic, partition, from })));
      let idleSince = Date.now();
      const max = options.maxMessages ?? Infinity;
      while (count < max) {
        const waitMs = options.timeoutMs === undefined ? 1_000 : idleSince + options.timeoutMs - Date.now();
        if (waitMs <= 0) break;
        const records = await consumer.poll(waitMs);
        if (records.length === 0) {
          if (consumer.closed) break;
          continue;
        }
        idleSince = Date.now();
        const take = records.length > max - count ? records.slice(0, max - count) : records;
        count += take.length;
        const out = take.map((r) => formatRecord(r, { ...options, format })).join("\n") + "\n";
        try {
          await writeAll(textEncoder.encode(out));
        } catch {
          break; // stdout closed (e.g. piped into head): stop quietly
        }
      }
    } catch (error) {
      throw toCliError(error, { topic, bootstrap: options.bootstrap, operation: "Read", principal });
    } finally {
      Deno.removeSignalListener("SIGINT", stop);
      await consumer.close();
    }
    console.error(`consumed ${count} record(s) from "${topic}"`);
  });
});

async function writeAll(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}
