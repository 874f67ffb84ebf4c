/**
 * The broker as a real process against a real coordinator, over real TCP: topics, produce and
 * fetch with the raw protocol, duplicate broker ids, SIGKILL crash recovery with --fsync always,
 * a corrupted log tail, and hostile input alongside a well-behaved producer.
 */
import assert from "node:assert/strict";
import { eventually, freePort, tempDir } from "../helpers/program.ts";
import { RunningProgram } from "../helpers/program.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import { encodeRecordBatch } from "../../src/kafka/record-batch.ts";
import { readListOffsetsResponse, writeListOffsetsRequest } from "../../src/kafka/apis/list-offsets.ts";
import { readDeleteTopicsResponse, writeDeleteTopicsRequest } from "../../src/kafka/apis/delete-topics.ts";
import {
  readInitProducerIdResponse,
  writeInitProducerIdRequest,
} from "../../src/kafka/apis/init-producer-id.ts";
import { brokerArgs, RawKafka, startBrokerProcess, startTestCoordinator, text } from "./broker-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

function batchOf(values: string[], key?: string): Uint8Array {
  return encodeRecordBatch({
    records: values.map((value) => ({ key: key ?? null, value, timestamp: Date.now() })),
  });
}

Deno.test(
  "topics, produce, long-poll fetch, list offsets, producer ids and delete over the wire",
  options,
  async () => {
    await using coordinator = await startTestCoordinator();
    await using dir = await tempDir();
    const port = freePort();
    await using broker = await startBrokerProcess({
      id: 1,
      port,
      coordinator: coordinator.connectString,
      dataDir: dir.path,
    });
    try {
      await wireScenario(port, dir.path);
    } catch (error) {
      console.error(`broker stderr:\n${broker.stderr}`);
      throw error;
    }
  },
);

async function wireScenario(port: number, dataDir: string) {
  await using client = await RawKafka.connect(port);
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

  // Stored bytes come back with the offsets the broker assigned.
  const records = await client.readAll("orders", 1);
  assert.deepEqual(records.map((r) => [r.offset, text(r.value)]), [[0, "a"], [1, "b"], [2, "c"], [3, "d"]]);
  assert.equal(text(records[0].key), "k");
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

  // A long-poll waits for data on its own connection while another connection produces.
  await using poller = await RawKafka.connect(port);
  const polled = poller.fetch("orders", 2, 0, 60_000, 1);
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
  assert.deepEqual(offsets.topics[0].partitions.map((p) => [p.errorCode, p.offset]), [[0, 4], [0, 0], [
    0,
    0,
  ]]);

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
});

Deno.test(
  "SIGKILL during a produce stream loses no acknowledged record (fsync always)",
  options,
  async () => {
    await using coordinator = await startTestCoordinator();
    await using dir = await tempDir();
    const port = freePort();
    const brokerOptions = {
      id: 1,
      port,
      coordinator: coordinator.connectString,
      dataDir: dir.path,
      extra: ["--fsync", "always", "--session-timeout-ms", "4000"],
    };
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
    // The killed broker's ephemeral node lingers until its session expires; the restart waits it out.
    broker = await eventually(
      "broker restarted",
      async () => {
        try {
          return await startBrokerProcess(brokerOptions);
        } catch {
          return undefined;
        }
      },
      60_000,
      500,
    );
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
  await using coordinator = await startTestCoordinator();
  await using dir = await tempDir();
  const port = freePort();
  const brokerOptions = { id: 1, port, coordinator: coordinator.connectString, dataDir: dir.path };
  {
    await using broker = await startBrokerProcess(brokerOptions);
    await using client = await RawKafka.connect(port);
    assert.equal((await client.createTopic("tail", 1)).topics[0].errorCode, 0);
    for (let i = 0; i < 5; i++) {
      assert.equal((await client.produce("tail", 0, batchOf([`v${i}`]))).errorCode, 0);
    }
    await broker.stop("SIGTERM");
  }
  const logFile = `${dir.path}/tail-0/00000000000000000000.log`;
  const bytes = await Deno.readFile(logFile);
  bytes[bytes.length - 2] ^= 0xff; // inside the last batch's records: its CRC no longer matches
  await Deno.writeFile(logFile, bytes);

  await using _broker = await startBrokerProcess(brokerOptions);
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
    await using coordinator = await startTestCoordinator();
    await using dir = await tempDir();
    const port = freePort();
    await using broker = await startBrokerProcess({
      id: 1,
      port,
      coordinator: coordinator.connectString,
      dataDir: dir.path,
      extra: ["--max-frame-bytes", String(8 * 1024 * 1024)],
    });
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
