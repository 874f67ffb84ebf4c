/**
 * The broker as a real process against a real coordinator, over real TCP: topics, produce and
 * fetch with the raw protocol, duplicate broker ids, SIGKILL crash recovery with --fsync always,
 * a corrupted log tail, and hostile input alongside a well-behaved producer.
 */
import assert from "node:assert/strict";
import { eventually, freePort, freePorts, tempDir } from "../helpers/program.ts";
import { RunningProgram } from "../helpers/program.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { writeProduceRequest } from "../../src/kafka/apis/produce.ts";
import { readApiVersionsResponse, writeApiVersionsRequest } from "../../src/kafka/apis/api-versions.ts";
import {
  readDescribeConfigsResponse,
  writeDescribeConfigsRequest,
} from "../../src/kafka/apis/describe-configs.ts";
import {
  readCreatePartitionsResponse,
  writeCreatePartitionsRequest,
} from "../../src/kafka/apis/create-partitions.ts";
import { readListOffsetsResponse, writeListOffsetsRequest } from "../../src/kafka/apis/list-offsets.ts";
import { readDeleteTopicsResponse, writeDeleteTopicsRequest } from "../../src/kafka/apis/delete-topics.ts";
import {
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
} from "../../src/kafka/apis/init-producer-id.ts";
import {
  brokerArgs,
  type BrokerProcessOptions,
  brokerTestBed,
  RawKafka,
  startBrokerProcess,
  startTestCoordinator,
  text,
} from "./broker-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/**
 * Restart a SIGKILLed broker right away: its old registration lingers until the old session
 * expires, and the broker waits that out itself (the node names its own address).
 */
function restartBroker(brokerOptions: BrokerProcessOptions): Promise<RunningProgram> {
  return startBrokerProcess(brokerOptions);
}

function batchOf(values: string[], key?: string): Uint8Array {
  return encodeRecordBatch({
    records: values.map((value) => ({ key: key ?? null, value, timestamp: Date.now() })),
  });
}

Deno.test(
  "topics, produce, long-poll fetch, list offsets, producer ids and delete over the wire",
  options,
  async () => {
    await using bed = await brokerTestBed();
    await using broker = await startBrokerProcess(bed.options);
    try {
      await wireScenario(bed.options.port, bed.options.dataDir);
    } catch (error) {
      console.error(`broker stderr:\n${broker.stderr}`);
      throw error;
    }
  },
);

