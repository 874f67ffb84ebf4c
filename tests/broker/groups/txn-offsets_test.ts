/**
 * The group side of transactions (TxnOffsetCommit): offsets a producer commits in a transaction
 * stay invisible until its COMMIT marker settles them, an ABORT drops them, OffsetFetch with
 * require_stable says UNSTABLE_OFFSET_COMMIT meanwhile, and a coordinator that replays the log
 * ends in the same state.
 */
import assert from "node:assert/strict";
import { GroupCoordinator } from "../../../src/broker/groups/coordinator.ts";
import type { TxnOffsetCommitInput } from "../../../src/broker/groups/types.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { setup } from "./helpers.ts";

const PRODUCER = 77n;

function txnCommit(offset: number, overrides: Partial<TxnOffsetCommitInput> = {}): TxnOffsetCommitInput {
  return {
    transactionalId: "tx",
    groupId: "g",
    producerId: PRODUCER,
    producerEpoch: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: "" }],
    }],
    ...overrides,
  };
}

function fetched(coordinator: GroupCoordinator, requireStable = false) {
  const result = coordinator.fetchOffsets({
    groupId: "g",
    topics: [{ name: "t", partitionIndexes: [0] }],
    requireStable,
  });
  const p = result.topics[0].partitions[0];
  return { offset: p.committedOffset, errorCode: p.errorCode };
}

function plainCommit(coordinator: GroupCoordinator, offset: number) {
  return coordinator.commitOffsets({
    groupId: "g",
    generationId: -1,
    memberId: "",
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: "" }],
    }],
  });
}

Deno.test("a transaction's offsets are invisible until its COMMIT marker; require_stable says UNSTABLE_OFFSET_COMMIT meanwhile", async () => {
  const { coordinator, store } = setup();
  const partition = coordinator.partitionFor("g");
  await plainCommit(coordinator, 3);
  const result = await coordinator.commitTxnOffsets(txnCommit(10));
  assert.equal(result.topics[0].partitions[0].errorCode, 0);
  assert.deepEqual(
    fetched(coordinator),
    { offset: 3, errorCode: 0 },
    "the committed offset, not the pending one",
  );
  assert.deepEqual(fetched(coordinator, true), { offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
  // The records went to the group's partition as the producer's transactional batch.
  const written = store.replay(partition).at(-1)!;
  assert.ok(!("marker" in written) && written.producerId === PRODUCER);

  // A marker for another producer, or on another partition, settles nothing.
  coordinator.completeTransaction(partition, 78n, true);
  coordinator.completeTransaction((partition + 1) % 50, PRODUCER, true);
  assert.deepEqual(fetched(coordinator), { offset: 3, errorCode: 0 });

  store.marker(partition, PRODUCER, true);
  coordinator.completeTransaction(partition, PRODUCER, true);
  assert.deepEqual(fetched(coordinator, true), { offset: 10, errorCode: 0 });
  // A retried marker finds nothing left to do.
  coordinator.completeTransaction(partition, PRODUCER, false);
  assert.deepEqual(fetched(coordinator), { offset: 10, errorCode: 0 });
});

Deno.test("an ABORT marker drops the transaction's offsets; a group that only had them is forgotten", async () => {
  const { coordinator } = setup();
  const partition = coordinator.partitionFor("g");
  await coordinator.commitTxnOffsets(txnCommit(10));
  assert.equal(coordinator.groupCount, 1, "the pending offsets keep the group");
  coordinator.completeTransaction(partition, PRODUCER, false);
  assert.deepEqual(fetched(coordinator, true), { offset: -1, errorCode: 0 });
  assert.equal(coordinator.groupCount, 0);
});

Deno.test("a plain commit appended after the transaction's wins over the transaction's offsets at COMMIT", async () => {
  const { coordinator } = setup();
  const partition = coordinator.partitionFor("g");
  await coordinator.commitTxnOffsets(txnCommit(10));
  await plainCommit(coordinator, 20);
  coordinator.completeTransaction(partition, PRODUCER, true);
  assert.deepEqual(fetched(coordinator), { offset: 20, errorCode: 0 });
});

Deno.test("TxnOffsetCommit v3 checks member and generation; errors commit nothing", async () => {
  const { coordinator } = setup();
  const unknownMember = await coordinator.commitTxnOffsets(
    txnCommit(10, { memberId: "nobody", generationId: 1 }),
  );
  assert.equal(unknownMember.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const staleGeneration = await coordinator.commitTxnOffsets(txnCommit(10, { generationId: 4 }));
  assert.equal(staleGeneration.topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.deepEqual(fetched(coordinator, true), { offset: -1, errorCode: 0 });
  const notOurs = new GroupCoordinator({ ownedPartitions: [] });
  const refused = await notOurs.commitTxnOffsets(txnCommit(10));
  assert.equal(refused.topics[0].partitions[0].errorCode, ErrorCode.NOT_COORDINATOR);
});

Deno.test("a replay honours the markers: committed applied, aborted dropped, still-open pending until its marker", async () => {
  const { coordinator, store } = setup();
  const partition = coordinator.partitionFor("g");
  const committed = 1n, aborted = 2n, open = 3n;
  await coordinator.commitTxnOffsets(txnCommit(10, { producerId: committed }));
  await coordinator.commitTxnOffsets({
    ...txnCommit(50, { producerId: aborted }),
    topics: [{ name: "u", partitions: [{ partitionIndex: 0, committedOffset: 50, committedMetadata: "" }] }],
  });
  store.marker(partition, committed, true);
  store.marker(partition, aborted, false);
  await coordinator.commitTxnOffsets(txnCommit(30, { producerId: open }));

  const next = new GroupCoordinator({ ownedPartitions: [] });
  next.beginLoading(partition);
  // A marker that arrives while the partition loads is applied once the load is done.
  next.completeTransaction(partition, open, true);
  assert.deepEqual(next.loadPartition(partition, store.replay(partition)), { groups: 1, skipped: 0 });
  assert.deepEqual(fetched(next, true), { offset: 30, errorCode: 0 });
  const u = next.fetchOffsets({
    groupId: "g",
    topics: [{ name: "u", partitionIndexes: [0] }],
    requireStable: true,
  });
  assert.equal(u.topics[0].partitions[0].committedOffset, -1, "the aborted transaction's offset is gone");

  // Without the late marker the open transaction stays pending after the replay.
  const other = new GroupCoordinator({ ownedPartitions: [] });
  other.loadPartition(partition, store.replay(partition));
  assert.deepEqual(fetched(other), { offset: 10, errorCode: 0 });
  assert.deepEqual(fetched(other, true), { offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
  other.completeTransaction(partition, open, false);
  assert.deepEqual(fetched(other, true), { offset: 10, errorCode: 0 });
});
