/**
 * A stand-in Kafka broker for codec compatibility tests, built only from our codecs: it answers
 * real clients (kafkajs, kcat/librdkafka) on 127.0.0.1, records every request it parsed, and
 * keeps produced batches in memory per partition so Fetch and ListOffsets can serve them back.
 * Every reader must consume its frame exactly (expectEnd), so a codec that mis-sizes a field
 * fails loudly. Not a broker: no long-poll beyond a short pause, one node, no persistence.
 */
import { ApiKey } from "../../src/kafka/api-keys.ts";
import {
  advertisedApiVersions,
  readApiVersionsRequest,
  writeApiVersionsResponse,
} from "../../src/kafka/apis/api-versions.ts";
import {
  readCreatePartitionsRequest,
  writeCreatePartitionsResponse,
} from "../../src/kafka/apis/create-partitions.ts";
import { readCreateTopicsRequest, writeCreateTopicsResponse } from "../../src/kafka/apis/create-topics.ts";
import { readDeleteTopicsRequest, writeDeleteTopicsResponse } from "../../src/kafka/apis/delete-topics.ts";
import {
  readDescribeConfigsRequest,
  writeDescribeConfigsResponse,
} from "../../src/kafka/apis/describe-configs.ts";
import { readFetchRequest, writeFetchResponse } from "../../src/kafka/apis/fetch.ts";
import {
  readInitProducerIdRequest,
  writeInitProducerIdResponse,
} from "../../src/kafka/apis/init-producer-id.ts";
import { readListOffsetsRequest, writeListOffsetsResponse } from "../../src/kafka/apis/list-offsets.ts";
import { readMetadataRequest, writeMetadataResponse } from "../../src/kafka/apis/metadata.ts";
import { readProduceRequest, writeProduceResponse } from "../../src/kafka/apis/produce.ts";
import { readRequestHeader, type RequestHeader, writeResponseHeader } from "../../src/kafka/header.ts";
import { iterateBatches, nextOffsetOf, setBaseOffset, validateBatch } from "../../src/kafka/record-batch.ts";
import { FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";

export const PRODUCER_ID = 4242n;

export interface Captured {
  header: RequestHeader;
  body: unknown;
}

export class CaptureBroker implements AsyncDisposable {
  readonly listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  readonly captured: Captured[] = [];
  readonly errors: unknown[] = [];
  /** Topic name → partition count. */
  readonly topics = new Map<string, number>();
  /** "topic/partition" → the partition's log: whole batches with offsets written in. */
  readonly logs = new Map<string, Uint8Array[]>();
  readonly #connections = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;

  readonly #produceFromVersion0: boolean;

  constructor(topics: Record<string, number> = {}, options: { produceFromVersion0?: boolean } = {}) {
    this.#produceFromVersion0 = options.produceFromVersion0 ?? false;
    for (const [name, partitions] of Object.entries(topics)) this.topics.set(name, partitions);
    this.#accepting = this.#accept();
  }

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  /** Append a batch (as a broker would: baseOffset written in place); returns its base offset. */
  append(topic: string, partition: number, batch: Uint8Array): number {
    const log = this.#log(topic, partition);
    const baseOffset = this.endOffset(topic, partition);
    const stored = batch.slice();
    setBaseOffset(stored, 0, baseOffset);
    log.push(stored);
    return baseOffset;
  }

  endOffset(topic: string, partition: number): number {
    const log = this.#log(topic, partition);
    return log.length === 0
      ? 0
      : nextOffsetOf(validateBatch(log[log.length - 1], 0, { maxBatchBytes: 1 << 30 }));
  }

  of<T>(apiKey: number): { header: RequestHeader; body: T }[] {
    return this.captured.filter((c) => c.header.apiKey === apiKey) as { header: RequestHeader; body: T }[];
  }

  #log(topic: string, partition: number): Uint8Array[] {
    const key = `${topic}/${partition}`;
    let log = this.logs.get(key);
    if (!log) this.logs.set(key, log = []);
    return log;
  }

  async #accept() {
    for await (const conn of this.listener) {
      this.#connections.add(conn);
      this.#serve(conn).catch((error) => this.errors.push(error)).finally(() => {
        this.#connections.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      });
    }
  }

  async #serve(conn: Deno.Conn) {
    const decoder = new FrameDecoder(64 << 20);
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) return;
      for (const frame of decoder.push(buffer.slice(0, n))) {
        const reply = await this.#handle(frame);
        if (reply) await writeAll(conn, reply);
      }
    }
  }

  async #handle(frame: Uint8Array): Promise<Uint8Array | null> {
    const reader = new Reader(frame);
    const header = readRequestHeader(reader);
    const writer = new Writer();
    writer.int32(0); // frame size, patched below
    writeResponseHeader(writer, header.apiKey, header.apiVersion, header.correlationId);
    const v = header.apiVersion;
    const record = <T>(body: T): T => {
      reader.expectEnd(`API ${header.apiKey} v${v}`);
      this.captured.push({ header, body });
      return body;
    };
    switch (header.apiKey) {
      case ApiKey.ApiVersions:
        record(readApiVersionsRequest(reader, v));
        writeApiVersionsResponse(writer, v, {
          errorCode: 0,
          apiKeys: advertisedApiVersions({ produceFromVersion0: this.#produceFromVersion0 }),
          throttleTimeMs: 0,
        });
        break;
      case ApiKey.Metadata: {
        const request = record(readMetadataRequest(reader, v));
        const names = request.topics ?? [...this.topics.keys()];
        writeMetadataResponse(writer, v, {
          brokers: [{ nodeId: 1, host: "127.0.0.1", port: this.port, rack: null }],
          clusterId: "capture-cluster",
          controllerId: 1,
          topics: names.map((name) => this.#topicMetadata(name)),
        });
        break;
      }
      case ApiKey.InitProducerId:
        record(readInitProducerIdRequest(reader, v));
        writeInitProducerIdResponse(writer, v, {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: PRODUCER_ID,
          producerEpoch: 0,
        });
        break;
      case ApiKey.Produce: {
        const request = record(readProduceRequest(reader, v));
        const responses = request.topicData.map((topic) => ({
          name: topic.name,
          partitionResponses: topic.partitionData.map((p) => {
            let baseOffset = -1;
            for (const slot of iterateBatches(p.records!)) {
              const offset = this.append(
                topic.name,
                p.index,
                p.records!.subarray(slot.position, slot.position + slot.sizeBytes),
              );
              if (baseOffset < 0) baseOffset = offset;
            }
            return { index: p.index, errorCode: 0, baseOffset, logAppendTimeMs: -1, logStartOffset: 0 };
          }),
        }));
        if (request.acks === 0) return null;
        writeProduceResponse(writer, v, { responses, throttleTimeMs: 0 });
        break;
      }
      case ApiKey.ListOffsets: {
        const request = record(readListOffsetsRequest(reader, v));
        writeListOffsetsResponse(writer, v, {
          throttleTimeMs: 0,
          topics: request.topics.map((topic) => ({
            name: topic.name,
            partitions: topic.partitions.map((p) => {
              const offset = p.timestamp === -2 ? 0 : this.endOffset(topic.name, p.partitionIndex);
              return {
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                oldStyleOffsets: [offset],
                timestamp: -1,
                offset,
              };
            }),
          })),
        });
        break;
      }
      case ApiKey.Fetch: {
        const request = record(readFetchRequest(reader, v));
        const wanted = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
        const hasData = wanted.some((p) => this.endOffset(p.topic, p.partition) > p.fetchOffset);
        if (!hasData) await new Promise((resolve) => setTimeout(resolve, Math.min(request.maxWaitMs, 50)));
        writeFetchResponse(writer, v, {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: request.topics.map((topic) => ({
            topic: topic.topic,
            partitions: topic.partitions.map((p) => {
              const end = this.endOffset(topic.topic, p.partition);
              const batches = this.#log(topic.topic, p.partition).filter((batch) =>
                nextOffsetOf(validateBatch(batch, 0, { maxBatchBytes: 1 << 30 })) > p.fetchOffset
              );
              return {
                partitionIndex: p.partition,
                errorCode: 0,
                highWatermark: end,
                lastStableOffset: end,
                logStartOffset: 0,
                abortedTransactions: null,
                preferredReadReplica: -1,
                records: concat(batches),
              };
            }),
          })),
        });
        break;
      }
      case ApiKey.CreateTopics: {
        const request = record(readCreateTopicsRequest(reader, v));
        for (const topic of request.topics) this.topics.set(topic.name, Math.max(1, topic.numPartitions));
        writeCreateTopicsResponse(writer, v, {
          throttleTimeMs: 0,
          topics: request.topics.map((t) => ({ name: t.name, errorCode: 0, errorMessage: null })),
        });
        break;
      }
      case ApiKey.DeleteTopics: {
        const request = record(readDeleteTopicsRequest(reader, v));
        for (const name of request.topicNames) this.topics.delete(name);
        writeDeleteTopicsResponse(writer, v, {
          throttleTimeMs: 0,
          responses: request.topicNames.map((name) => ({ name, errorCode: 0 })),
        });
        break;
      }
      case ApiKey.CreatePartitions: {
        const request = record(readCreatePartitionsRequest(reader, v));
        for (const topic of request.topics) this.topics.set(topic.name, topic.count);
        writeCreatePartitionsResponse(writer, v, {
          throttleTimeMs: 0,
          results: request.topics.map((t) => ({ name: t.name, errorCode: 0, errorMessage: null })),
        });
        break;
      }
      case ApiKey.DescribeConfigs: {
        const request = record(readDescribeConfigsRequest(reader, v));
        writeDescribeConfigsResponse(writer, v, {
          throttleTimeMs: 0,
          results: request.resources.map((resource) => ({
            errorCode: 0,
            errorMessage: null,
            resourceType: resource.resourceType,
            resourceName: resource.resourceName,
            configs: [{
              name: "retention.ms",
              value: "604800000",
              readOnly: false,
              isDefault: true,
              configSource: 5,
              isSensitive: false,
              synonyms: [],
            }],
          })),
        });
        break;
      }
      default:
        throw new Error(`Unexpected API key ${header.apiKey} v${v}`);
    }
    writer.setInt32At(0, writer.length - 4);
    return writer.toBytes();
  }

  #topicMetadata(name: string) {
    const partitions = this.topics.get(name);
    return {
      errorCode: partitions === undefined ? 3 : 0,
      name,
      isInternal: false,
      partitions: Array.from({ length: partitions ?? 0 }, (_, partitionIndex) => ({
        errorCode: 0,
        partitionIndex,
        leaderId: 1,
        leaderEpoch: 0,
        replicaNodes: [1],
        isrNodes: [1],
        offlineReplicas: [],
      })),
    };
  }

  async [Symbol.asyncDispose]() {
    this.listener.close();
    for (const conn of this.#connections) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await this.#accepting.catch(() => {});
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