async function wireScenario(port: number, dataDir: string) {
  await using client = await RawKafka.connect(port);
  // ApiVersions v3 (flexible, header v2 request / v0 response): exactly the APIs served.
  const versions = await client.request(
    ApiKey.ApiVersions,
    3,
    (w) => writeApiVersionsRequest(w, 3, { clientSoftwareName: "raw", clientSoftwareVersion: "1" }),
    (r) => readApiVersionsResponse(r, 3),
  );
  const ranges = new Map(versions.apiKeys.map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]));
  assert.deepEqual(ranges.get(ApiKey.Produce), [0, 7]);
  assert.deepEqual(ranges.get(ApiKey.Fetch), [4, 11]);
  assert.deepEqual(ranges.get(ApiKey.Metadata), [0, 8]);
  assert.deepEqual(ranges.get(ApiKey.ApiVersions), [0, 3]);
  assert.deepEqual(ranges.get(ApiKey.OffsetForLeaderEpoch), [0, 3]); // served by replication

  const created = await client.createTopic("orders", 3, { "retention.ms": "60000" });
  assert.equal(created.topics[0].errorCode, 0);
  const again = await client.createTopic("orders", 3);
  assert.equal(again.topics[0].errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  const badConfig = await client.createTopic("bad-config", 1, { "no.such.config": "1" });
  assert.equal(badConfig.topics[0].errorCode, ErrorCode.INVALID_CONFIG);

  const metadata = await client.metadata(["orders", "missing"]);
  assert.deepEqual(metadata.brokers.map((b) => [b.nodeId, b.port]), [[1, port]]);
  assert.equal(metadata.controllerId, 1);
  const orders = metadata.topics.find((t) => t.name === "orders")!;
  assert.equal(orders.errorCode, 0);
  assert.deepEqual(orders.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch]), [[0, 1, 0], [
    1,
    1,
    0,
  ], [2, 1, 0]]);
  assert.equal(
    metadata.topics.find((t) => t.name === "missing")!.errorCode,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );

  const first = await client.produce("orders", 1, batchOf(["a", "b", "c"], "k"));
  assert.deepEqual([first.errorCode, first.baseOffset], [0, 0]);
  const second = await client.produce("orders", 1, batchOf(["d"]), -1);
  assert.deepEqual([second.errorCode, second.baseOffset], [0, 3]);

  // max.message.bytes: the broker default refuses a 2 MiB batch, a topic override admits it.
  const big = encodeRecordBatch({ records: [{ value: new Uint8Array(2 * 1024 * 1024).fill(7) }] });
  assert.equal((await client.produce("orders", 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(
    (await client.createTopic("large", 1, { "max.message.bytes": "4194304" })).topics[0].errorCode,
    0,
  );
  const accepted = await client.produce("large", 0, big);
  assert.deepEqual([accepted.errorCode, accepted.baseOffset], [0, 0]);
  const bigBack = await client.fetch("large", 0, 0);
  assert.equal(bigBack.records?.length, big.length);

  // LogAppendTime topics: the broker stamps the batch and reports the time it used.
  const stampedTopic = await client.createTopic("stamped", 1, { "message.timestamp.type": "LogAppendTime" });
  assert.equal(stampedTopic.topics[0].errorCode, 0);
  const before = Date.now();
  const stamped = await client.produce(
    "stamped",
    0,
    encodeRecordBatch({ records: [{ value: "s", timestamp: 1 }] }),
  );
  assert.equal(stamped.errorCode, 0);
  assert.ok(stamped.logAppendTimeMs! >= before);
  assert.deepEqual((await client.readAll("stamped", 0)).map((r) => r.timestamp), [stamped.logAppendTimeMs]);

  // Stored bytes come back with the offsets the broker assigned.
  const records = await client.readAll("orders", 1);
  assert.deepEqual(records.map((r) => [r.offset, text(r.value)]), [[0, "a"], [1, "b"], [2, "c"], [3, "d"]]);
  assert.equal(text(records[0].key), "k");
  // At least one whole batch even when it exceeds max_bytes, and only whole batches.
  const tiny = await client.fetch("orders", 1, 0, { maxBytes: 10, partitionMaxBytes: 10 });
  const tinyBatches = decodeRecordBatches(tiny.records!);
  assert.deepEqual(tinyBatches.map((b) => [b.baseOffset, b.records.length]), [[0, 3]]);
  const tail = await client.fetch("orders", 1, 4);
  assert.deepEqual([tail.errorCode, tail.highWatermark, tail.lastStableOffset, tail.logStartOffset], [
    0,
    4,
    4,
    0,
  ]);
  assert.equal(tail.preferredReadReplica, -1);
  assert.equal(tail.records?.length, 0);
  const outOfRange = await client.fetch("orders", 1, 99);
  assert.equal(outOfRange.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);

  // A long-poll with nothing to return ends at max_wait with error 0 and empty (not null) records.
  const idle = await client.fetch("orders", 0, 0, { maxWaitMs: 200, minBytes: 1 });
  assert.deepEqual([idle.errorCode, idle.records?.length], [0, 0]);

  // acks=0 gets no response at all: the next reply on the connection is the next request's.
  await client.send(ApiKey.Produce, 7, 9_001, (w) =>
    writeProduceRequest(w, 7, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: "orders", partitionData: [{ index: 0, records: batchOf(["fire-and-forget"]) }] }],
    }));
  assert.equal((await client.metadata(["orders"])).topics[0].errorCode, 0);
  assert.deepEqual((await client.readAll("orders", 0)).map((r) => text(r.value)), ["fire-and-forget"]);

  // A long-poll waits for data on its own connection while another connection produces.
  await using poller = await RawKafka.connect(port);
  const polled = poller.fetch("orders", 2, 0, { maxWaitMs: 60_000, minBytes: 1 });
  await client.produce("orders", 2, batchOf(["late"]));
  const woken = await polled;
  assert.equal(woken.errorCode, 0);
  assert.ok((woken.records?.length ?? 0) > 0);

  const offsets = await client.request(ApiKey.ListOffsets, 2, (w) =>
    writeListOffsetsRequest(w, 2, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{
        name: "orders",
        partitions: [{ partitionIndex: 1, timestamp: -1 }, { partitionIndex: 1, timestamp: -2 }, {
          partitionIndex: 0,
          timestamp: -1,
        }],
      }],
    }), (r) => readListOffsetsResponse(r, 2));
  const listed = offsets.topics[0].partitions.map((p) => [p.errorCode, p.offset]);
  assert.deepEqual(listed, [[0, 4], [0, 0], [0, 1]]); // partition 0 holds the acks=0 record

  const ids = [];
  for (let i = 0; i < 2; i++) {
    const answer = await client.request(
      ApiKey.InitProducerId,
      1,
      (w) => writeInitProducerIdRequest(w, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }),
      (r) => readInitProducerIdResponse(r, 1),
    );
    assert.equal(answer.errorCode, 0);
    ids.push(answer.producerId);
  }
  assert.ok(ids[1] > ids[0] && ids[0] > 0n);

  const described = await client.request(ApiKey.DescribeConfigs, 3, (w) =>
    writeDescribeConfigsRequest(w, 3, {
      resources: [{ resourceType: 2, resourceName: "orders", configurationKeys: null }, {
        resourceType: 2,
        resourceName: "nope",
        configurationKeys: null,
      }],
      includeSynonyms: false,
      includeDocumentation: false,
    }), (r) => readDescribeConfigsResponse(r, 3));
  const retention = described.results[0].configs.find((c) => c.name === "retention.ms")!;
  assert.deepEqual([retention.value, retention.configSource], ["60000", 1]);
  const segment = described.results[0].configs.find((c) => c.name === "segment.bytes")!;
  assert.equal(segment.configSource, 5);
  assert.equal(described.results[1].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  const grown = await client.request(ApiKey.CreatePartitions, 1, (w) =>
    writeCreatePartitionsRequest(w, 1, {
      topics: [{ name: "orders", count: 4, assignments: null }, {
        name: "orders-x",
        count: 2,
        assignments: null,
      }],
      timeoutMs: 30_000,
      validateOnly: false,
    }), (r) => readCreatePartitionsResponse(r, 1));
  assert.deepEqual(grown.results.map((r) => r.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.equal((await client.metadata(["orders"])).topics[0].partitions.length, 4);
  assert.deepEqual((await client.produce("orders", 3, batchOf(["new partition"]))).errorCode, 0);

  const deleted = await client.request(
    ApiKey.DeleteTopics,
    3,
    (w) => writeDeleteTopicsRequest(w, 3, { topicNames: ["orders"], timeoutMs: 30_000 }),
    (r) => readDeleteTopicsResponse(r, 3),
  );
  assert.equal(deleted.responses[0].errorCode, 0);
  const gone = await client.metadata(["orders"]);
  assert.equal(gone.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await eventually("partition directories removed", async () => {
    const names = [];
    for await (const entry of Deno.readDir(dataDir)) names.push(entry.name);
    return names.some((name) => name.startsWith("orders-")) ? undefined : true;
  });
}

Deno.test("a second broker with a live broker's id exits with a clear error", options, async () => {
  await using coordinator = await startTestCoordinator();
  await using dir = await tempDir();
  const port = freePort();
  await using _first = await startBrokerProcess({
    id: 7,
    port,
    coordinator: coordinator.connectString,
    dataDir: dir.path,
  });
  await using second = new RunningProgram(brokerArgs({
    id: 7,
    port: freePort(),
    coordinator: coordinator.connectString,
    dataDir: `${dir.path}/second`,
  }));
  const status = await second.status;
  assert.equal(status.code, 1);
  assert.match(second.stderr, /Broker id 7 is already registered/);

  // The same id under another chroot is another cluster: it starts, and sees only its own topics.
  const chrootPort = freePort();
  await using _third = await startBrokerProcess({
    id: 7,
    port: chrootPort,
    coordinator: `${coordinator.connectString}/other-cluster`,
    dataDir: `${dir.path}/third`,
  });
  await using client = await RawKafka.connect(chrootPort);
  const metadata = await client.metadata(null);
  assert.deepEqual(metadata.brokers.map((b) => [b.nodeId, b.port]), [[7, chrootPort]]);
});

Deno.test(
  "SIGKILL during a produce stream loses no acknowledged record (fsync always)",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--fsync", "always", "--session-timeout-ms", "4000"]);
    const brokerOptions = bed.options;
    const port = brokerOptions.port;
    let broker = await startBrokerProcess(brokerOptions);
    const acknowledged: string[] = [];
    try {
      await using setup = await RawKafka.connect(port);
      assert.equal((await setup.createTopic("crash", 1)).topics[0].errorCode, 0);
      const producer = await RawKafka.connect(port);
      const streaming = (async () => {
        for (let i = 0;; i++) {
          const values = [`r${i}-0`, `r${i}-1`, `r${i}-2`];
          let answer;
          try {
            answer = await producer.produce("crash", 0, batchOf(values));
          } catch {
            return; // the broker died under us
          }
          if (answer.errorCode === 0) acknowledged.push(...values);
        }
      })();
      await eventually("some records acknowledged", () => acknowledged.length >= 300 ? true : undefined);
      broker.signal("SIGKILL");
      await streaming;
      await producer[Symbol.asyncDispose]();
      await broker.status;
    } finally {
      await broker.stop("SIGKILL");
    }
    broker = await restartBroker(brokerOptions);
    await using _restarted = broker;
    await using reader = await RawKafka.connect(port);
    const values = await eventually("partition served again", async () => {
      try {
        return (await reader.readAll("crash", 0)).map((r) => text(r.value));
      } catch {
        return undefined;
      }
    });
    const stored = new Set(values);
    const lost = acknowledged.filter((value) => !stored.has(value));
    assert.deepEqual(lost, []);
  },
);

Deno.test("a corrupted last batch on disk is cut at restart and the rest is served", options, async () => {
  await using bed = await brokerTestBed(1, ["--fsync", "always", "--session-timeout-ms", "4000"]);
  const brokerOptions = bed.options;
  const port = brokerOptions.port;
  {
    await using broker = await startBrokerProcess(brokerOptions);
    await using client = await RawKafka.connect(port);
    assert.equal((await client.createTopic("tail", 1)).topics[0].errorCode, 0);
    for (let i = 0; i < 5; i++) {
      assert.equal((await client.produce("tail", 0, batchOf([`v${i}`]))).errorCode, 0);
    }
    // A crash (no clean-shutdown marker), so the restart walks and checks the log tail.
    await broker.stop("SIGKILL");
  }
  const logFile = `${brokerOptions.dataDir}/tail-0/00000000000000000000.log`;
  const bytes = await Deno.readFile(logFile);
  bytes[bytes.length - 2] ^= 0xff; // inside the last batch's records: its CRC no longer matches
  await Deno.writeFile(logFile, bytes);

  await using _broker = await restartBroker(brokerOptions);
  await using client = await RawKafka.connect(port);
  const values = await eventually("partition served again", async () => {
    try {
      return (await client.readAll("tail", 0)).map((r) => text(r.value));
    } catch {
      return undefined;
    }
  });
  assert.deepEqual(values, ["v0", "v1", "v2", "v3"]);
  const next = await client.produce("tail", 0, batchOf(["after"]));
  assert.deepEqual([next.errorCode, next.baseOffset], [0, 4]);
});

Deno.test(
  "hostile input closes only its own connection while a producer keeps working",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--max-frame-bytes", String(8 * 1024 * 1024)]);
    const port = bed.options.port;
    await using broker = await startBrokerProcess(bed.options);
    await using setup = await RawKafka.connect(port);
    assert.equal((await setup.createTopic("steady", 1)).topics[0].errorCode, 0);

    let stop = false;
    const acknowledged: string[] = [];
    const producer = await RawKafka.connect(port);
    const producing = (async () => {
      for (let i = 0; !stop; i++) {
        const answer = await producer.produce("steady", 0, batchOf([`s${i}`]));
        assert.equal(answer.errorCode, 0);
        acknowledged.push(`s${i}`);
      }
    })();

    // A batch with a wrong CRC gets CORRUPT_MESSAGE and the connection stays usable.
    {
      await using client = await RawKafka.connect(port);
      const bad = batchOf(["x"]);
      bad[bad.length - 1] ^= 0x55;
      assert.equal((await client.produce("steady", 0, bad)).errorCode, ErrorCode.CORRUPT_MESSAGE);
      const truncated = batchOf(["y", "z"]).subarray(0, 40);
      assert.equal((await client.produce("steady", 0, truncated)).errorCode, ErrorCode.CORRUPT_MESSAGE);
      assert.equal((await client.produce("steady", 0, batchOf(["ok"]))).errorCode, 0);
    }
    // A frame announcing 2 GiB is refused before any allocation: the connection closes.
    {
      await using client = await RawKafka.connect(port);
      await client.conn.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 7]));
      assert.equal(await client.closedByPeer(), true);
    }
    // Random frames and truncated frames: answered or closed, never a crash.
    for (let round = 0; round < 30; round++) {
      await using client = await RawKafka.connect(port);
      const size = 1 + Math.floor(Math.random() * 200);
      const garbage = crypto.getRandomValues(new Uint8Array(size + 4));
      if (round % 2 === 0) new DataView(garbage.buffer).setInt32(0, size); // well-framed garbage
      if (round % 3 === 0) {
        // A valid header for a known API followed by a truncated body.
        const frame = new Uint8Array([0, 0, 0, 12, 0, ApiKey.Produce, 0, 7, 0, 0, 0, 1, 0, 0, 0, 1]);
        await client.conn.write(frame);
      } else {
        await client.conn.write(garbage);
      }
      if (round % 2 === 0 || round % 3 === 0) assert.equal(await client.closedByPeer(), true);
    }
    // Truncated frames left hanging by clients that go away.
    for (let i = 0; i < 10; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new Uint8Array([0, 0, 1, 0, 0, 18, 0]));
      conn.close();
    }

    await eventually(
      "producer made progress after the abuse",
      () => acknowledged.length >= 50 ? true : undefined,
    );
    stop = true;
    await producing;
    await producer[Symbol.asyncDispose]();
    assert.equal(broker.exited, false);
    const stored = new Set((await setup.readAll("steady", 0)).map((r) => text(r.value)));
    assert.deepEqual(acknowledged.filter((value) => !stored.has(value)), []);
    assert.ok(stored.has("ok") && !stored.has("x"));
  },
);

