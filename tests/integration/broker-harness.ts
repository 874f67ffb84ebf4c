/**
 * Test harness for broker integration tests that manage processes one by one (a coordinator,
 * brokers restarted on the same data dir) and a minimal raw Kafka client built on the project's
 * codecs. Whole clusters come from tests/helpers/cluster.ts.
 */
import { delay, freePort, type RunningProgram, startProgram, tempDir } from "../helpers/program.ts";
import { startCoordinatorProgram } from "../helpers/cluster.ts";
import { Reader } from "../../src/wire/reader.ts";
import { Writer } from "../../src/wire/writer.ts";
import { FrameDecoder } from "../../src/wire/frame-decoder.ts";
import { readResponseHeader, writeRequestHeader } from "../../src/kafka/header.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readProduceResponse, writeProduceRequest } from "../../src/kafka/apis/produce.ts";
import { readFetchResponse, writeFetchRequest } from "../../src/kafka/apis/fetch.ts";
import { readCreateTopicsResponse, writeCreateTopicsRequest } from "../../src/kafka/apis/create-topics.ts";
import { readMetadataResponse, writeMetadataRequest } from "../../src/kafka/apis/metadata.ts";
import { type DecodedRecord, decodeRecordBatches } from "../../src/kafka/record-batch.ts";

/** A coordinator for tests: connect string + dispose. */
export interface TestCoordinator extends AsyncDisposable {
  connectString: string;
}

