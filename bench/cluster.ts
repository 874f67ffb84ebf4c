/**
 * Cluster: 3 broker processes (fsync never) and the built-in coordinator on this machine,
 * topics with replication factor 3 (leader broker 1), 100-byte values.
 *
 * - raw producer: pre-encoded batches of 600 records pipelined 8 deep on one connection to the
 *   leader, with acks=1 and with acks=all (each acks=all answer waits until both followers
 *   fetched the batch and the high watermark passed it);
 * - end-to-end latency with acks=all: one record per Produce at 500 records/s while a consumer
 *   long-polls the leader (send → received; consumers only see records below the HWM);
 * - replication-side failover: SIGKILL the leader, move leadership at once to a follower (as
 *   the controller does once the leader's session has expired), time to the first acks=all
 *   write acknowledged by the new leader. The full failover adds the session timeout.
 */
import { startCluster } from "../tests/helpers/cluster.ts";
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { createAssignedTopic, moveLeadership, waitForIsr } from "../tests/integration/replication-harness.ts";
import { ApiKey } from "../src/kafka/api-keys.ts";
import { readProduceResponse, writeProduceRequest } from "../src/kafka/apis/produce.ts";
import { encodeRecordBatch, iterateBatches } from "../src/kafka/record-batch.ts";
import { FrameDecoder } from "../src/wire/frame-decoder.ts";
import { Reader } from "../src/wire/reader.ts";
import { Writer } from "../src/wire/writer.ts";
import { readResponseHeader, writeRequestHeader } from "../src/kafka/header.ts";

const VALUE_BYTES = 100;
const RECORDS_PER_BATCH = 600;
const RECORDS = 1_200_000;
const PIPELINE_DEPTH = 16;

export async function run(): Promise<void> {
  await using cluster = await startCluster({ brokers: 3 });
  await using admin = await RawKafka.connect(cluster.broker(1).port);
  for (const topic of ["acks1", "acksall", "latency", "failover"]) {
    await createAssignedTopic(admin, topic, [[1, 2, 3]], { "min.insync.replicas": "2" });
    await waitForIsr(admin, topic, 0, [1, 2, 3]);
  }
  const port = cluster.broker(1).port;
  const rows = [await rawProduce(port, "acks1", 1), await rawProduce(port, "acksall", -1)];
  const latency = await endToEndLatency(port);

  console.log(
    `3 brokers, replication factor 3, ${VALUE_BYTES}-byte values, batches of ${RECORDS_PER_BATCH}\n`,
  );
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
    `\nend-to-end latency, acks=all at 500 records/s: p50 ${latency.p50.toFixed(2)} ms, p99 ${
      latency.p99.toFixed(2)
    } ms`,
  );
  admin.conn.close();
  const failoverMs = await failover(cluster);
  console.log(
    `replication-side failover (SIGKILL leader → first acks=all ack from the new leader, ` +
      `leadership moved at once): ${failoverMs.toFixed(0)} ms; add the session timeout for the full failover`,
  );
}

function value(i: number): Uint8Array {
  const bytes = new Uint8Array(VALUE_BYTES).fill(97);
  new TextEncoder().encodeInto(String(i), bytes);
  return bytes;
}

function produceFrame(topic: string, records: Uint8Array, acks: number, correlationId: number): Uint8Array {
  const body = new Writer(records.length + 256).int32(0);
  writeRequestHeader(body, { apiKey: ApiKey.Produce, apiVersion: 7, correlationId, clientId: "bench" });
  writeProduceRequest(body, 7, {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const bytes = body.toBytes();
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(0, bytes.length - 4);
  return bytes;
}

async function rawProduce(port: number, topic: string, acks: number) {
  const batch = encodeRecordBatch({
    records: Array.from(
      { length: RECORDS_PER_BATCH },
      (_, i) => ({ value: value(i), timestamp: Date.now() }),
    ),
  });
  const requests = Math.ceil(RECORDS / RECORDS_PER_BATCH);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const decoder = new FrameDecoder(1 << 20);
  let answered = 0;
  let sent = 0;
  const writer: { wake: (() => void) | null } = { wake: null };
  const started = performance.now();
  const reading = (async () => {
    const buffer = new Uint8Array(65536);
    while (answered < requests) {
      const count = await conn.read(buffer);
      if (count === null) throw new Error("Broker closed the connection");
      for (const frame of decoder.push(buffer.subarray(0, count))) {
        const reader = new Reader(frame);
        readResponseHeader(reader, ApiKey.Produce, 7);
        const code = readProduceResponse(reader, 7).responses[0].partitionResponses[0].errorCode;
        if (code !== 0) throw new Error(`Produce error ${code}`);
        answered++;
        writer.wake?.();
      }
    }
  })();
  while (sent < requests) {
    while (sent - answered >= PIPELINE_DEPTH) await new Promise<void>((resolve) => writer.wake = resolve);
    await writeAll(conn, produceFrame(topic, batch, acks, ++sent));
  }
  await reading;
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  return {
    name: `raw producer, acks=${acks === -1 ? "all" : acks}, pipelined ${PIPELINE_DEPTH} deep`,
    records: requests * RECORDS_PER_BATCH,
    seconds,
    bytes: requests * batch.length,
  };
}

async function endToEndLatency(port: number): Promise<{ p50: number; p99: number }> {
  await using producer = await RawKafka.connect(port);
  await using consumer = await RawKafka.connect(port);
  const count = 1500;
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
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = started + i * 2 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt[i] = performance.now();
    const answer = await producer.produce(
      "latency",
      0,
      encodeRecordBatch({ records: [{ value: value(i) }] }),
      -1,
    );
    if (answer.errorCode !== 0 || answer.baseOffset !== i) {
      throw new Error(`Latency record ${i}: ${answer.errorCode}`);
    }
  }
  await consuming;
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(count * 0.5)], p99: latencies[Math.floor(count * 0.99)] };
}

async function failover(cluster: Awaited<ReturnType<typeof startCluster>>): Promise<number> {
  const killedAt = performance.now();
  await cluster.broker(1).program.stop("SIGKILL");
  await moveLeadership(cluster, "failover", 0, 1, 2, [2, 3]);
  await using client = await RawKafka.connect(cluster.broker(2).port);
  for (let i = 0;; i++) {
    const answer = await client.produce(
      "failover",
      0,
      encodeRecordBatch({ records: [{ value: value(i) }] }),
      -1,
    );
    if (answer.errorCode === 0) return performance.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
