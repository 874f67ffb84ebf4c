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
import { Kafka, logLevel } from "kafkajs";
import { freePort, tempDir } from "../tests/helpers/program.ts";
import { hasExecutable } from "../tests/helpers/peers.ts";
import { RawKafka, startBrokerProcess, startTestCoordinator } from "../tests/integration/broker-harness.ts";
import { ApiKey } from "../src/kafka/api-keys.ts";
import { readProduceResponse, writeProduceRequest } from "../src/kafka/apis/produce.ts";
import { encodeRecordBatch, iterateBatches } from "../src/kafka/record-batch.ts";
import { FrameDecoder } from "../src/wire/frame-decoder.ts";
import { Reader } from "../src/wire/reader.ts";
import { readResponseHeader, writeRequestHeader } from "../src/kafka/header.ts";
import { Writer } from "../src/wire/writer.ts";

const VALUE_BYTES = 100;
const RECORDS_PER_BATCH = 600; // ~70 KiB batches
const RAW_RECORDS = 2_400_000;
const KAFKAJS_RECORDS = 200_000;
const REDIS_RECORDS = 500_000;
const PIPELINE_DEPTH = 8;

interface Row {
  name: string;
  records: number;
  seconds: number;
  bytes: number;
}

export async function run(): Promise<void> {
  await using coordinator = await startTestCoordinator();
  await using dir = await tempDir("vltava-bench-broker-");
  const port = freePort();
  await using broker = await startBrokerProcess({
    id: 1,
    port,
    coordinator: coordinator.connectString,
    dataDir: dir.path,
  });
  await using admin = await RawKafka.connect(port);
  for (const topic of ["raw", "js", "latency"]) await admin.createTopic(topic, 1);

  const rows: Row[] = [];
  rows.push(await rawProduce(port));
  rows.push(await rawConsume(port));
  rows.push(await kafkajsProduce(port));
  if (hasExecutable("redis-server")) rows.push(...await redisStreams());
  const latency = await endToEndLatency(port);
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

function value(i: number): Uint8Array {
  const bytes = new Uint8Array(VALUE_BYTES).fill(97);
  new TextEncoder().encodeInto(String(i), bytes);
  return bytes;
}

function produceFrame(topic: string, records: Uint8Array, correlationId: number): Uint8Array {
  const body = new Writer(records.length + 256).int32(0);
  writeRequestHeader(body, { apiKey: ApiKey.Produce, apiVersion: 7, correlationId, clientId: "bench" });
  writeProduceRequest(body, 7, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const bytes = body.toBytes();
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(0, bytes.length - 4);
  return bytes;
}

async function rawProduce(port: number): Promise<Row> {
  const batch = encodeRecordBatch({
    records: Array.from(
      { length: RECORDS_PER_BATCH },
      (_, i) => ({ value: value(i), timestamp: Date.now() }),
    ),
  });
  const requests = Math.ceil(RAW_RECORDS / RECORDS_PER_BATCH);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const decoder = new FrameDecoder(1 << 20);
  let answered = 0;
  let sent = 0;
  const started = performance.now();
  const reading = (async () => {
    while (answered < requests) {
      const buffer = new Uint8Array(65536);
      const count = await conn.read(buffer);
      if (count === null) throw new Error("Broker closed the connection");
      for (const frame of decoder.push(buffer.subarray(0, count))) {
        const reader = new Reader(frame);
        readResponseHeader(reader, ApiKey.Produce, 7);
        const response = readProduceResponse(reader, 7);
        const code = response.responses[0].partitionResponses[0].errorCode;
        if (code !== 0) throw new Error(`Produce error ${code}`);
        answered++;
      }
    }
  })();
  while (sent < requests) {
    while (sent - answered >= PIPELINE_DEPTH) await new Promise((resolve) => setTimeout(resolve, 0));
    await writeAll(conn, produceFrame("raw", batch, ++sent));
  }
  await reading;
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  return {
    name: "raw producer, acks=1, pipelined",
    records: requests * RECORDS_PER_BATCH,
    seconds,
    bytes: requests * batch.length,
  };
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
  const payload = new TextDecoder().decode(value(0));
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
    const payload = new TextDecoder().decode(value(0));
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

async function endToEndLatency(port: number): Promise<{ p50: number; p99: number }> {
  await using producer = await RawKafka.connect(port);
  await using consumer = await RawKafka.connect(port);
  const count = 1500;
  // One producer on a fresh topic: record i gets offset i.
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const consuming = (async () => {
    let offset = 0;
    while (latencies.length < count) {
      const answer = await consumer.fetch("latency", 0, offset, 5_000, 1);
      if (!answer.records || answer.records.length === 0) continue;
      const now = performance.now();
      for (const slot of iterateBatches(answer.records, { validate: false, maxBatchBytes: 1 << 30 })) {
        for (let o = slot.header.baseOffset; o <= slot.header.baseOffset + slot.header.lastOffsetDelta; o++) {
          if (o >= offset) latencies.push(now - sentAt[o]);
        }
        offset = slot.header.baseOffset + slot.header.lastOffsetDelta + 1;
      }
    }
  })();
  const intervalMs = 1000 / 500;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt[i] = performance.now();
    const answer = await producer.produce(
      "latency",
      0,
      encodeRecordBatch({ records: [{ value: value(i) }] }),
    );
    if (answer.baseOffset !== i) throw new Error(`Latency record ${i} got offset ${answer.baseOffset}`);
  }
  await consuming;
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
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

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

if (import.meta.main) await run();
