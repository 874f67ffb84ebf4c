/**
 * The project's Producer is idempotent by default: against a real broker process behind a proxy
 * that loses the answer to a Produce request (the connection drops after the broker stored the
 * batch), the producer's retry is recognised and the record is stored once, at the offset the
 * send resolves to. The same loss with `idempotent: false` stores the record twice (Kafka's
 * at-least-once), which is what the default protects against. Also: the defaults and the
 * refusal of idempotence with acks other than all.
 */
import assert from "node:assert/strict";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";
import { brokerTestBed, RawKafka, startBrokerProcess, text } from "../integration/broker-harness.ts";
import { lossyProxy, PROXY_HOST } from "../helpers/lossy-proxy.ts";
import { eventually } from "../helpers/program.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test("idempotence is the default (acks=all); acks 0 or 1 turn it off; asking for both is refused", () => {
  const bootstrap = "127.0.0.1:1";
  const plain = [new Producer({ bootstrap }), new Producer({ bootstrap, acks: 1 })];
  try {
    assert.deepEqual([plain[0].idempotent, plain[0].acks], [true, -1]);
    assert.equal(plain[1].idempotent, false);
    assert.throws(() => new Producer({ bootstrap, acks: 1, idempotent: true }), /needs acks "all"/);
  } finally {
    for (const producer of plain) producer.cluster.close();
  }
});

Deno.test(
  "a lost produce answer: the idempotent retry is stored once, a plain one twice",
  options,
  async () => {
    await using bed = await brokerTestBed(1, ["--advertised-host", PROXY_HOST]);
    const broker = await startBrokerProcess(bed.options);
    try {
      await using proxy = lossyProxy(bed.options.port);
      const admin = new Admin({ bootstrap: proxy.address });
      try {
        await admin.createTopics([{ name: "once", partitions: 1 }, { name: "twice", partitions: 1 }]);
      } finally {
        admin.close();
      }
      for (const [topic, idempotent] of [["once", true], ["twice", false]] as const) {
        await using producer = new Producer({
          bootstrap: proxy.address,
          idempotent,
          acks: "all",
          retryBackoffMs: 50,
        });
        await eventually(`a leader for ${topic}`, async () => {
          await producer.send({ topic, partition: 0, value: "warm-up" });
          return true;
        });
        proxy.loseNextProduceAnswer();
        const lostBefore = proxy.lost;
        const sent = await producer.send({ topic, partition: 0, value: "the record" });
        assert.equal(proxy.lost, lostBefore + 1, "the first answer was lost");
        const after = await producer.send({ topic, partition: 0, value: "the next" });
        await using direct = await RawKafka.connect(bed.options.port);
        const stored = (await direct.readAll(topic, 0)).map((r) => [r.offset, text(r.value)]);
        if (idempotent) {
          assert.deepEqual(stored, [[0, "warm-up"], [1, "the record"], [2, "the next"]]);
          assert.deepEqual([sent.offset, after.offset], [1, 2]);
        } else {
          assert.deepEqual(stored.map(([, value]) => value), [
            "warm-up",
            "the record",
            "the record",
            "the next",
          ]);
        }
      }
    } finally {
      await broker.stop("SIGKILL");
    }
  },
);
