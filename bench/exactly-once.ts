/**
 * Exactly-once costs (issue 11): 3 broker processes and the built-in coordinator on this machine,
 * topics with replication factor 3 (min.insync.replicas 2), 100-byte values.
 *
 * - the project's Producer with acks=all, idempotent (the default: producer id, sequence numbers,
 *   at most five batches per partition in flight, the leader checking every batch) against
 *   `idempotent: false`, each run twice, alternating, on fresh topics;
 * - the project's Consumer reading the idempotent topic with read_committed against
 *   read_uncommitted (no transaction open: the cost of the isolation level itself), alternating,
 *   twice.
 *
 * Transactions of 10 and 1,000 records need the transaction coordinator, which is not built yet.
 */
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

  console.log(`3 brokers, replication factor 3, min.insync.replicas 2, ${VALUE_BYTES}-byte values\n`);
  console.log("| workload | records | records/s |");
  console.log("|---|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.records.toLocaleString("en-US")} | ${
        Math.round(r.records / r.seconds).toLocaleString("en-US")
      } |`,
    );
  }
  admin.conn.close();
}
