/**
 * Exactly-once costs (issue 11): 3 broker processes and the built-in coordinator on this machine,
 * topics with replication factor 3 (min.insync.replicas 2), 100-byte values.
 *
 * - the project's Producer with acks=all, idempotent (the default: producer id, sequence numbers,
 *   at most five batches per partition in flight, the leader checking every batch) against
 *   `idempotent: false`, each run twice, alternating, on fresh topics;
 * - the project's Consumer reading the idempotent topic with read_committed against
 *   read_uncommitted (no transaction open: the cost of the isolation level itself), alternating,
 *   twice;
 * - transactions of 10 and of 1,000 records, one after the other on one partition (each:
 *   AddPartitionsToTxn, the records with acks=all, EndTxn with its markers), by the project's
 *   Producer (`producer.transaction(...)`) and by kafkajs 2.2.4's transactional producer, each next
 *   to the same producer idempotent without transactions sending the same batches and waiting for
 *   each; records/s and transactions (batches)/s.
 */
import { Kafka, logLevel } from "../tests/helpers/kafkajs.ts";
import { Consumer } from "../src/client/consumer.ts";
import { Producer } from "../src/client/producer.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, waitForIsr } from "../tests/integration/replication-harness.ts";

const VALUE_BYTES = 100;
const RECORDS = 400_000;

interface Row {
  name: string;
  records: number;
  seconds: number;
  /** Transactions (or batches) in the run, for transactions/s. */
  transactions?: number;
}

/** Transactions per run: enough to last a few seconds at either size. */
const TRANSACTIONS: Record<number, number> = { 10: 300, 1000: 40 };

/** The project's Producer sending `count` batches of `size` records to partition 0, in a transaction each or not. */
async function producerBatches(
  bootstrap: string,
  topic: string,
  size: number,
  count: number,
  transactional: boolean,
): Promise<Row> {
  await using producer = new Producer({
    bootstrap,
    acks: "all",
    ...(transactional ? { transactionalId: `bench-${topic}` } : {}),
  });
  await producer.connect([topic]);
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  const batch = async () => {
    for (let i = 0; i < size; i++) {
      if (!producer.produce({ topic, partition: 0, value })) await producer.waitForSpace();
    }
    await producer.flush();
  };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (transactional) await producer.transaction(batch);
    else await batch();
  }
  return {
    name: `Producer ${transactional ? "transactions" : "idempotent batches"} of ${
      size.toLocaleString("en-US")
    }`,
    records: size * count,
    seconds: (performance.now() - started) / 1000,
    transactions: count,
  };
}

/** kafkajs sending `count` batches of `size` records to partition 0, in a transaction each or not. */
async function kafkajsBatches(
  kafka: Kafka,
  topic: string,
  size: number,
  count: number,
  transactional: boolean,
): Promise<Row> {
  const producer = transactional
    ? kafka.producer({ transactionalId: `bench-${topic}`, idempotent: true, maxInFlightRequests: 1 })
    : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = Array.from(
    { length: size },
    () => ({ value: Buffer.alloc(VALUE_BYTES, 0x61), partition: 0 }),
  );
  try {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      if (transactional) {
        const transaction = await producer.transaction();
        await transaction.send({ topic, acks: -1, messages });
        await transaction.commit();
      } else {
        await producer.send({ topic, acks: -1, messages });
      }
    }
    return {
      name: `kafkajs ${transactional ? "transactions" : "idempotent batches"} of ${
        size.toLocaleString("en-US")
      }`,
      records: size * count,
      seconds: (performance.now() - started) / 1000,
      transactions: count,
    };
  } finally {
    await producer.disconnect();
  }
}

export async function run(): Promise<void> {
  await using cluster = await startCluster({ brokers: 3 });
  await using admin = await RawKafka.connect(cluster.broker(1).port);
  const rows: Row[] = [];
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  for (const round of [1, 2]) {
    for (const idempotent of [true, false]) {
      const topic = `eos-${idempotent ? "idem" : "plain"}-${round}`;
      await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
      await waitForIsr(admin, topic, 0, [1, 2, 3]);
      await using producer = new Producer({ bootstrap: cluster.bootstrap, acks: "all", idempotent });
      await producer.connect([topic]);
      const started = performance.now();
      for (let i = 0; i < RECORDS; i++) {
        if (!producer.produce({ topic, partition: 0, value })) await producer.waitForSpace();
      }
      await producer.flush();
      rows.push({
        name: `Producer acks=all, ${idempotent ? "idempotent" : "not idempotent"} (round ${round})`,
        records: RECORDS,
        seconds: (performance.now() - started) / 1000,
      });
    }
  }
  // Alternating, twice: the first read of a topic is cold, later ones find it in the page cache.
  for (
    const isolationLevel of [
      "read_uncommitted",
      "read_committed",
      "read_uncommitted",
      "read_committed",
    ] as const
  ) {
    await using consumer = new Consumer({ bootstrap: cluster.bootstrap, isolationLevel });
    await consumer.assign([{ topic: "eos-idem-1", partition: 0, from: "earliest" }]);
    const started = performance.now();
    let read = 0;
    while (read < RECORDS) read += (await consumer.poll(1_000)).length;
    rows.push({
      name: `Consumer ${isolationLevel}`,
      records: read,
      seconds: (performance.now() - started) / 1000,
    });
  }

  const kafka = new Kafka({
    clientId: "bench-eos",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  for (const size of [10, 1000]) {
    for (const round of [1, 2]) {
      for (const client of ["vltava", "kafkajs"] as const) {
        for (const transactional of [true, false]) {
          const topic = `eos-${client}-${transactional ? "txn" : "batch"}-${size}-${round}`;
          await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
          await waitForIsr(admin, topic, 0, [1, 2, 3]);
          const row = client === "vltava"
            ? await producerBatches(cluster.bootstrap, topic, size, TRANSACTIONS[size], transactional)
            : await kafkajsBatches(kafka, topic, size, TRANSACTIONS[size], transactional);
          rows.push({ ...row, name: `${row.name} (round ${round})` });
        }
      }
    }
  }

  console.log(`3 brokers, replication factor 3, min.insync.replicas 2, ${VALUE_BYTES}-byte values\n`);
  console.log("| workload | records | records/s | transactions (batches)/s |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) {
    const perSecond = (n: number) => Math.round(n / r.seconds).toLocaleString("en-US");
    console.log(
      `| ${r.name} | ${r.records.toLocaleString("en-US")} | ${perSecond(r.records)} | ${
        r.transactions === undefined ? "" : perSecond(r.transactions)
      } |`,
    );
  }
  admin.conn.close();
}