Deno.test(
  "SIGTERM is a clean shutdown: exit 0, the id is free at once, data served after restart",
  options,
  async () => {
    await using bed = await brokerTestBed(3, ["--auto-create-topics", "--num-partitions", "2"]);
    const brokerOptions = bed.options;
    const port = brokerOptions.port;
    {
      await using broker = await startBrokerProcess(brokerOptions);
      await using client = await RawKafka.connect(port);
      // Auto-creation: a Metadata request for an unknown topic creates it with the broker defaults.
      assert.equal(
        (await client.metadata(["auto"], false)).topics[0].errorCode,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      );
      const created = await client.metadata(["auto"], true);
      assert.equal(created.topics[0].errorCode, 0);
      assert.equal(created.topics[0].partitions.length, 2);
      assert.equal((await client.produce("auto", 1, batchOf(["kept"]))).errorCode, 0);
      const status = await broker.stop("SIGTERM");
      assert.equal(status.code, 0);
      assert.match(broker.stdout, /broker 3 stopped/);
    }
    // No wait for a session timeout: a clean shutdown closed the session and its ephemeral node.
    await using _again = await startBrokerProcess(brokerOptions);
    await using client = await RawKafka.connect(port);
    const values = await eventually("partition served again", async () => {
      try {
        return (await client.readAll("auto", 1)).map((r) => text(r.value));
      } catch {
        return undefined;
      }
    });
    assert.deepEqual(values, ["kept"]);
  },
);

