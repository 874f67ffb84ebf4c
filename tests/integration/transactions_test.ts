/**
 * The transaction coordinator against a real broker process, over the raw protocol: a
 * transactional id finds its coordinator (creating `__transaction_state`), gets a producer id,
 * adds partitions, writes, commits — read_committed sees the records — then aborts — it does not;
 * a second InitProducerId with the same id fences the first producer (its EndTxn and its writes
 * are refused) and aborts what it left open; a timeout larger than the broker's maximum is
 * refused; an abandoned transaction is aborted at its timeout; ListTransactions names the ids.
 */
import assert from "node:assert/strict";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  readListTransactionsResponse,
  writeListTransactionsRequest,
} from "../../src/kafka/apis/list-transactions.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { eventually, runCli } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess } from "./broker-harness.ts";
import {
  addPartitions,
  describeTxn,
  endTxn,
  findTxnCoordinator,
  initProducerId,
  initTxnProducer,
  readCommittedWhenStable,
  readUncommitted,
  txnBatch,
} from "./txn-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const TOPIC = "payments";
const ARGS = [
  "--transaction-state-partitions",
  "5",
  "--transaction-max-timeout-ms",
  "120000",
  "--transaction-abort-interval-ms",
  "200",
];

Deno.test("transactions over the raw protocol: commit, abort, fencing, timeouts", options, async () => {
  await using bed = await brokerTestBed(1, ARGS);
  const broker = await startBrokerProcess(bed.options);
  try {
    await using client = await RawKafka.connect(bed.options.port);
    assert.equal((await client.createTopic(TOPIC, 2)).topics[0].errorCode, 0);

    const coordinator = await findTxnCoordinator(client, "pay-1");
    assert.equal(coordinator.nodeId, 1);
    const first = await initTxnProducer(client, "pay-1");
    assert.equal(first.producerEpoch, 0);

    // Commit: both partitions get the records, read_committed sees them once the markers are in.
    assert.deepEqual(
      await eventually("partitions added", async () => {
        const codes = await addPartitions(client, first, TOPIC, [0, 1]);
        return codes.every((c) => c === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) ? undefined : codes;
      }),
      [0, 0],
    );
    assert.equal((await client.produce(TOPIC, 0, txnBatch(first, 0, ["a1", "a2"]), -1)).errorCode, 0);
    assert.equal((await client.produce(TOPIC, 1, txnBatch(first, 0, ["b1"]), -1)).errorCode, 0);
    assert.equal((await describeTxn(client, "pay-1")).transactionState, "Ongoing");
    assert.equal(await endTxn(client, first, true), 0);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 0), ["a1", "a2"]);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 1), ["b1"]);
    assert.equal((await describeTxn(client, "pay-1")).transactionState, "CompleteCommit");
    // A retried commit is answered the same; an abort of a committed transaction is not.
    assert.equal(await endTxn(client, first, true), 0);
    assert.equal(await endTxn(client, first, false), ErrorCode.INVALID_TXN_STATE);

    // Abort: the records are stored (read_uncommitted sees them), read_committed drops them.
    assert.deepEqual(await addPartitions(client, first, TOPIC, [0]), [0]);
    assert.equal((await client.produce(TOPIC, 0, txnBatch(first, 2, ["x1"]), -1)).errorCode, 0);
    assert.equal(await endTxn(client, first, false), 0);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 0), ["a1", "a2"]);
    assert.deepEqual(await readUncommitted(client, TOPIC, 0), ["a1", "a2", "x1"]);

    // Fencing: a new instance takes the id while the first has a transaction open.
    assert.deepEqual(await addPartitions(client, first, TOPIC, [1]), [0]);
    assert.equal((await client.produce(TOPIC, 1, txnBatch(first, 1, ["zombie"]), -1)).errorCode, 0);
    const second = await initTxnProducer(client, "pay-1");
    assert.equal(second.producerId, first.producerId);
    assert.ok(second.producerEpoch > first.producerEpoch, `epoch ${second.producerEpoch} bumped`);
    assert.equal(
      await endTxn(client, first, true),
      ErrorCode.INVALID_PRODUCER_EPOCH,
      "v1: INVALID_PRODUCER_EPOCH",
    );
    assert.equal(await endTxn(client, first, true, 3), ErrorCode.PRODUCER_FENCED, "v3: PRODUCER_FENCED");
    assert.deepEqual(await addPartitions(client, first, TOPIC, [0]), [ErrorCode.INVALID_PRODUCER_EPOCH]);
    const late = await client.produce(TOPIC, 1, txnBatch(first, 2, ["late"]), -1);
    assert.equal(late.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 1), ["b1"]);
    // The new instance works.
    assert.deepEqual(await addPartitions(client, second, TOPIC, [1]), [0]);
    assert.equal((await client.produce(TOPIC, 1, txnBatch(second, 0, ["b2"]), -1)).errorCode, 0);
    assert.equal(await endTxn(client, second, true), 0);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 1), ["b1", "b2"]);

    // Bad requests: a timeout over the maximum, an unknown partition, an unknown producer id.
    assert.equal(
      (await initProducerId(client, "pay-2", 600_000)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    );
    assert.deepEqual(await addPartitions(client, second, TOPIC, [0, 7]), [
      ErrorCode.OPERATION_NOT_ATTEMPTED,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    assert.deepEqual(
      await addPartitions(client, { ...second, producerId: second.producerId + 1n }, TOPIC, [0]),
      [ErrorCode.INVALID_PRODUCER_ID_MAPPING],
    );

    // Timeout: an abandoned transaction is aborted (and its producer fenced) by the coordinator.
    const abandoned = await initTxnProducer(client, "pay-3", 1000);
    assert.deepEqual(await addPartitions(client, abandoned, TOPIC, [0]), [0]);
    assert.equal((await client.produce(TOPIC, 0, txnBatch(abandoned, 0, ["lost"]), -1)).errorCode, 0);
    const expired = await eventually("the abandoned transaction aborted", async () => {
      const described = await describeTxn(client, "pay-3");
      return described.transactionState === "CompleteAbort" ? described : undefined;
    });
    assert.equal(expired.producerEpoch, abandoned.producerEpoch + 1);
    assert.deepEqual(await readCommittedWhenStable(client, TOPIC, 0), ["a1", "a2"]);
    assert.equal(await endTxn(client, abandoned, true), ErrorCode.INVALID_PRODUCER_EPOCH);

    const listed = await client.request(
      ApiKey.ListTransactions,
      1,
      (w) =>
        writeListTransactionsRequest(w, 1, { stateFilters: [], producerIdFilters: [], durationFilterMs: -1 }),
      (r) => readListTransactionsResponse(r, 1),
    );
    assert.equal(listed.errorCode, 0);
    assert.deepEqual(
      listed.transactionStates.map((t) => `${t.transactionalId} ${t.transactionState}`).sort(),
      ["pay-1 CompleteCommit", "pay-3 CompleteAbort"],
    );

    // The CLI: an open transaction with its partitions, the table, --json, an unknown id.
    const open = await initTxnProducer(client, "pay-4");
    assert.deepEqual(await addPartitions(client, open, TOPIC, [1, 0]), [0, 0]);
    const bootstrap = ["--bootstrap", `127.0.0.1:${bed.options.port}`];
    const table = await runCli(["transactions", "list", ...bootstrap]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /transactional id[\s│]+state[\s│]+producer id[\s│]+epoch[\s│]+age[\s│]+partitions[\s│]+coordinator/,
    );
    assert.match(table.stdout, /pay-1[\s│]+CompleteCommit[\s│]+\d+[\s│]+\d+[\s│]+-[\s│]+-[\s│]+1/);
    assert.match(
      table.stdout,
      /pay-4[\s│]+Ongoing[\s│]+\d+[\s│]+0[\s│]+\d+s[\s│]+payments-0,payments-1[\s│]+1/,
    );
    const ongoing = await runCli(["transactions", "list", "--state", "Ongoing", "--json", ...bootstrap]);
    assert.equal(ongoing.code, 0, ongoing.stderr);
    assert.deepEqual(JSON.parse(ongoing.stdout).map((t: { transactionalId: string }) => t.transactionalId), [
      "pay-4",
    ]);
    const described = await runCli(["transactions", "describe", "pay-1", "--json", ...bootstrap]);
    assert.equal(described.code, 0, described.stderr);
    const pay1 = JSON.parse(described.stdout);
    assert.equal(pay1.state, "CompleteCommit");
    assert.equal(pay1.producerId, String(second.producerId));
    assert.equal(pay1.producerEpoch, second.producerEpoch);
    const unknown = await runCli(["transactions", "describe", "nope", ...bootstrap]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /transactional id "nope" is not known/);
    const badState = await runCli(["transactions", "list", "--state", "Open", ...bootstrap]);
    assert.notEqual(badState.code, 0);
    assert.match(badState.stderr, /Unknown transaction state: Open/);
  } finally {
    await broker.stop("SIGKILL");
  }
});
