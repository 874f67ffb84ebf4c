/**
 * Hostile bytes must only ever produce WireError (which the broker turns into a closed
 * connection or an error code), never a TypeError, RangeError or a huge allocation. Inputs are
 * random bytes, every truncation of a valid encoding, and single-byte corruptions of it, from a
 * fixed seed so a failure reproduces.
 */
import assert from "node:assert/strict";
import * as apiVersions from "../../src/kafka/apis/api-versions.ts";
import * as createPartitions from "../../src/kafka/apis/create-partitions.ts";
import * as createTopics from "../../src/kafka/apis/create-topics.ts";
import * as deleteTopics from "../../src/kafka/apis/delete-topics.ts";
import * as describeConfigs from "../../src/kafka/apis/describe-configs.ts";
import * as fetch from "../../src/kafka/apis/fetch.ts";
import * as initProducerId from "../../src/kafka/apis/init-producer-id.ts";
import * as addPartitionsToTxn from "../../src/kafka/apis/add-partitions-to-txn.ts";
import * as addOffsetsToTxn from "../../src/kafka/apis/add-offsets-to-txn.ts";
import * as endTxn from "../../src/kafka/apis/end-txn.ts";
import * as describeTransactions from "../../src/kafka/apis/describe-transactions.ts";
import * as listTransactions from "../../src/kafka/apis/list-transactions.ts";
import * as listOffsets from "../../src/kafka/apis/list-offsets.ts";
import * as metadata from "../../src/kafka/apis/metadata.ts";
import * as produce from "../../src/kafka/apis/produce.ts";
import { decodeRecordBatch, decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { crc32c, Reader, WireError, Writer } from "../../src/wire/mod.ts";

/** Small deterministic PRNG (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Read = (reader: Reader, version: number) => unknown;
type Write = (writer: Writer, version: number, value: never) => void;

interface Case {
  name: string;
  versions: [number, number];
  read: Read;
  write: Write;
  sample: unknown;
}

const batch = encodeRecordBatch({ records: [{ key: "k", value: "v", headers: [{ key: "h", value: "x" }] }] });

const CASES: Case[] = [
  {
    name: "ApiVersionsRequest",
    versions: [0, 3],
    read: apiVersions.readApiVersionsRequest,
    write: apiVersions.writeApiVersionsRequest,
    sample: { clientSoftwareName: "n", clientSoftwareVersion: "1" },
  },
  {
    name: "ApiVersionsResponse",
    versions: [0, 3],
    read: apiVersions.readApiVersionsResponse,
    write: apiVersions.writeApiVersionsResponse,
    sample: { errorCode: 0, apiKeys: apiVersions.advertisedApiVersions(), throttleTimeMs: 0 },
  },
  {
    name: "MetadataRequest",
    versions: [0, 8],
    read: metadata.readMetadataRequest,
    write: metadata.writeMetadataRequest,
    sample: { topics: ["a", "b"] },
  },
  {
    name: "MetadataResponse",
    versions: [0, 8],
    read: metadata.readMetadataResponse,
    write: metadata.writeMetadataResponse,
    sample: {
      brokers: [{ nodeId: 1, host: "h", port: 1, rack: "r" }],
      clusterId: "c",
      controllerId: 1,
      topics: [{
        errorCode: 0,
        name: "t",
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1] }],
      }],
    },
  },
  {
    name: "ProduceRequest",
    versions: [3, 7],
    read: produce.readProduceRequest,
    write: produce.writeProduceRequest,
    sample: {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: batch }] }],
    },
  },
  {
    name: "ProduceResponse",
    versions: [3, 7],
    read: produce.readProduceResponse,
    write: produce.writeProduceResponse,
    sample: {
      responses: [{
        name: "t",
        partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 1, logAppendTimeMs: -1 }],
      }],
      throttleTimeMs: 0,
    },
  },
  {
    name: "FetchRequest",
    versions: [4, 11],
    read: fetch.readFetchRequest,
    write: fetch.writeFetchRequest,
    sample: {
      replicaId: -1,
      maxWaitMs: 1,
      minBytes: 1,
      maxBytes: 1,
      isolationLevel: 0,
      topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 }] }],
      forgottenTopicsData: [{ topic: "f", partitions: [1] }],
      rackId: "r",
    },
  },
  {
    name: "FetchResponse",
    versions: [4, 11],
    read: fetch.readFetchResponse,
    write: fetch.writeFetchResponse,
    sample: {
      throttleTimeMs: 0,
      responses: [{
        topic: "t",
        partitions: [{
          partitionIndex: 0,
          errorCode: 0,
          highWatermark: 1,
          lastStableOffset: 1,
          abortedTransactions: [{ producerId: 1n, firstOffset: 0 }],
          records: batch,
        }],
      }],
    },
  },
  {
    name: "ListOffsetsRequest",
    versions: [0, 2],
    read: listOffsets.readListOffsetsRequest,
    write: listOffsets.writeListOffsetsRequest,
    sample: { replicaId: -1, topics: [{ name: "t", partitions: [{ partitionIndex: 0, timestamp: -1 }] }] },
  },
  {
    name: "ListOffsetsResponse",
    versions: [0, 2],
    read: listOffsets.readListOffsetsResponse,
    write: listOffsets.writeListOffsetsResponse,
    sample: {
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [1], offset: 1 }],
      }],
    },
  },
  {
    name: "CreateTopicsRequest",
    versions: [0, 4],
    read: createTopics.readCreateTopicsRequest,
    write: createTopics.writeCreateTopicsRequest,
    sample: {
      topics: [{
        name: "t",
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [{ partitionIndex: 0, brokerIds: [1] }],
        configs: [{ name: "a", value: null }],
      }],
      timeoutMs: 1,
    },
  },
  {
    name: "CreateTopicsResponse",
    versions: [0, 4],
    read: createTopics.readCreateTopicsResponse,
    write: createTopics.writeCreateTopicsResponse,
    sample: { topics: [{ name: "t", errorCode: 0, errorMessage: "m" }] },
  },
  {
    name: "DeleteTopicsRequest",
    versions: [0, 3],
    read: deleteTopics.readDeleteTopicsRequest,
    write: deleteTopics.writeDeleteTopicsRequest,
    sample: { topicNames: ["a", "b"], timeoutMs: 1 },
  },
  {
    name: "DeleteTopicsResponse",
    versions: [0, 3],
    read: deleteTopics.readDeleteTopicsResponse,
    write: deleteTopics.writeDeleteTopicsResponse,
    sample: { responses: [{ name: "a", errorCode: 0 }] },
  },
  {
    name: "DescribeConfigsRequest",
    versions: [0, 3],
    read: describeConfigs.readDescribeConfigsRequest,
    write: describeConfigs.writeDescribeConfigsRequest,
    sample: { resources: [{ resourceType: 2, resourceName: "t", configurationKeys: ["a"] }] },
  },
  {
    name: "DescribeConfigsResponse",
    versions: [0, 3],
    read: describeConfigs.readDescribeConfigsResponse,
    write: describeConfigs.writeDescribeConfigsResponse,
    sample: {
      throttleTimeMs: 0,
      results: [{
        errorCode: 0,
        errorMessage: null,
        resourceType: 2,
        resourceName: "t",
        configs: [{
          name: "a",
          value: "b",
          readOnly: false,
          isSensitive: false,
          synonyms: [{ name: "s", value: null, source: 1 }],
          documentation: "d",
        }],
      }],
    },
  },
  {
    name: "CreatePartitionsRequest",
    versions: [0, 1],
    read: createPartitions.readCreatePartitionsRequest,
    write: createPartitions.writeCreatePartitionsRequest,
    sample: {
      topics: [{ name: "t", count: 2, assignments: [{ brokerIds: [1] }] }],
      timeoutMs: 1,
      validateOnly: false,
    },
  },
  {
    name: "CreatePartitionsResponse",
    versions: [0, 1],
    read: createPartitions.readCreatePartitionsResponse,
    write: createPartitions.writeCreatePartitionsResponse,
    sample: { throttleTimeMs: 0, results: [{ name: "t", errorCode: 0, errorMessage: null }] },
  },
  {
    name: "InitProducerIdRequest",
    versions: [0, 4],
    read: initProducerId.readInitProducerIdRequest,
    write: initProducerId.writeInitProducerIdRequest,
    sample: { transactionalId: "x", transactionTimeoutMs: 1 },
  },
  {
    name: "InitProducerIdResponse",
    versions: [0, 4],
    read: initProducerId.readInitProducerIdResponse,
    write: initProducerId.writeInitProducerIdResponse,
    sample: { throttleTimeMs: 0, errorCode: 0, producerId: 1n, producerEpoch: 0 },
  },
  {
    name: "AddPartitionsToTxnRequest",
    versions: [0, 3],
    read: addPartitionsToTxn.readAddPartitionsToTxnRequest,
    write: addPartitionsToTxn.writeAddPartitionsToTxnRequest,
    sample: {
      transactionalId: "x",
      producerId: 1n,
      producerEpoch: 0,
      topics: [{ name: "t", partitions: [0, 1] }],
    },
  },
  {
    name: "AddPartitionsToTxnResponse",
    versions: [0, 3],
    read: addPartitionsToTxn.readAddPartitionsToTxnResponse,
    write: addPartitionsToTxn.writeAddPartitionsToTxnResponse,
    sample: { throttleTimeMs: 0, results: [{ name: "t", results: [{ partitionIndex: 0, errorCode: 0 }] }] },
  },
  {
    name: "AddOffsetsToTxnRequest",
    versions: [0, 3],
    read: addOffsetsToTxn.readAddOffsetsToTxnRequest,
    write: addOffsetsToTxn.writeAddOffsetsToTxnRequest,
    sample: { transactionalId: "x", producerId: 1n, producerEpoch: 0, groupId: "g" },
  },
  {
    name: "EndTxnRequest",
    versions: [0, 3],
    read: endTxn.readEndTxnRequest,
    write: endTxn.writeEndTxnRequest,
    sample: { transactionalId: "x", producerId: 1n, producerEpoch: 0, committed: true },
  },
  {
    name: "DescribeTransactionsResponse",
    versions: [0, 0],
    read: describeTransactions.readDescribeTransactionsResponse,
    write: describeTransactions.writeDescribeTransactionsResponse,
    sample: {
      throttleTimeMs: 0,
      transactionStates: [{
        errorCode: 0,
        transactionalId: "x",
        transactionState: "Ongoing",
        transactionTimeoutMs: 1,
        transactionStartTimeMs: 2,
        producerId: 3n,
        producerEpoch: 4,
        topics: [{ topic: "t", partitions: [0] }],
      }],
    },
  },
  {
    name: "ListTransactionsRequest",
    versions: [0, 1],
    read: listTransactions.readListTransactionsRequest,
    write: listTransactions.writeListTransactionsRequest,
    sample: { stateFilters: ["Ongoing"], producerIdFilters: [1n], durationFilterMs: 5 },
  },
  {
    name: "ListTransactionsResponse",
    versions: [0, 1],
    read: listTransactions.readListTransactionsResponse,
    write: listTransactions.writeListTransactionsResponse,
    sample: {
      throttleTimeMs: 0,
      errorCode: 0,
      unknownStateFilters: [],
      transactionStates: [{ transactionalId: "x", producerId: 1n, transactionState: "Empty" }],
    },
  },
];

function onlyWireErrors(what: string, run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (!(error instanceof WireError)) {
      assert.fail(`${what}: threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
    }
  }
}

Deno.test("API readers throw only WireError on random, truncated and corrupted input", () => {
  const next = random(20261122);
  for (const c of CASES) {
    for (let v = c.versions[0]; v <= c.versions[1]; v++) {
      const writer = new Writer();
      c.write(writer, v, c.sample as never);
      const valid = writer.toBytes();
      for (let cut = 0; cut < valid.length; cut++) {
        assert.throws(
          () => {
            const reader = new Reader(valid.subarray(0, cut));
            c.read(reader, v);
            reader.expectEnd("fuzz");
          },
          WireError,
          `${c.name} v${v} cut at ${cut}`,
        );
      }
      for (let i = 0; i < 300; i++) {
        const corrupted = valid.slice();
        corrupted[Math.floor(next() * corrupted.length)] = Math.floor(next() * 256);
        onlyWireErrors(`${c.name} v${v} corrupted`, () => c.read(new Reader(corrupted), v));
        const noise = Uint8Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256));
        onlyWireErrors(`${c.name} v${v} noise`, () => c.read(new Reader(noise), v));
      }
    }
  }
});

Deno.test("record batch decoding throws only WireError on corrupted batches, CRC or not", () => {
  const next = random(7);
  const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`.repeat(i) }));
  for (const compression of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    const valid = encodeRecordBatch({ records, compression });
    for (let i = 0; i < 1000; i++) {
      const corrupted = valid.slice();
      const at = 21 + Math.floor(next() * (corrupted.length - 21));
      corrupted[at] = Math.floor(next() * 256);
      onlyWireErrors(`${compression} corrupted at ${at}`, () => decodeRecordBatch(corrupted));
      onlyWireErrors(`${compression} iterated`, () => decodeRecordBatches(corrupted));
      // With the CRC made right again the record parser and the decompressor see the damage.
      new DataView(corrupted.buffer).setUint32(17, crc32c(corrupted, 21));
      onlyWireErrors(`${compression} corrupted at ${at}, CRC fixed`, () => decodeRecordBatch(corrupted));
    }
  }
});
