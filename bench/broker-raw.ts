/**
 * `deno run -A bench/broker-raw.ts`: the broker's own capacity, without a client library in the
 * way (`deno task bench broker` measures the project's producer and consumer against it).
 * One broker process (fsync never), one topic with one partition, 100-byte values.
 *
 * - raw producer: pre-encoded batches of 100-byte records (what a batching producer sends),
 *   Produce v7 acks=1 pipelined 8 deep on one connection — the broker's own cost per batch;
 * - raw consumer: Fetch v11 with 8 MiB responses from offset 0, records counted from batch headers;
 * - kafkajs producer: 500 records per send, acks=1, on the same broker;
 * - Redis 7 Streams (Debian redis-server, if installed): XADD pipelined 1000 deep, XRANGE 10,000
 *   at a time, the same 100-byte values;
 * - end-to-end latency: one record per Produce at a fixed 500 records/s while a long-poll Fetch
 *   waits on another connection (send → received by the consumer);
 * - peak broker memory (VmHWM of the broker process).
 * The project's own producer (src/client) belongs in this table once merged with the client.
 */
import { Kafka, logLevel } from "../tests/helpers/kafkajs.ts";
import { startCluster } from "../tests/helpers/cluster.ts";
import { freePort } from "../tests/helpers/program.ts";
import { hasExecutable } from "../tests/helpers/peers.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { iterateBatches } from "../src/kafka/record-batch.ts";
import { benchValue, endToEndLatency, pipelinedProduce, type Row, writeAll } from "./raw-load.ts";

const VALUE_BYTES = 100;
const RECORDS_PER_BATCH = 600; // ~70 KiB batches
const RAW_RECORDS = 2_400_000;
const KAFKAJS_RECORDS = 200_000;
const REDIS_RECORDS = 500_000;
const PIPELINE_DEPTH = 8;