Deno.test(
  "two brokers share topics through the coordinator and each serves the partitions it leads",
  options,
  async () => {
    await using coordinator = await startTestCoordinator();
    await using dir = await tempDir();
    const [port1, port2] = freePorts(2);
    const base = { coordinator: coordinator.connectString };
    await using _b1 = await startBrokerProcess({ ...base, id: 1, port: port1, dataDir: `${dir.path}/b1` });
    await using _b2 = await startBrokerProcess({ ...base, id: 2, port: port2, dataDir: `${dir.path}/b2` });
    await using c1 = await RawKafka.connect(port1);
    await using c2 = await RawKafka.connect(port2);
    assert.equal((await c1.createTopic("shared", 4)).topics[0].errorCode, 0);

    // Both brokers tell the same story; leaders are spread over both.
    const viaOne = await c1.metadata(["shared"]);
    const viaTwo = await eventually("broker 2 sees the topic", async () => {
      const answer = await c2.metadata(["shared"]);
      return answer.topics[0].errorCode === 0 ? answer : undefined;
    });
    assert.deepEqual(viaTwo.brokers.map((b) => b.nodeId).sort(), [1, 2]);
    const leaders = viaOne.topics[0].partitions.map((p) => p.leaderId);
    assert.deepEqual(viaTwo.topics[0].partitions.map((p) => p.leaderId), leaders);
    assert.deepEqual([...new Set(leaders)].sort(), [1, 2]);

    for (const [partition, leader] of leaders.entries()) {
      const [leaderClient, otherClient] = leader === 1 ? [c1, c2] : [c2, c1];
      const wrong = await otherClient.produce("shared", partition, batchOf(["x"]));
      assert.equal(wrong.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const right = await eventually("leader accepts", async () => {
        const answer = await leaderClient.produce("shared", partition, batchOf([`p${partition}`]));
        return answer.errorCode === 0 ? answer : undefined;
      });
      assert.equal(right.baseOffset, 0);
      assert.deepEqual((await leaderClient.readAll("shared", partition)).map((r) => text(r.value)), [
        `p${partition}`,
      ]);
    }

    // Deleting through broker 1 removes broker 2's logs too.
    await c1.request(
      ApiKey.DeleteTopics,
      3,
      (w) => writeDeleteTopicsRequest(w, 3, { topicNames: ["shared"], timeoutMs: 30_000 }),
      (r) => readDeleteTopicsResponse(r, 3),
    );
    await eventually("broker 2 removed its partition directories", async () => {
      for await (const entry of Deno.readDir(`${dir.path}/b2`)) {
        if (entry.name.startsWith("shared-")) {
          return undefined;
        }
      }
      return true;
    });
  },
);

Deno.test(
  "SIGTERM stops a broker cleanly while its coordinator is down, without waiting out a coordinator timeout",
  options,
  async () => {
    await using dir = await tempDir();
    const port = freePort();
    await using broker = await (async () => {
      await using coordinator = await startTestCoordinator();
      const started = await startBrokerProcess({
        id: 1,
        port,
        coordinator: coordinator.connectString,
        dataDir: dir.path,
      });
      await started.waitForOutput(/elected controller/);
      return started;
    })(); // the coordinator is gone from here on
    await broker.waitForOutput(/lost the connection to the coordinator/);
    // Coordinator requests time out after 60 s: a broker that asked anyway would be SIGKILLed here.
    const status = await broker.stop("SIGTERM", 30_000);
    assert.equal(status.code, 0, broker.stderr);
    assert.match(broker.stdout, /broker 1 stopped/);
    assert.match(broker.stderr, /controlled shutdown skipped/);
  },
);
