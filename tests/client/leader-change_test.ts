/**
 * Following a leader change, against two scripted brokers on real sockets (replication is a
 * later issue, so real brokers cannot move a leader yet): the first answers
 * NOT_LEADER_OR_FOLLOWER and the metadata then names the second; producer and consumer
 * refresh metadata and carry on with the new leader.
 */
import assert from "node:assert/strict";
import { Consumer } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import { BatchBuilder } from "../../src/client/batch-builder.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import type { RequestHeader } from "../../src/kafka/header.ts";
import { readMetadataRequest } from "../../src/kafka/apis/metadata.ts";
import { readProduceRequest } from "../../src/kafka/apis/produce.ts";
import { readFetchRequest, writeFetchResponse } from "../../src/kafka/apis/fetch.ts";
import type { Reader, Writer } from "../../src/wire/mod.ts";
import { metadataAnswer, produceAnswer, scriptedBroker } from "../helpers/scripted-broker.ts";

interface FakeCluster {
  /** The broker that really leads. */
  leader: number;
  /** The leader Metadata names (stale until a broker refuses a request). */
  advertised: number;
  ports: Map<number, number>;
  metadataRequests: number;
  produced: Map<number, number>;
  fetched: Map<number, number>;
}

/** A scripted broker: Metadata from the shared state; Produce/Fetch refused unless it leads. */
function fakeBroker(nodeId: number, state: FakeCluster, records: Uint8Array) {
  const broker = scriptedBroker((header, reader) => answer(nodeId, state, header, reader, records));
  state.ports.set(nodeId, broker.port);
  return broker;
}

function answer(
  nodeId: number,
  state: FakeCluster,
  header: RequestHeader,
  reader: Reader,
  records: Uint8Array,
): (w: Writer) => void {
  const v = header.apiVersion;
  switch (header.apiKey) {
    case ApiKey.Metadata: {
      readMetadataRequest(reader, v);
      state.metadataRequests++;
      const leader = state.advertised;
      return metadataAnswer(v, state.ports, "moving", { leader, leaderEpoch: leader, replicas: [1, 2] });
    }
    case ApiKey.Produce: {
      const request = readProduceRequest(reader, v);
      const leads = state.leader === nodeId;
      if (leads) state.produced.set(nodeId, (state.produced.get(nodeId) ?? 0) + 1);
      else state.advertised = state.leader; // the refusal makes the next metadata right
      return produceAnswer(v, request, leads ? 0 : ErrorCode.NOT_LEADER_OR_FOLLOWER, 42);
    }
    case ApiKey.Fetch: {
      const request = readFetchRequest(reader, v);
      const leads = state.leader === nodeId;
      if (leads) state.fetched.set(nodeId, (state.fetched.get(nodeId) ?? 0) + 1);
      else state.advertised = state.leader;
      return (w) =>
        writeFetchResponse(w, v, {
          throttleTimeMs: 0,
          errorCode: 0,
          sessionId: 0,
          responses: request.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partition,
              errorCode: leads ? 0 : ErrorCode.NOT_LEADER_OR_FOLLOWER,
              highWatermark: 3,
              lastStableOffset: 3,
              logStartOffset: 0,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: leads && p.fetchOffset < 3 ? records : new Uint8Array(0),
            })),
          })),
        });
    }
    default:
      throw new Error(`fake broker: unexpected API ${header.apiKey}`);
  }
}

function threeRecords(): Uint8Array {
  const builder = new BatchBuilder(1 << 16);
  for (const value of ["a", "b", "c"]) builder.append(null, new TextEncoder().encode(value), 1000);
  return builder.finish();
}

Deno.test("producer and consumer follow a leader that moved (NOT_LEADER_OR_FOLLOWER)", async () => {
  const state: FakeCluster = {
    leader: 2,
    advertised: 1,
    ports: new Map(),
    metadataRequests: 0,
    produced: new Map(),
    fetched: new Map(),
  };
  const records = threeRecords();
  const brokers = [fakeBroker(1, state, records), fakeBroker(2, state, records)];
  try {
    const bootstrap = `127.0.0.1:${state.ports.get(1)}`;
    {
      // The scripted brokers answer no InitProducerId: a plain producer.
      await using producer = new Producer({ bootstrap, retryBackoffMs: 10, idempotent: false });
      const meta = await producer.send({ topic: "moving", value: "x" });
      assert.equal(meta.offset, 42);
      assert.equal(state.produced.get(2), 1);
      assert.equal(state.produced.get(1), undefined);
      assert.ok(state.metadataRequests >= 2, `metadata refreshed (${state.metadataRequests} requests)`);
    }
    state.advertised = 1; // stale again for the consumer
    {
      await using consumer = new Consumer({ bootstrap, retryBackoffMs: 10 });
      await consumer.assign([{ topic: "moving", partition: 0, from: 0 }]);
      const got: string[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length < 3 && Date.now() < deadline) {
        for (const record of await consumer.poll(1_000)) got.push(new TextDecoder().decode(record.value!));
      }
      assert.deepEqual(got, ["a", "b", "c"]);
      assert.ok((state.fetched.get(2) ?? 0) >= 1);
      assert.equal(state.fetched.get(1), undefined);
    }
  } finally {
    for (const broker of brokers) broker.close();
  }
});

Deno.test("a fetched batch with a bad CRC fails poll() for that partition, naming it", async () => {
  const state: FakeCluster = {
    leader: 1,
    advertised: 1,
    ports: new Map(),
    metadataRequests: 0,
    produced: new Map(),
    fetched: new Map(),
  };
  const corrupt = threeRecords().slice();
  corrupt[corrupt.length - 1] ^= 0xff; // last value byte: CRC no longer matches
  const broker = fakeBroker(1, state, corrupt);
  try {
    await using consumer = new Consumer({ bootstrap: `127.0.0.1:${state.ports.get(1)}` });
    await consumer.assign([{ topic: "moving", partition: 0, from: 0 }]);
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 30; i++) await consumer.poll(1_000);
      })(),
      /moving-0: CRC mismatch in the batch at offset 0/,
    );
  } finally {
    broker.close();
  }
});
