/**
 * `vltava produce TOPIC`: one record per stdin line. `--key-separator` splits a key off
 * the front of each line; `--headers k=v,k2=v2` adds headers to every record. Prints a
 * summary (records, bytes, rate) on stderr, a progress line on a terminal for big inputs,
 * and exits 1 saying how many records were not acknowledged if any failed. Like the library's
 * Producer it is idempotent by default (acks=all, retries stored once); `--acks 0|1` or
 * `--no-idempotence` write without producer ids. `--transactional-id ID` writes each chunk of input
 * read from stdin (each batch of lines) as one transaction, committed before the next is read:
 * read_committed consumers see a chunk whole or not at all.
 *
 * @example
 * ```sh
 * printf 'a:1\nb:2\n' | vltava produce orders --key-separator : --acks all
 * ```
 */
import { Option } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { CliError, usageError } from "./cli-error.ts";
import { integerOption } from "./options.ts";
import { printJson, toCliError, withClientOptions } from "./client-options.ts";
import { clientSecurity } from "./client-security.ts";
import { ProduceError, Producer, type RecordHeader } from "../client/producer.ts";
import { COMPRESSION_NAMES, type CompressionName } from "../client/compression.ts";

const NEWLINE = 0x0a;
const PROGRESS_INTERVAL_MS = 500;

