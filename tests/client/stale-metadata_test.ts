/**
 * The client against brokers that answer badly, as during a network partition (issue 9), with
 * scripted brokers on real sockets: one cut off from the cluster still answers Metadata with the
 * leadership it knew (an older leader epoch) and times out acks=all writes; one is paused (it
 * accepts connections and never answers). The client asks the brokers in turn, never goes back
 * to an older leader epoch, and skips a broker that failed for a while: the write lands on the
 * new leader, and a paused broker is tried once (a request timeout), not at every refresh.
 */
import assert from "node:assert/strict";
import { Cluster } from "../../src/client/cluster.ts";
import { Producer } from "../../src/client/producer.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { ErrorCode } from "../../src/kafka/errors.ts";
import type { RequestHeader } from "../../src/kafka/header.ts";
import { readMetadataRequest } from "../../src/kafka/apis/metadata.ts";
import { readProduceRequest } from "../../src/kafka/apis/produce.ts";
import type { Reader, Writer } from "../../src/wire/mod.ts";
import {
  metadataAnswer,
  produceAnswer,
  type ScriptedBroker,
  scriptedBroker,
} from "../helpers/scripted-broker.ts";

interface Scripted {
  /** Leader and epoch this broker names in Metadata. */
  believes: { leader: number; epoch: number };
  /** Produce answer: 0 = accepted, else an error code. */
  produce: number;
  /** Never answer anything (a paused process whose kernel still accepts connections). */
  silent?: boolean;
}

interface Counts {
  metadataRequests: number;
  produced: number;
}

interface FakeBroker extends Counts {
  port: number;
  connections: number;
  close(): void;
}

function fakeBroker(script: Scripted, ports: Map<number, number>, nodeId: number): FakeBroker {
  const counts: Counts = { metadataRequests: 0, produced: 0 };
  const broker: ScriptedBroker = scriptedBroker(
    (header, reader) => answer(script, ports, counts, header, reader),
    { silent: script.silent },
  );
  ports.set(nodeId, broker.port);
  return {
    port: broker.port,
    get connections() {
      return broker.connections;
    },
    get metadataRequests() {
      return counts.metadataRequests;
    },
    get produced() {
      return counts.produced;
    },
    close: () => broker.close(),
  };
}

function answer(
  script: Scripted,
  ports: Map<number, number>,
  broker: Counts,
  header: RequestHeader,
  reader: Reader,
): (w: Writer) => void {
  const v = header.apiVersion;
  switch (header.apiKey) {
    case ApiKey.Metadata:
      readMetadataRequest(reader, v);
      broker.metadataRequests++;
      return metadataAnswer(v, ports, "cut", {
        leader: script.believes.leader,
        leaderEpoch: script.believes.epoch,
        replicas: [1, 2, 3],
      });
    case ApiKey.Produce: {
      const request = readProduceRequest(reader, v);
      if (script.produce === 0) broker.produced++;
      return produceAnswer(v, request, script.produce, 7);
    }
    default:
      throw new Error(`fake broker: unexpected API ${header.apiKey}`);
  }
}

Deno.test("a producer bootstrapped on a cut-off leader finds the new leader and never goes back to the old epoch", async () => {
  const ports = new Map<number, number>();
  const isolated = fakeBroker(
    { believes: { leader: 1, epoch: 1 }, produce: ErrorCode.REQUEST_TIMED_OUT },
    ports,
    1,
  );
  const fresh = [2, 3].map((id) => fakeBroker({ believes: { leader: 2, epoch: 2 }, produce: 0 }, ports, id));
  try {
    // Only the cut-off broker's address: it alone answers the first refresh.
    const bootstrap = `127.0.0.1:${isolated.port}`;
    {
      // The scripted brokers answer no InitProducerId: a plain producer.
      await using producer = new Producer({
        bootstrap,
        acks: "all",
        idempotent: false,
        retries: 5,
        retryBackoffMs: 10,
      });
      const { offset } = await producer.send({ topic: "cut", partition: 0, value: "x" });
      assert.equal(offset, 7);
      assert.equal(fresh[0].produced, 1, "written on the new leader");
      assert.ok(fresh.some((b) => b.metadataRequests > 0), "metadata asked of another broker");
    }
    const cluster = new Cluster({ bootstrap });
    const askedBefore = isolated.metadataRequests;
    try {
      for (let i = 0; i < 12; i++) {
        await cluster.refreshMetadata(["cut"]);
        if (i >= 3) assert.equal(cluster.leaderFor("cut", 0), 2, `refresh ${i}: the newer epoch holds`);
      }
      // Asked first (the bootstrap), then in turn until it answers behind: skipped from then on.
      const asked = isolated.metadataRequests - askedBefore;
      assert.ok(asked >= 1 && asked <= 3, `the cut-off broker was asked ${asked} times in 12 refreshes`);
      assert.equal(cluster.topic("cut").partitions[0].leaderEpoch, 2);
    } finally {
      cluster.close();
    }
  } finally {
    for (const broker of [isolated, ...fresh]) broker.close();
  }
});

