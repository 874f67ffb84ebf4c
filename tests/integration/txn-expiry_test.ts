/**
 * `--transactional-id-expiration-ms` on a real broker process (a small setting, 1 s, swept every
 * 200 ms): an id with no transaction open is forgotten once idle past it (DescribeTransactions
 * answers TRANSACTIONAL_ID_NOT_FOUND, for good), while an id with a transaction open stays, however
 * long it is idle. The rule and the replay after a leader change are unit-tested in
 * tests/broker/transactions/txn-expiry_test.ts.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { eventually } from "../helpers/program.ts";
import { brokerTestBed, RawKafka, startBrokerProcess } from "./broker-harness.ts";
import { addPartitions, describeTxn, findTxnCoordinator, initTxnProducer } from "./txn-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "an idle transactional id without an open transaction expires; an open one stays",
  options,
  async () => {
    await using bed = await brokerTestBed(1, [
      "--transaction-state-partitions",
      "2",
      "--transactional-id-expiration-ms",
      "1000",
      "--transaction-abort-interval-ms",
      "200",
    ]);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using client = await RawKafka.connect(bed.options.port);
      assert.equal((await client.createTopic("orders", 1)).topics[0].errorCode, 0);
      await findTxnCoordinator(client, "idle-1");
      const open = await initTxnProducer(client, "open-1", 600_000);
      assert.deepEqual(
        await eventually("the partition added", async () => {
          const codes = await addPartitions(client, open, "orders", [0]);
          return codes[0] === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? undefined : codes;
        }),
        [0],
      );
      const idle = await initTxnProducer(client, "idle-1");
      await eventually("idle-1 expired", async () => {
        const described = await describeTxn(client, "idle-1");
        return described.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND ? true : undefined;
      }, 60_000);
      // open-1 has been idle at least as long (it was last updated before idle-1 was created).
      const stillOpen = await describeTxn(client, "open-1");
      assert.deepEqual([stillOpen.errorCode, stillOpen.transactionState], [0, "Ongoing"]);
      // The expired id starts afresh with a new producer id.
      const again = await initTxnProducer(client, "idle-1");
      assert.notEqual(again.producerId, idle.producerId);
      assert.equal(again.producerEpoch, 0);
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
