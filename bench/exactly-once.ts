/**
 * Exactly-once costs (issue 11): 3 broker processes and the built-in coordinator on this machine,
 * topics with replication factor 3 (min.insync.replicas 2), 100-byte values.
 *
 * - the project's Producer with acks=all, idempotent (the default: producer id, sequence numbers,
 *   at most five batches per partition in flight, the leader checking every batch) against
 *   `idempotent: false` as it comes and with 16 requests in flight (PRODUCE_MODES), each on a
 *   fresh topic: one round to warm up (not counted: the first run on a new cluster also pays for
 *   compiling the brokers' and the client's hot code, which made whichever mode ran first look
 *   slower), then PRODUCE_ROUNDS rounds, each starting with the next mode (a mode that always ran
 *   first or last would carry any drift of the machine's load); each run's records/s and CPU (the
 *   brokers' and this process's, from /proc) per record, and the medians: on a shared machine the
 *   wall-clock rates swing with other work, the CPU per record much less;
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
import { cpuSeconds } from "./process-cpu.ts";

const VALUE_BYTES = 100;
/**
 * Records per produce run (BENCH_EOS_RECORDS): 2,000,000 take ~3 s; runs of 400,000 (~0.5 s)
 * swung 2× between rounds of the same mode, more than the 5 % the comparison is about.
 */
const RECORDS = Number(Deno.env.get("BENCH_EOS_RECORDS") ?? 2_000_000);
/** Counted rounds of every mode after the warm-up round (BENCH_EOS_ROUNDS). */
const PRODUCE_ROUNDS = Number(Deno.env.get("BENCH_EOS_ROUNDS") ?? 5);

/**
 * The producers compared: idempotent (at most five batches of a partition in flight); not
 * idempotent as it comes (five requests in flight per connection, Java's default
 * max.in.flight.requests.per.connection: on one partition the same window as the idempotent
 * producer's, so the difference is what the sequence numbers and the leader's checks cost); and
 * not idempotent with 16 requests in flight, what a deeper window gives a producer without
 * idempotence (the idempotent one cannot have it: a leader remembers five batches per producer).
 */
const PRODUCE_MODES = ["idempotent", "not idempotent", "not idempotent, 16 in flight"] as const;
type ProduceMode = typeof PRODUCE_MODES[number];
const MODE_TOPIC: Record<ProduceMode, string> = {
  "idempotent": "idem",
  "not idempotent": "plain",
  "not idempotent, 16 in flight": "plain16",
};

interface Row {
  name: string;
  records: number;
  seconds: number;
  /** Transactions (or batches) in the run, for transactions/s. */
  transactions?: number;
  /** CPU seconds the brokers and this process spent in the run. */
  cpuSeconds?: number;
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
  const produceRuns: { mode: ProduceMode; row: Row }[] = [];
  const cpuNow = () =>
    cluster.brokers.reduce((sum, broker) => sum + cpuSeconds(broker.program.pid), cpuSeconds(Deno.pid));
  for (let round = 0; round <= PRODUCE_ROUNDS; round++) {
    // Round 0 warms up; then each round starts with the next mode, so none always runs first.
    const order = PRODUCE_MODES.map((_, i) => PRODUCE_MODES[(i + round) % PRODUCE_MODES.length]);
    for (const mode of order) {
      const topic = `eos-${MODE_TOPIC[mode]}-${round}`;
      await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
      await waitForIsr(admin, topic, 0, [1, 2, 3]);
      await using producer = new Producer({
        bootstrap: cluster.bootstrap,
        acks: "all",
        idempotent: mode === "idempotent",
        ...(mode === "not idempotent, 16 in flight" ? { maxInFlightRequests: 16 } : {}),
      });
      await producer.connect([topic]);
      const cpuBefore = cpuNow();
      const started = performance.now();
      for (let i = 0; i < RECORDS; i++) {
        if (!producer.produce({ topic, partition: 0, value })) await producer.waitForSpace();
      }
      await producer.flush();
      const row = {
        name: `Producer acks=all, ${mode} (${round === 0 ? "warm-up" : `round ${round}`})`,
        records: RECORDS,
        seconds: (performance.now() - started) / 1000,
        cpuSeconds: cpuNow() - cpuBefore,
      };
      rows.push(row);
      if (round > 0) produceRuns.push({ mode, row });
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
    await consumer.assign([{ topic: "eos-idem-0", partition: 0, from: "earliest" }]);
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
  console.log("| workload | records | records/s | transactions (batches)/s | CPU µs/record |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows) {
    const perSecond = (n: number) => Math.round(n / r.seconds).toLocaleString("en-US");
    console.log(
      `| ${r.name} | ${r.records.toLocaleString("en-US")} | ${perSecond(r.records)} | ${
        r.transactions === undefined ? "" : perSecond(r.transactions)
      } | ${r.cpuSeconds === undefined ? "" : (r.cpuSeconds / r.records * 1e6).toFixed(2)} |`,
    );
  }
  const medianOf = (mode: ProduceMode, of: (row: Row) => number) =>
    median(produceRuns.filter((run) => run.mode === mode).map((run) => of(run.row)));
  const rate = (row: Row) => row.records / row.seconds;
  const cpu = (row: Row) => row.cpuSeconds! / row.records * 1e6;
  const idempotentRate = medianOf("idempotent", rate);
  console.log(`\nProducer medians of ${PRODUCE_ROUNDS} runs each:`);
  for (const mode of PRODUCE_MODES) {
    const modeRate = medianOf(mode, rate);
    const versus = mode === "idempotent"
      ? ""
      : `; idempotent ${((idempotentRate / modeRate - 1) * 100).toFixed(1)} % against it`;
    console.log(
      `- ${mode}: ${Math.round(modeRate).toLocaleString("en-US")} records/s, ${
        medianOf(mode, cpu).toFixed(2)
      } µs CPU/record${versus}`,
    );
  }
  console.log(`load average ${Deno.loadavg().map((load) => load.toFixed(1)).join(" ")}`);
  admin.conn.close();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
