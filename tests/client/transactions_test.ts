/**
 * The project's transactional Producer against a real broker process: `transaction()` commits
 * when its work resolves and aborts when it throws; a read_committed Consumer sees exactly the
 * committed records and a read_uncommitted one all of them; `sendOffsets` makes the group's
 * offsets visible only when the transaction commits; a second producer with the same
 * transactional id fences the first (its next commit fails); `vltava produce --transactional-id`
 * commits its input. Also the refusals (no transaction open, not transactional, not idempotent).
 */
import assert from "node:assert/strict";
import { Consumer } from "../../src/client/consumer.ts";
import { GroupAdmin } from "../../src/client/group-admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { KafkaError } from "../../src/kafka/errors.ts";
import { createTopics, startCluster } from "../helpers/cluster.ts";
import { eventually, runCli } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };
const decoder = new TextDecoder();

async function readAll(
  bootstrap: string,
  topic: string,
  isolationLevel: "read_committed" | "read_uncommitted",
  count: number,
): Promise<string[]> {
  await using consumer = new Consumer({ bootstrap, isolationLevel });
  await consumer.assign([{ topic, partition: 0, from: "earliest" }]);
  const values: string[] = [];
  const deadline = Date.now() + 60_000;
  while (values.length < count && Date.now() < deadline) {
    values.push(...(await consumer.poll(500)).map((r) => decoder.decode(r.value!)));
  }
  // Nothing more is there to read (an aborted record must not trail in).
  values.push(...(await consumer.poll(300)).map((r) => decoder.decode(r.value!)));
  return values;
}

async function committedOffset(bootstrap: string, group: string, topic: string): Promise<number> {
  const admin = new GroupAdmin({ bootstrap });
  try {
    const described = await admin.describeGroup(group);
    return described.offsets.find((o) => o.topic === topic && o.partition === 0)?.committedOffset ?? -1;
  } finally {
    admin.close();
  }
}

Deno.test("refusals: sends outside a transaction, transactions without an id, ids without idempotence", async () => {
  const bootstrap = "127.0.0.1:1";
  const transactional = new Producer({ bootstrap, transactionalId: "t" });
  const plain = new Producer({ bootstrap });
  try {
    assert.equal(transactional.transactional, true);
    await assert.rejects(
      transactional.send({ topic: "x", partition: 0, value: "v" }),
      /No transaction is open/,
    );
    await assert.rejects(transactional.commit(), /No transaction is open/);
    await assert.rejects(plain.beginTransaction(), /not transactional/);
    assert.throws(
      () => new Producer({ bootstrap, transactionalId: "t", acks: 1 }),
      /transactional producer is idempotent/,
    );
  } finally {
    transactional.cluster.close();
    plain.cluster.close();
  }
});

Deno.test(
  "transaction(): commit on success, abort on throw; read_committed sees only committed; offsets commit with the transaction; fencing",
  options,
  async () => {
    await using cluster = await startCluster({ brokers: 1 });
    const bootstrap = cluster.bootstrap;
    await createTopics(bootstrap, [{ name: "in", partitions: 1 }, { name: "out", partitions: 1 }]);
    const producer = new Producer({ bootstrap, transactionalId: "payments-1" });
    try {
      const result = await producer.transaction(async (tx) => {
        await tx.send({ topic: "out", partition: 0, value: "c1" });
        tx.produce({ topic: "out", partition: 0, value: "c2" });
        await tx.sendOffsets({ groupId: "g", offsets: [{ topic: "in", partition: 0, offset: 2 }] });
        return "done";
      });
      assert.equal(result, "done");
      assert.equal(producer.inTransaction, false);
      // EndTxn usually answers after the markers are written; on a loaded machine they may follow.
      await eventually(
        "offsets committed with the transaction",
        async () => await committedOffset(bootstrap, "g", "in") === 2,
      );

      await assert.rejects(
        producer.transaction(async (tx) => {
          await tx.send({ topic: "out", partition: 0, value: "a1" });
          await tx.sendOffsets({ groupId: "g", offsets: [{ topic: "in", partition: 0, offset: 5 }] });
          throw new Error("payment declined");
        }),
        /payment declined/,
      );
      assert.equal(producer.inTransaction, false, "the throw aborted the transaction");
      assert.equal(
        await committedOffset(bootstrap, "g", "in"),
        2,
        "the aborted transaction's offsets are dropped",
      );

      // By hand: begin, send, commit.
      await producer.beginTransaction();
      await producer.send({ topic: "out", partition: 0, value: "c3" });
      await producer.commit();

      assert.deepEqual(await readAll(bootstrap, "out", "read_committed", 3), ["c1", "c2", "c3"]);
      assert.deepEqual(await readAll(bootstrap, "out", "read_uncommitted", 4), ["c1", "c2", "a1", "c3"]);

      // A second instance with the same id fences the first.
      await producer.beginTransaction();
      await producer.send({ topic: "out", partition: 0, value: "zombie" });
      const successor = new Producer({ bootstrap, transactionalId: "payments-1" });
      try {
        await successor.transaction(async (tx) => {
          await tx.send({ topic: "out", partition: 0, value: "c4" });
        });
        await assert.rejects(producer.commit(), (error: unknown) => error instanceof KafkaError);
        await producer.abort().catch(() => {}); // fenced: the coordinator already aborted it
      } finally {
        await successor.close();
      }
      assert.deepEqual(await readAll(bootstrap, "out", "read_committed", 4), ["c1", "c2", "c3", "c4"]);

      // The CLI: each input batch one transaction, committed.
      const produced = await runCli(
        ["produce", "out", "--partition", "0", "--transactional-id", "cli-1", "--bootstrap", bootstrap],
        { stdin: "l1\nl2\n" },
      );
      assert.equal(produced.code, 0, produced.stderr);
      assert.match(produced.stderr, /produced 2 of 2 records .*1 transaction\(s\) committed/);
      const consumed = await runCli([
        "consume",
        "out",
        "--isolation",
        "read_committed",
        "--from-beginning",
        "--max-messages",
        "6",
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(consumed.code, 0, consumed.stderr);
      assert.deepEqual(consumed.stdout.trim().split("\n"), ["c1", "c2", "c3", "c4", "l1", "l2"]);
      const refused = await runCli([
        "produce",
        "out",
        "--transactional-id",
        "x",
        "--acks",
        "1",
        "--bootstrap",
        bootstrap,
      ]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--transactional-id needs idempotence/);
    } finally {
      await producer.close().catch(() => {}); // a fenced producer's close may fail; the test has its verdict
    }
  },
);
