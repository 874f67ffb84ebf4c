/**
 * transactional.id.expiration.ms (Kafka's rule): the coordinator forgets an id idle longer than
 * the setting only when no transaction is open or completing — a tombstone in its log, then gone
 * from memory, so a new leader replaying the log does not bring it back, and the id's next
 * InitProducerId starts afresh with a new producer id. Ongoing ids never expire, however old.
 * The coordinator on its own: an in-memory log, a settable clock, markers that succeed at once.
 */
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { TransactionCoordinator } from "../../../src/broker/transactions/txn-coordinator.ts";
import type { TxnRecord } from "../../../src/broker/transactions/txn-records.ts";

const EXPIRATION_MS = 1_000;

function coordinatorWith(log: Map<number, TxnRecord[]>, clock: { now: number }) {
  let nextProducerId = 100n;
  const coordinator = new TransactionCoordinator({
    store: {
      append: (partition, records) => {
        log.set(partition, [...(log.get(partition) ?? []), ...records]);
        return Promise.resolve();
      },
    },
    markers: { write: () => Promise.resolve() },
    newProducerId: () => nextProducerId++,
    numPartitions: 1,
    transactionalIdExpirationMs: EXPIRATION_MS,
    nowMs: () => clock.now,
    log: () => {},
  });
  coordinator.loadPartition(0, 0, log.get(0) ?? []);
  return coordinator;
}

/** Let the background tombstone writes finish (the in-memory store resolves at once). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("idle ids without an open transaction expire; open ones and recent ones stay", async () => {
  const log = new Map<number, TxnRecord[]>();
  const clock = { now: 1_000_000 };
  const coordinator = coordinatorWith(log, clock);
  const init = (id: string) =>
    coordinator.initProducerId({
      transactionalId: id,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
  const empty = await init("empty");
  const committed = await init("committed");
  const open = await init("open");
  assert.deepEqual([empty.errorCode, committed.errorCode, open.errorCode], [0, 0, 0]);
  const identity = (id: string, p: { producerId: bigint; producerEpoch: number }) => ({
    transactionalId: id,
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
  });
  const topicPartition = [{ topic: "t", partition: 0 }];
  assert.equal(await coordinator.addPartitions(identity("committed", committed), topicPartition), 0);
  assert.equal(await coordinator.endTxn(identity("committed", committed), true), 0);
  await settle();
  assert.equal(coordinator.describe("committed").state, "CompleteCommit");
  assert.equal(await coordinator.addPartitions(identity("open", open), topicPartition), 0);

  clock.now += EXPIRATION_MS; // not past it yet
  assert.equal(coordinator.expireTransactionalIds(), 0);
  const recent = await init("recent");
  clock.now += 1;
  assert.equal(coordinator.expireTransactionalIds(), 2, "empty and committed");
  await settle();
  assert.equal(coordinator.describe("empty").errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal(coordinator.describe("committed").errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal(coordinator.describe("open").state, "Ongoing", "an open transaction never expires");
  assert.equal(coordinator.describe("recent").producerId, recent.producerId);

  // A new leader replaying the log does not bring the expired ids back.
  const successor = coordinatorWith(log, clock);
  assert.deepEqual(
    successor.list().transactions.map((t) => t.transactionalId).sort(),
    ["open", "recent"],
  );
  // The expired id starts afresh: a new producer id, epoch 0.
  const again = await init("empty");
  assert.equal(again.errorCode, 0);
  assert.notEqual(again.producerId, empty.producerId);
  assert.equal(again.producerEpoch, 0);
  coordinator.close();
  successor.close();
});