Deno.test("a paused broker is tried once, then skipped while the others answer", async () => {
  const ports = new Map<number, number>();
  const paused = fakeBroker({ believes: { leader: 1, epoch: 1 }, produce: 0, silent: true }, ports, 1);
  const live = [2, 3].map((id) => fakeBroker({ believes: { leader: 2, epoch: 1 }, produce: 0 }, ports, id));
  const cluster = new Cluster({
    bootstrap: [paused, ...live].map((b) => `127.0.0.1:${b.port}`),
    requestTimeoutMs: 300,
    connectTimeoutMs: 300,
  });
  try {
    // Every refresh goes through (the one that picks the paused broker moves on after its
    // timeout), and after that one failure the paused broker is left alone.
    for (let i = 0; i < 12; i++) await cluster.refreshMetadata(["cut"]);
    assert.ok(paused.connections <= 1, `the paused broker was tried ${paused.connections} times`);
    assert.equal(cluster.leaderFor("cut", 0), 2);
    assert.ok(
      live[0].metadataRequests > 0 && live[1].metadataRequests > 0,
      "the live brokers were asked in turn",
    );
  } finally {
    cluster.close();
    for (const broker of [paused, ...live]) broker.close();
  }
});

Deno.test("a leader its broker list does not name yet (a broker's view mid-failover) is retried after new metadata, not a failed send", async () => {
  const ports = new Map<number, number>();
  let metadataAnswers = 0;
  // The first two Metadata answers name broker 5 as leader, which the broker list lacks (the
  // dead leader still named while it is gone from the live brokers); later ones name broker 1.
  const script: Scripted = {
    get believes() {
      return metadataAnswers++ < 2 ? { leader: 5, epoch: 3 } : { leader: 1, epoch: 4 };
    },
    produce: 0,
  };
  const broker = fakeBroker(script, ports, 1);
  try {
    await using producer = new Producer({
      bootstrap: `127.0.0.1:${broker.port}`,
      acks: 1,
      idempotent: false,
      retries: 5,
      retryBackoffMs: 10,
    });
    const { offset } = await producer.send({ topic: "cut", partition: 0, value: "x" });
    assert.equal(offset, 7);
    assert.equal(broker.produced, 1);
    assert.ok(metadataAnswers >= 3, "the client asked again after the unknown leader");
  } finally {
    broker.close();
  }
});

Deno.test("after its leader times a write out, the producer asks another broker who leads", async () => {
  const ports = new Map<number, number>();
  const scripts: Scripted[] = [1, 2, 3].map(() => ({ believes: { leader: 1, epoch: 1 }, produce: 0 }));
  const brokers = scripts.map((script, i) => fakeBroker(script, ports, i + 1));
  try {
    await using producer = new Producer({
      bootstrap: brokers.map((b) => `127.0.0.1:${b.port}`),
      acks: "all",
      idempotent: false,
      retries: 1,
      retryBackoffMs: 10,
    });
    for (let i = 0; i < 3; i++) await producer.send({ topic: "cut", partition: 0, value: "before" });
    // Broker 1 is cut off from the controller: 2 was elected in epoch 2, and 1 still names itself
    // leader (its metadata is stale) while its acks=all writes time out.
    scripts[0].produce = ErrorCode.REQUEST_TIMED_OUT;
    for (const script of scripts.slice(1)) script.believes = { leader: 2, epoch: 2 };
    for (let i = 0; i < 3; i++) {
      const asked = brokers[0].metadataRequests;
      await producer.send({ topic: "cut", partition: 0, value: `after-${i}` });
      assert.equal(brokers[0].metadataRequests, asked, "the leader that timed out was not asked who leads");
      // Back to the old state for the next round: the producer knows leader 1 again.
      scripts[0].believes = { leader: 1, epoch: 3 + i };
      for (const script of scripts.slice(1)) script.believes = { leader: 1, epoch: 3 + i };
      await producer.cluster.refreshMetadata(["cut"]);
      for (const script of scripts.slice(1)) script.believes = { leader: 2, epoch: 4 + i };
    }
    assert.equal(brokers[1].produced, 3, "every write after the cut landed on the new leader");
  } finally {
    for (const broker of brokers) broker.close();
  }
});