/** Start the built-in coordinator as a process on a free port with a temporary data dir. */
export async function startTestCoordinator(): Promise<TestCoordinator> {
  const dir = await tempDir("vltava-coord-");
  let program: RunningProgram;
  let port: number;
  try {
    ({ program, port } = await startCoordinatorProgram(dir.path));
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
  return {
    connectString: `127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      await program.stop("SIGKILL");
      await dir[Symbol.asyncDispose]();
    },
  };
}

export interface BrokerProcessOptions {
  id: number;
  port: number;
  coordinator: string;
  dataDir: string;
  extra?: string[];
}

export function brokerArgs(options: BrokerProcessOptions): string[] {
  return [
    "broker",
    "start",
    "--id",
    String(options.id),
    "--port",
    String(options.port),
    "--coordinator",
    options.coordinator,
    "--data-dir",
    options.dataDir,
    ...(options.extra ?? []),
  ];
}

/** A coordinator plus one broker's port and temporary data dir, for tests that start and restart it. */
export interface BrokerTestBed extends AsyncDisposable {
  /** Pass to startBrokerProcess (as often as the test restarts the broker). */
  options: BrokerProcessOptions;
  coordinator: string;
}

/** Start a coordinator and pick a port and data dir for broker `id`; dispose stops and removes them. */
export async function brokerTestBed(id = 1, extra: string[] = []): Promise<BrokerTestBed> {
  const coordinator = await startTestCoordinator();
  const dir = await tempDir();
  const options = { id, port: freePort(), coordinator: coordinator.connectString, dataDir: dir.path, extra };
  return {
    options,
    coordinator: coordinator.connectString,
    async [Symbol.asyncDispose]() {
      await coordinator[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Start a broker process and wait for its ready line. */
export async function startBrokerProcess(options: BrokerProcessOptions): Promise<RunningProgram> {
  const program = await startProgram(brokerArgs(options), options.port);
  const ready = new RegExp(`broker ${options.id} listening on`);
  // The port opens before registration, so a refused start shows up as an exit: fail fast then.
  const deadline = Date.now() + 60_000;
  while (!ready.test(program.stdout)) {
    if (program.exited || Date.now() > deadline) {
      await program.stop("SIGKILL");
      throw new Error(`Broker ${options.id} did not start: ${program.stderr.trim()}`);
    }
    await delay(50);
  }
  return program;
}

/** Fetch v11 fields a test may set; the defaults are a consumer's. */
export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  /** -1 = consumer, else the follower broker id. */
  replicaId?: number;
  /** -1 = not checked. */
  currentLeaderEpoch?: number;
  /** 0 = read_uncommitted (default), 1 = read_committed. */
  isolationLevel?: number;
}

/** A sequential raw Kafka connection built on the project's codecs. */
export class RawKafka implements AsyncDisposable {
  readonly conn: Deno.Conn;
  #decoder = new FrameDecoder(256 * 1024 * 1024);
  #frames: Uint8Array[] = [];
  #correlationId = 0;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<RawKafka> {
    return new RawKafka(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async #nextFrame(): Promise<Uint8Array> {
    while (this.#frames.length === 0) {
      // Grow reads with the frame being assembled, so big responses are not re-copied per chunk.
      const buffer = new Uint8Array(
        Math.min(Math.max(256 * 1024, this.#decoder.bufferedBytes), 64 * 1024 * 1024),
      );
      const count = await this.conn.read(buffer);
      if (count === null) throw new Error("Connection closed by the broker");
      this.#frames.push(...this.#decoder.push(buffer.subarray(0, count)));
    }
    return this.#frames.shift()!;
  }

  /** Send one request and read its response. */
  async request<T>(
    apiKey: number,
    version: number,
    writeBody: (writer: Writer) => void,
    readBody: (reader: Reader) => T,
  ): Promise<T> {
    const correlationId = ++this.#correlationId;
    await this.send(apiKey, version, correlationId, writeBody);
    return await this.receive(apiKey, version, correlationId, readBody);
  }

  /** Read the next response, which must answer `correlationId` (a request made with send()). */
  async receive<T>(
    apiKey: number,
    version: number,
    correlationId: number,
    readBody: (reader: Reader) => T,
  ): Promise<T> {
    const reader = new Reader(await this.#nextFrame());
    const got = readResponseHeader(reader, apiKey, version);
    if (got !== correlationId) throw new Error(`Correlation id ${got}, expected ${correlationId}`);
    return readBody(reader);
  }

  /** Send without waiting for a response. */
  async send(apiKey: number, version: number, correlationId: number, writeBody: (writer: Writer) => void) {
    const writer = new Writer().int32(0);
    writeRequestHeader(writer, { apiKey, apiVersion: version, correlationId, clientId: "raw-test" });
    writeBody(writer);
    const bytes = writer.toBytes();
    new DataView(bytes.buffer, bytes.byteOffset).setInt32(0, bytes.length - 4);
    await writeAll(this.conn, bytes);
  }

  /** Wait for the connection to be closed by the peer (true) or data to arrive (false). */
  async closedByPeer(): Promise<boolean> {
    try {
      const count = await this.conn.read(new Uint8Array(1024));
      return count === null;
    } catch {
      return true;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.conn.close();
    } catch { /* closed */ }
    return Promise.resolve();
  }

  /** CreateTopics v4 of one topic with `numPartitions` partitions, replication factor 1. */
  createTopic(name: string, numPartitions: number, configs: Record<string, string> = {}) {
    return this.#createTopic(name, numPartitions, 1, [], configs);
  }

  /** CreateTopics v4 of one topic whose partition p lives on assignments[p] (first = leader). */
  createAssignedTopic(name: string, assignments: number[][], configs: Record<string, string> = {}) {
    const placed = assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));
    return this.#createTopic(name, -1, -1, placed, configs);
  }

  #createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    assignments: { partitionIndex: number; brokerIds: number[] }[],
    configs: Record<string, string>,
  ) {
    return this.request(ApiKey.CreateTopics, 4, (w) =>
      writeCreateTopicsRequest(w, 4, {
        topics: [{
          name,
          numPartitions,
          replicationFactor,
          assignments,
          configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
        }],
        timeoutMs: 30_000,
        validateOnly: false,
      }), (r) => readCreateTopicsResponse(r, 4));
  }

  metadata(topics: string[] | null, allowAutoTopicCreation = false) {
    return this.request(
      ApiKey.Metadata,
      8,
      (w) => writeMetadataRequest(w, 8, { topics, allowAutoTopicCreation }),
      (r) => readMetadataResponse(r, 8),
    );
  }

  /** Produce raw batch bytes to one partition; returns the partition response. */
  async produce(topic: string, partition: number, records: Uint8Array, acks = 1, timeoutMs = 30_000) {
    const response = await this.request(ApiKey.Produce, 7, (w) =>
      writeProduceRequest(w, 7, {
        transactionalId: null,
        acks,
        timeoutMs,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      }), (r) => readProduceResponse(r, 7));
    return response.responses[0].partitionResponses[0];
  }

  /** One fetch of one partition (by default as a consumer that does not wait). */
  async fetch(topic: string, partition: number, fetchOffset: number, options: FetchOptions = {}) {
    const {
      maxWaitMs = 0,
      minBytes = 0,
      maxBytes = 64 * 1024 * 1024,
      partitionMaxBytes = 8 * 1024 * 1024,
      replicaId = -1,
      currentLeaderEpoch = -1,
      isolationLevel = 0,
    } = options;
    const response = await this.request(ApiKey.Fetch, 11, (w) =>
      writeFetchRequest(w, 11, {
        replicaId,
        maxWaitMs,
        minBytes,
        maxBytes,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{
          topic,
          partitions: [{
            partition,
            currentLeaderEpoch,
            fetchOffset,
            logStartOffset: -1,
            partitionMaxBytes,
          }],
        }],
        forgottenTopicsData: [],
        rackId: "",
      }), (r) => readFetchResponse(r, 11));
    return response.responses[0].partitions[0];
  }

  /** Every committed record of a partition from offset 0. */
  async readAll(topic: string, partition: number): Promise<DecodedRecord[]> {
    const records: DecodedRecord[] = [];
    let offset = 0;
    for (;;) {
      const answer = await this.fetch(topic, partition, offset);
      if (answer.errorCode !== 0) throw new Error(`Fetch error ${answer.errorCode}`);
      if (!answer.records || answer.records.length === 0) {
        if (offset >= answer.highWatermark) return records;
        throw new Error(`No progress at offset ${offset} below HWM ${answer.highWatermark}`);
      }
      for (const batch of decodeRecordBatches(answer.records)) {
        for (const record of batch.records) {
          if (record.offset >= offset) records.push(record);
        }
        offset = Math.max(offset, batch.baseOffset + batch.lastOffsetDelta + 1);
      }
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

export const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);
