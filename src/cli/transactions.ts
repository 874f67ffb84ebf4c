/**
 * `vltava transactions list|describe`: the transactional ids the coordinators hold — state,
 * producer id and epoch, the partitions of the open transaction and how long it has been open.
 *
 * @example
 * ```sh
 * vltava transactions list --state Ongoing
 * vltava transactions describe payments-1 --json
 * ```
 */
import Table from "cli-table3";
import { registerCommands } from "./program.ts";
import { CliError } from "./cli-error.ts";
import { printJson, toCliError, withClientOptions } from "./client-options.ts";
import { clientSecurity, type SecurityFlags } from "./client-security.ts";
import { TransactionAdmin, type TransactionDescription } from "../client/transaction-admin.ts";
import { ErrorCode, KafkaError } from "../kafka/errors.ts";

async function withTransactionAdmin<T>(
  options: { bootstrap: string } & SecurityFlags,
  transactionalId: string | undefined,
  body: (admin: TransactionAdmin) => Promise<T>,
): Promise<T> {
  const security = await clientSecurity(options);
  const admin = new TransactionAdmin({ bootstrap: options.bootstrap, clientId: "vltava-cli", security });
  try {
    return await body(admin);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new CliError(
        `${error.message} (states: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort)`,
      );
    }
    if (
      error instanceof KafkaError && error.code === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND &&
      transactionalId !== undefined
    ) {
      throw new CliError(
        `transactional id "${transactionalId}" is not known (see them with: vltava transactions list)`,
      );
    }
    throw toCliError(error, { bootstrap: options.bootstrap });
  } finally {
    admin.close();
  }
}

const plain = { head: [] as string[], border: [] as string[] };

/** "12s", "3m 4s", "-" for no open transaction. */
function age(startedAtMs: number | null, nowMs: number): string {
  if (startedAtMs === null) return "-";
  const seconds = Math.max(0, Math.round((nowMs - startedAtMs) / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

function partitionsText(t: TransactionDescription): string {
  return t.partitions.map((p) => `${p.topic}-${p.partition}`).join(",") || "-";
}

/** For --json: the producer id as a string (a 63-bit id does not fit a JSON number exactly). */
function jsonOf(t: TransactionDescription) {
  return { ...t, producerId: t.producerId.toString() };
}

registerCommands((program) => {
  const transactions = program.command("transactions").description("list and describe transactions");

  withClientOptions(
    transactions.command("list").description("every transactional id the coordinators hold")
      .option("--state <state...>", "only these states (e.g. Ongoing PrepareCommit)"),
  ).action(async (options) => {
    const listed = await withTransactionAdmin(
      options,
      undefined,
      (admin) => admin.listTransactions(options.state ?? []),
    );
    if (options.json) {
      printJson(listed.map(jsonOf));
      return;
    }
    if (listed.length === 0) {
      console.log("no transactions");
      return;
    }
    const now = Date.now();
    const table = new Table({
      head: ["transactional id", "state", "producer id", "epoch", "age", "partitions", "coordinator"],
      style: plain,
      colAligns: ["left", "left", "right", "right", "right", "left", "right"],
    });
    for (const t of listed) {
      table.push([
        t.transactionalId,
        t.state,
        String(t.producerId),
        t.producerEpoch,
        age(t.startedAtMs, now),
        partitionsText(t),
        t.coordinator,
      ]);
    }
    console.log(table.toString());
  });

  withClientOptions(
    transactions.command("describe").description("one transactional id: state, producer, timeout, partitions")
      .argument("<transactional-id>", "transactional id"),
  ).action(async (transactionalId, options) => {
    const t = await withTransactionAdmin(
      options,
      transactionalId,
      (admin) => admin.describeTransaction(transactionalId),
    );
    if (options.json) {
      printJson(jsonOf(t));
      return;
    }
    console.log([
      `transactional id: ${t.transactionalId}`,
      `state: ${t.state}`,
      `producer: id ${t.producerId}, epoch ${t.producerEpoch}`,
      `timeout: ${t.timeoutMs} ms`,
      `open for: ${age(t.startedAtMs, Date.now())}`,
      `partitions: ${partitionsText(t)}`,
      `coordinator: ${t.coordinator}`,
    ].join("\n"));
  });
});