export async function run(): Promise<void> {
  await using cluster = await startCluster();
  const broker = cluster.broker(1).program;
  const port = cluster.broker(1).port;
  await using admin = await RawKafka.connect(port);
  for (const topic of ["raw", "js", "latency"]) await admin.createTopic(topic, 1);

  const rows: Row[] = [];
  rows.push(await rawProduce(port));
  rows.push(await rawConsume(port));
  rows.push(await kafkajsProduce(port));
  if (hasExecutable("redis-server")) rows.push(...await redisStreams());
  const latency = await endToEndLatency(port, "latency", 1, VALUE_BYTES);
  const peakKiB = peakMemoryKiB(broker.pid);

  console.log(`${VALUE_BYTES}-byte values; raw batches of ${RECORDS_PER_BATCH} records\n`);
  console.log("| workload | records | records/s | MB/s |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.records.toLocaleString("en-US")} | ${
        Math.round(r.records / r.seconds).toLocaleString("en-US")
      } | ${(r.bytes / r.seconds / 1e6).toFixed(1)} |`,
    );
  }
  console.log(
    `\nend-to-end latency at 500 records/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${
      latency.p99.toFixed(2)
    } ms`,
  );
  console.log(`broker peak memory (VmHWM): ${(peakKiB / 1024).toFixed(0)} MiB`);
}

async function rawProduce(port: number): Promise<Row> {
  const result = await pipelinedProduce({
    port,
    topic: "raw",
    acks: 1,
    records: RAW_RECORDS,
    recordsPerBatch: RECORDS_PER_BATCH,
    pipelineDepth: PIPELINE_DEPTH,
    valueBytes: VALUE_BYTES,
  });
  return { name: "raw producer, acks=1, pipelined", ...result };
}

async function rawConsume(port: number): Promise<Row> {
  await using client = await RawKafka.connect(port);
  let offset = 0;
  let records = 0;
  let bytes = 0;
  const started = performance.now();
  for (;;) {
    const answer = await client.fetch("raw", 0, offset);
    if (!answer.records || answer.records.length === 0) break;
    bytes += answer.records.length;
    for (const slot of iterateBatches(answer.records, { validate: false, maxBatchBytes: 1 << 30 })) {
      records += slot.header.recordsCount;
      offset = slot.header.baseOffset + slot.header.lastOffsetDelta + 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { name: "raw consumer (Fetch 8 MiB)", records, seconds, bytes };
}

async function kafkajsProduce(port: number): Promise<Row> {
  const kafka = new Kafka({ clientId: "bench", brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const payload = new TextDecoder().decode(benchValue(0, VALUE_BYTES));
  const messages = Array.from({ length: 500 }, () => ({ value: payload }));
  const started = performance.now();
  for (let sent = 0; sent < KAFKAJS_RECORDS; sent += messages.length) {
    await producer.send({ topic: "js", acks: 1, messages });
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return {
    name: "kafkajs producer, acks=1, 500 per send",
    records: KAFKAJS_RECORDS,
    seconds,
    bytes: KAFKAJS_RECORDS * VALUE_BYTES,
  };
}

async function redisStreams(): Promise<Row[]> {
  const port = freePort();
  const server = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let conn: Deno.Conn | undefined;
    for (let i = 0; i < 100 && !conn; i++) {
      try {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    if (!conn) throw new Error("redis-server did not start");
    const payload = new TextDecoder().decode(benchValue(0, VALUE_BYTES));
    const command =
      `*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\nv\r\n$${payload.length}\r\n${payload}\r\n`;
    const chunk = new TextEncoder().encode(command.repeat(1000));
    const started = performance.now();
    const replies = countLines(conn, REDIS_RECORDS);
    for (let sent = 0; sent < REDIS_RECORDS; sent += 1000) await writeAll(conn, chunk);
    await replies;
    const addSeconds = (performance.now() - started) / 1000;
    const readStarted = performance.now();
    let read = 0;
    let from = "-";
    const decoder = new TextDecoder();
    while (read < REDIS_RECORDS) {
      await writeAll(conn, new TextEncoder().encode(`XRANGE s ${from} + COUNT 10000\r\n`));
      const { ids, text } = await readXrange(conn, decoder);
      if (ids.length === 0) break;
      read += ids.length;
      from = `(${ids[ids.length - 1]}`;
      void text;
    }
    const readSeconds = (performance.now() - readStarted) / 1000;
    conn.close();
    return [
      {
        name: "Redis XADD, pipelined 1000",
        records: REDIS_RECORDS,
        seconds: addSeconds,
        bytes: REDIS_RECORDS * VALUE_BYTES,
      },
      {
        name: "Redis XRANGE, 10,000 per call",
        records: read,
        seconds: readSeconds,
        bytes: read * VALUE_BYTES,
      },
    ];
  } finally {
    server.kill("SIGKILL");
    await server.status;
  }
}

/** Read until `count` RESP simple replies (lines starting with '$' bulk ids) arrived. */
async function countLines(conn: Deno.Conn, count: number): Promise<void> {
  let seen = 0;
  const buffer = new Uint8Array(1 << 20);
  while (seen < count) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("redis closed");
    for (let i = 0; i < n; i++) if (buffer[i] === 0x24) seen++; // one '$' per XADD reply
  }
}

/** Read one XRANGE reply and return its entry ids (a small RESP walker for this reply shape only). */
async function readXrange(conn: Deno.Conn, decoder: TextDecoder): Promise<{ ids: string[]; text: string }> {
  let text = "";
  const buffer = new Uint8Array(1 << 20);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("redis closed");
    text += decoder.decode(buffer.subarray(0, n));
    const parsed = parseXrange(text);
    if (parsed) return { ids: parsed, text };
  }
}

function parseXrange(text: string): string[] | null {
  const lines = text.split("\r\n");
  if (lines.length < 2) return null;
  const entries = Number(lines[0].slice(1));
  // Each entry: *2, $len, id, *2, $1, v, $len, value  = 8 lines
  if (lines.length < 1 + entries * 8 + 1) return null;
  const ids: string[] = [];
  for (let i = 0; i < entries; i++) ids.push(lines[1 + i * 8 + 2]);
  return ids;
}

function peakMemoryKiB(pid: number): number {
  // The broker is a child of `deno run main.ts`: VmHWM of the process itself.
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

if (import.meta.main) await run();
