/**
 * A broker whose coordinator session expires carries on (issue 9): paused (SIGSTOP) past its
 * session, it finds the session expired when it resumes, registers again with the same id on a
 * new session, is elected controller again and serves acks=all writes — without a restart. The
 * one expiry that ends the process: meanwhile another live broker registered its id with another
 * address. Real processes, real TCP, no network namespaces (a pause is enough to expire a session).
 */
import assert from "node:assert/strict";
import { startCoordinatorProgram } from "../helpers/cluster.ts";
import { delay, eventually, freePort, type RunningProgram, tempDir } from "../helpers/program.ts";
import { startBrokerProcess } from "./broker-harness.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { Admin } from "../../src/client/admin.ts";
import { Producer } from "../../src/client/producer.ts";

const SESSION_ARGS = ["--session-timeout-ms", "2000"];

/** The czxid of /brokers/ids/<id> (its registration), or null while none exists. */
async function registration(zk: ZooKeeperClient, id: number): Promise<number | null> {
  const stat = await zk.exists(`/brokers/ids/${id}`);
  return stat === null ? null : stat.czxid;
}

/** Pause `program` until its registration is gone (the coordinator expired its session). */
async function pauseUntilExpired(program: RunningProgram, zk: ZooKeeperClient, id: number): Promise<void> {
  program.signal("SIGSTOP");
  await eventually(
    `broker ${id}'s registration to vanish`,
    async () => (await registration(zk, id)) === null,
    30_000,
  );
}

/** A data dir, a fast-ticking coordinator (sessions expire on time) and a client of it. */
async function testBed() {
  const dir = await tempDir();
  const coordinator = await startCoordinatorProgram(`${dir.path}/coordinator`, {
    extra: ["--tick-ms", "250"],
  })
    .catch(async (error) => {
      await dir[Symbol.asyncDispose]();
      throw error;
    });
  const connect = `127.0.0.1:${coordinator.port}`;
  const zk = await ZooKeeperClient.connect(connect);
  return {
    dir,
    connect,
    zk,
    async [Symbol.asyncDispose]() {
      await zk.close();
      await coordinator.program.stop("SIGKILL");
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a broker paused past its session registers again, is controller again and serves, without a restart", async () => {
  await using bed = await testBed();
  const { dir, connect, zk } = bed;
  const port = freePort();
  await using broker = await startBrokerProcess({
    id: 1,
    port,
    coordinator: connect,
    dataDir: `${dir.path}/broker-1`,
    extra: SESSION_ARGS,
  });
  const bootstrap = `127.0.0.1:${port}`;
  {
    await using admin = new Admin({ bootstrap });
    await admin.createTopics([{ name: "t", partitions: 1, replicationFactor: 1 }]);
  }
  const before = await registration(zk, 1);
  assert.ok(before !== null);

  await pauseUntilExpired(broker, zk, 1);
  broker.signal("SIGCONT");
  await broker.waitForOutput(/registered again on a new coordinator session/, 30_000);
  assert.equal(broker.exited, false, "still running");
  const after = await registration(zk, 1);
  assert.ok(after !== null && after !== before, "a new registration");
  await eventually("broker 1 to be controller again", async () => {
    const { data } = await zk.getData("/controller").catch(() => ({ data: null }));
    return data !== null && JSON.parse(new TextDecoder().decode(data)).brokerid === 1;
  }, 30_000);
  assert.match(broker.stderr, /coordinator session expired .*registering again/);

  await using producer = new Producer({ bootstrap, acks: "all", requestTimeoutMs: 10_000 });
  const { offset } = await producer.send({ topic: "t", partition: 0, value: "after the expiry" });
  assert.equal(offset, 0);
});

Deno.test("a broker whose id another live broker registered meanwhile stops with a clear error", async () => {
  await using bed = await testBed();
  const { dir, connect, zk } = bed;
  const options = (dataDir: string) => ({
    id: 1,
    port: freePort(),
    coordinator: connect,
    dataDir: `${dir.path}/${dataDir}`,
    extra: SESSION_ARGS,
  });
  await using first = await startBrokerProcess(options("first"));
  await pauseUntilExpired(first, zk, 1);
  await using second = await startBrokerProcess(options("second"));
  first.signal("SIGCONT");
  const status = await first.status;
  assert.equal(status.code, 1);
  assert.match(first.stderr, /error: broker 1 stopped: Broker id 1 is already registered by a live broker/);
  await delay(500);
  assert.equal(second.exited, false, "the broker holding the id is unharmed");
  assert.ok((await registration(zk, 1)) !== null);
});
