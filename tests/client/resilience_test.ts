/**
 * The client rides out failures it is meant to retry: a topic that appears while a send is
 * retrying, a broker restart under a producer and under a consumer (connections re-opened
 * through metadata refreshes), and Ctrl-C on `vltava consume`.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Consumer, type ConsumerRecord } from "../../src/client/consumer.ts";
import { Producer } from "../../src/client/producer.ts";
import { startCluster } from "../helpers/cluster.ts";
import { RunningProgram } from "../helpers/program.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

Deno.test({
  name: "client retries through a late topic and a broker restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startCluster();
    const bootstrap = cluster.bootstrap;
    const admin = new Admin({ bootstrap });
    try {
      await t.step("send() to a topic created while it retries succeeds", async () => {
        await using producer = new Producer({
          bootstrap,
          retries: 20,
          retryBackoffMs: 50,
          maxRetryBackoffMs: 200,
        });
        const sending = producer.send({ topic: "late", value: "hello" });
        await new Promise((resolve) => setTimeout(resolve, 150));
        await admin.createTopics([{ name: "late", partitions: 1 }]);
        const meta = await sending;
        assert.deepEqual([meta.partition, meta.offset], [0, 0]);
      });

      await t.step("producer and consumer continue across a broker restart", async () => {
        await admin.createTopics([{ name: "restart", partitions: 2 }]);
        await using producer = new Producer({
          bootstrap,
          retries: 30,
          retryBackoffMs: 100,
          maxRetryBackoffMs: 500,
        });
        await using consumer = new Consumer({ bootstrap, retryBackoffMs: 100 });
        await consumer.assignTopic("restart", "earliest");
        const before = await Promise.all(
          Array.from(
            { length: 100 },
            (_, i) => producer.send({ topic: "restart", key: `k${i}`, value: `before ${i}` }),
          ),
        );
        assert.equal(before.length, 100);
        const received: ConsumerRecord[] = [];
        const deadline = Date.now() + 60_000;
        while (received.length < 100 && Date.now() < deadline) received.push(...await consumer.poll(1_000));
        assert.equal(received.length, 100);

        const broker = cluster.brokers[0];
        await broker.program.stop("SIGTERM");
        // Sends issued while the broker is down are retried until it is back.
        const during = Array.from(
          { length: 50 },
          (_, i) => producer.send({ topic: "restart", key: `k${i}`, value: `after ${i}` }),
        );
        await cluster.startBroker(broker.id, broker.port);
        const after = await Promise.all(during);
        assert.equal(after.length, 50);
        while (received.length < 150 && Date.now() < deadline + 60_000) {
          received.push(...await consumer.poll(1_000));
        }
        const values = received.map((r) => text(r.value));
        for (let i = 0; i < 50; i++) assert.ok(values.includes(`after ${i}`), `after ${i}`);
        assert.equal(new Set(received.map((r) => `${r.partition}:${r.offset}`)).size, received.length);
      });
    } finally {
      admin.close();
    }
  },
});

Deno.test({
  name: "vltava consume stops cleanly on Ctrl-C",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using cluster = await startCluster();
    const admin = new Admin({ bootstrap: cluster.bootstrap });
    await admin.createTopics([{ name: "tail", partitions: 1 }]);
    admin.close();
    await using producer = new Producer({ bootstrap: cluster.bootstrap });
    await producer.send({ topic: "tail", value: "first" });
    await using consume = new RunningProgram([
      "consume",
      "tail",
      "--from-beginning",
      "--bootstrap",
      cluster.bootstrap,
    ]);
    await consume.waitForOutput(/first/);
    // One Ctrl-C: a second one, arriving after the clean stop has removed its handler, kills.
    const status = await consume.stop("SIGINT", 30_000);
    assert.equal(status.code, 0, consume.stderr);
    assert.match(consume.stderr, /consumed 1 record\(s\) from "tail"/);
  },
});
