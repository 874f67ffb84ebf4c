/**
 * A scripted Kafka broker on a real socket, for client tests that need a broker to answer in a
 * way a real one would only under faults (a stale leader, a refusal, silence): the test gives the
 * answer for each request; ApiVersions is answered with the project's own API table unless the
 * script handles it. `silent` accepts connections and never answers (a paused process).
 *
 * @example
 * ```ts
 * const broker = scriptedBroker((header, reader) => (w) => writeMetadataResponse(w, header.apiVersion, …));
 * const bootstrap = `127.0.0.1:${broker.port}`;
 * broker.close();
 * ```
 */
import { ApiKey, SUPPORTED_APIS } from "../../src/kafka/api-keys.ts";
import { writeApiVersionsResponse } from "../../src/kafka/apis/api-versions.ts";
import { writeMetadataResponse } from "../../src/kafka/apis/metadata.ts";
import { type readProduceRequest, writeProduceResponse } from "../../src/kafka/apis/produce.ts";
import { readRequestHeader, type RequestHeader, writeResponseHeader } from "../../src/kafka/header.ts";
import { FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";

/** The response body to a request (its header already read from `reader`). */
export type ScriptedAnswer = (header: RequestHeader, reader: Reader) => (w: Writer) => void;

export interface ScriptedBroker {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): void;
}

export function scriptedBroker(answer: ScriptedAnswer, options: { silent?: boolean } = {}): ScriptedBroker {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      if (!options.silent) void serve(conn, answer);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get connections() {
      return conns.length;
    },
    close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}

async function serve(conn: Deno.Conn, answer: ScriptedAnswer): Promise<void> {
  const decoder = new FrameDecoder(1 << 24);
  const buffer = new Uint8Array(1 << 16);
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      for (const frame of decoder.push(buffer.slice(0, n))) {
        const reader = new Reader(frame);
        const header = readRequestHeader(reader);
        const body = header.apiKey === ApiKey.ApiVersions ? apiVersions(header) : answer(header, reader);
        const w = new Writer().int32(0);
        writeResponseHeader(w, header.apiKey, header.apiVersion, header.correlationId);
        body(w);
        w.setInt32At(0, w.length - 4);
        await conn.write(w.toBytes());
      }
    }
  } catch { /* closed */ }
}

function apiVersions(header: RequestHeader): (w: Writer) => void {
  return (w) =>
    writeApiVersionsResponse(w, header.apiVersion, {
      errorCode: 0,
      apiKeys: SUPPORTED_APIS.map(({ apiKey, minVersion, maxVersion }) => ({
        apiKey,
        minVersion,
        maxVersion,
      })),
      throttleTimeMs: 0,
    });
}

/** One partition of a scripted Metadata answer. */
export interface ScriptedPartition {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
}

/** A Metadata answer naming the brokers in `ports` (id → port) and one topic's partition 0. */
export function metadataAnswer(
  version: number,
  ports: ReadonlyMap<number, number>,
  topic: string,
  partition: ScriptedPartition,
): (w: Writer) => void {
  return (w) =>
    writeMetadataResponse(w, version, {
      throttleTimeMs: 0,
      brokers: [...ports].map(([nodeId, port]) => ({ nodeId, host: "127.0.0.1", port, rack: null })),
      clusterId: "fake",
      controllerId: 1,
      topics: [{
        errorCode: 0,
        name: topic,
        isInternal: false,
        partitions: [{
          errorCode: 0,
          partitionIndex: 0,
          leaderId: partition.leader,
          leaderEpoch: partition.leaderEpoch,
          replicaNodes: partition.replicas,
          isrNodes: partition.replicas,
          offlineReplicas: [],
        }],
      }],
    });
}

/** A Produce answer giving every partition of `request` the same error code (and base offset when 0). */
export function produceAnswer(
  version: number,
  request: ReturnType<typeof readProduceRequest>,
  errorCode: number,
  baseOffset: number,
): (w: Writer) => void {
  return (w) =>
    writeProduceResponse(w, version, {
      responses: request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({
          index: p.index,
          errorCode,
          baseOffset: errorCode === 0 ? baseOffset : -1,
          logAppendTimeMs: -1,
          logStartOffset: 0,
        })),
      })),
      throttleTimeMs: 0,
    });
}