function parseHeaders(value: string): RecordHeader[] {
  return value.split(",").filter((pair) => pair.length > 0).map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw usageError(`--headers expects KEY=VALUE[,KEY=VALUE], got "${pair}"`);
    return { key: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

function parseAcks(value: string): 0 | 1 | -1 {
  if (value === "all" || value === "-1") return -1;
  if (value === "0") return 0;
  if (value === "1") return 1;
  throw usageError(`--acks expects 0, 1 or all, got "${value}"`);
}

/** Split stdin into lines (bytes, no copy of the line contents beyond one chunk join). */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array[]> {
  let carry: Uint8Array | undefined;
  for await (let chunk of stream) {
    if (carry) {
      const joined = new Uint8Array(carry.length + chunk.length);
      joined.set(carry);
      joined.set(chunk, carry.length);
      chunk = joined;
      carry = undefined;
    }
    const out: Uint8Array[] = [];
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      out.push(chunk.subarray(start, at > start && chunk[at - 1] === 0x0d ? at - 1 : at));
      start = at + 1;
    }
    if (start < chunk.length) carry = chunk.slice(start);
    if (out.length > 0) yield out;
  }
  if (carry && carry.length > 0) yield [carry];
}

function indexOfSeparator(line: Uint8Array, separator: Uint8Array): number {
  if (separator.length === 1) return line.indexOf(separator[0]);
  outer: for (let i = 0; i + separator.length <= line.length; i++) {
    for (let j = 0; j < separator.length; j++) if (line[i + j] !== separator[j]) continue outer;
    return i;
  }
  return -1;
}

registerCommands((program) => {
  withClientOptions(
    program.command("produce")
      .description("send stdin to a topic, one record per line")
      .argument("<topic>", "topic to write to")
      .option("--key-separator <sep>", "split each line into KEY<sep>VALUE at the first <sep>")
      .option("--headers <list>", "headers for every record: KEY=VALUE[,KEY=VALUE]", parseHeaders)
      .addOption(
        new Option("--acks <acks>", "0, 1 or all (0 and 1 turn idempotence off)")
          .default(-1 as 0 | 1 | -1, "all").argParser(parseAcks),
      )
      .option("--no-idempotence", "write without producer ids (a retry may store a record twice)")
      .option("--partition <n>", "write every record to this partition", integerOption(0, 1_000_000))
      .addOption(
        new Option("--compression <codec>", "batch compression").choices(COMPRESSION_NAMES).default("none"),
      )
      .option("--linger-ms <ms>", "wait this long to fill batches", integerOption(0, 60_000), 5)
      .option(
        "--batch-bytes <n>",
        "largest batch per partition",
        integerOption(1024, 64 * 1024 * 1024),
        512 * 1024,
      )
      .option(
        "--transactional-id <id>",
        "write each input batch as one transaction under this id (fences an older producer with it)",
      )
      .option("--no-progress", "never print the progress line"),
  ).action(async (topic, options) => {
    const security = await clientSecurity(options);
    const principal = security?.sasl ? `User:${security.sasl.username}` : undefined;
    const transactional = options.transactionalId !== undefined;
    if (transactional && (!options.idempotence || options.acks !== -1)) {
      throw usageError("--transactional-id needs idempotence: drop --no-idempotence and --acks 0 / 1");
    }
    const producer = new Producer({
      bootstrap: options.bootstrap,
      clientId: "vltava-cli",
      security,
      acks: options.acks,
      idempotent: options.idempotence && options.acks === -1,
      transactionalId: options.transactionalId,
      compression: options.compression as CompressionName,
      lingerMs: options.lingerMs,
      batchBytes: options.batchBytes,
    });
    const separator = options.keySeparator === undefined
      ? undefined
      : new TextEncoder().encode(options.keySeparator);
    if (separator && separator.length === 0) throw usageError("--key-separator must not be empty");
    let records = 0;
    let bytes = 0;
    const startedAt = performance.now();
    const showProgress = options.progress && Deno.stderr.isTerminal();
    let lastProgressAt = startedAt;
    let failure: unknown;
    let committed = 0;
    let transactions = 0;
    try {
      await producer.cluster.refreshMetadata([topic]);
      const partitions = producer.cluster.topic(topic).partitions.length;
      if (options.partition !== undefined && options.partition >= partitions) {
        throw usageError(
          `topic "${topic}" has ${partitions} partition(s): --partition must be below ${partitions}`,
        );
      }
      for await (const batch of lines(Deno.stdin.readable)) {
        if (transactional) await producer.beginTransaction();
        for (const line of batch) {
          let key: Uint8Array | null = null;
          let value = line;
          if (separator) {
            const at = indexOfSeparator(line, separator);
            if (at >= 0) {
              key = line.subarray(0, at);
              value = line.subarray(at + separator.length);
            }
          }
          records++;
          bytes += line.length;
          if (
            !producer.produce({ topic, key, value, partition: options.partition, headers: options.headers })
          ) {
            await producer.waitForSpace();
          }
        }
        if (transactional) {
          await producer.commit();
          committed += batch.length;
          transactions++;
        }
        if (showProgress && performance.now() - lastProgressAt > PROGRESS_INTERVAL_MS) {
          lastProgressAt = performance.now();
          Deno.stderr.writeSync(
            new TextEncoder().encode(
              `\r${records} records sent, ${producer.acknowledgedRecords} acknowledged…`,
            ),
          );
        }
      }
      await producer.flush();
    } catch (error) {
      failure = error;
    } finally {
      await producer.close().catch((error) => failure ??= error);
    }
    if (showProgress && records > 0) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    const seconds = (performance.now() - startedAt) / 1000;
    // In transactions a record counts once its transaction committed (close() aborts an open one).
    const acknowledged = transactional ? committed : producer.acknowledgedRecords;
    const missing = records - acknowledged;
    if (failure && records === 0) {
      throw toCliError(failure, { topic, bootstrap: options.bootstrap, operation: "Write", principal });
    }
    const summary = {
      topic,
      records,
      acknowledged,
      failed: missing,
      bytes,
      seconds: Number(seconds.toFixed(3)),
      recordsPerSecond: Math.round(records / Math.max(seconds, 1e-6)),
      ...(transactional ? { transactions } : {}),
    };
    if (options.json) printJson(summary);
    else {
      console.error(
        `produced ${acknowledged} of ${records} records (${bytes} bytes) to "${topic}" in ${
          seconds.toFixed(2)
        } s` +
          ` (${summary.recordsPerSecond} records/s)` +
          (transactional ? `, ${transactions} transaction(s) committed` : ""),
      );
    }
    if (missing > 0 || failure) {
      // A ProduceError already says "N records were not acknowledged": report what caused it.
      const reason = failure instanceof ProduceError ? failure.cause : failure;
      const cause = reason ? toCliError(reason, { topic, bootstrap: options.bootstrap }).message : "";
      throw new CliError(
        `${missing} of ${records} records were not acknowledged${cause ? `: ${cause}` : ""}`,
      );
    }
  });
});
