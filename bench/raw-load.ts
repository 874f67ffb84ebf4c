/**
 * Load generators shared by the broker and cluster benchmarks, on the project's codecs (no
 * client library in the way): pipelined Produce of one pre-encoded batch, and end-to-end
 * latency of single-record Produces paced at 500 records/s against a long-polling consumer.
 */
import { RawKafka } from "../tests/integration/broker-harness.ts";
import { ApiKey } from "../src/kafka/api-keys.ts";
import { readProduceResponse, writeProduceRequest } from "../src/kafka/apis/produce.ts";
import { encodeRecordBatch, iterateBatches } from "../src/kafka/record-batch.ts";
import { FrameDecoder } from "../src/wire/frame-decoder.ts";
import { Reader } from "../src/wire/reader.ts";
import { Writer } from "../src/wire/writer.ts";
import { readResponseHeader, writeRequestHeader } from "../src/kafka/header.ts";

/** A throughput measurement: one row of a benchmark table. */
export interface Row {
  name: string;
  records: number;
  seconds: number;
  bytes: number;
}

/** A value of `sizeBytes` bytes that starts with the decimal `i` (the rest is "a"). */
export function benchValue(i: number, sizeBytes = 100): Uint8Array {
  const bytes = new Uint8Array(sizeBytes).fill(97);
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

export interface PipelinedProduceOptions {
  port: number;
  topic: string;
  acks: number;
  /** At least this many records are sent (whole batches). */
  records: number;
  recordsPerBatch: number;
  /** Produce requests in flight at once on the one connection. */
  pipelineDepth: number;
  valueBytes: number;
}

/** Send one pre-encoded batch over and over to partition 0, `pipelineDepth` requests in flight. */
export async function pipelinedProduce(options: PipelinedProduceOptions): Promise<Omit<Row, "name">> {
  const { port, topic, acks, recordsPerBatch, pipelineDepth } = options;
  const batch = encodeRecordBatch({
    records: Array.from(
      { length: recordsPerBatch },
      (_, i) => ({ value: benchValue(i, options.valueBytes), timestamp: Date.now() }),
    ),
  });
  const requests = Math.ceil(options.records / recordsPerBatch);
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
    while (sent - answered >= pipelineDepth) await new Promise<void>((resolve) => writer.wake = resolve);
    await writeAll(conn, produceFrame(topic, batch, acks, ++sent));
  }
  await reading;
  const seconds = (performance.now() - started) / 1000;
  conn.close();
  return { records: requests * recordsPerBatch, seconds, bytes: requests * batch.length };
}

/**
 * Latency from Produce to a consumer's Fetch answer, milliseconds, for 1500 single-record
 * Produces at 500 records/s into partition 0 of a fresh `topic` (record i gets offset i).
 */
export async function endToEndLatency(
  port: number,
  topic: string,
  acks: number,
  valueBytes: number,
): Promise<{ p50: number; p99: number }> {
  await using producer = await RawKafka.connect(port);
  await using consumer = await RawKafka.connect(port);
  const count = 1500;
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const consuming = (async () => {
    let offset = 0;
    while (latencies.length < count) {
      const answer = await consumer.fetch(topic, 0, offset, { maxWaitMs: 5_000, minBytes: 1 });
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
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt[i] = performance.now();
    const answer = await producer.produce(
      topic,
      0,
      encodeRecordBatch({ records: [{ value: benchValue(i, valueBytes) }] }),
      acks,
    );
    if (answer.errorCode !== 0 || answer.baseOffset !== i) {
      throw new Error(`Latency record ${i}: error ${answer.errorCode}, offset ${answer.baseOffset}`);
    }
  }
  await consuming;
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

/** Write every byte (Deno's write may take only part). */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
