/**
 * Ten thousand partitions (issue 16): a request of any size costs no broker its coordinator
 * session, a request beyond a limit gets a clear error and leaves nothing behind, and a
 * controlled shutdown moves many partitions with one LeaderAndIsr per broker and never has the
 * stopping broker added back to an ISR. Real processes over TCP; no timings are asserted (they
 * live in `deno task bench scale`).
 */
import assert from "node:assert/strict";
import { createTopics, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { eventually } from "../helpers/program.ts";
import { Admin } from "../../src/client/admin.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";
import { brokerIdPath, topicConfigPath, topicPath } from "../../src/broker/zk-layout.ts";
import { ClusterProbe } from "./controller-harness.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

/** Each broker's coordinator session, as the owner of its ephemeral registration. */
async function sessions(probe: ClusterProbe, ids: number[]): Promise<Map<number, bigint | number>> {
  const owners = new Map<number, bigint | number>();
  for (const id of ids) owners.set(id, (await probe.zk.getData(brokerIdPath(id))).stat.ephemeralOwner);
  return owners;
}

Deno.test(
  "a topic of 10,000 partitions is created whole and no broker loses its coordinator session",
  options,
  async () => {
    const PARTITIONS = 10_000;
    await using cluster = await startCluster({ brokers: 3, brokerArgs: ["--session-timeout-ms", "6000"] });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const before = await sessions(probe, [1, 2, 3]);
    await using admin = new Admin({ bootstrap: cluster.bootstrap, operationTimeoutMs: 120_000 });
    await admin.createTopics([{ name: "big", partitions: PARTITIONS, replicationFactor: 3 }]);
    await eventually("every partition of big led, on every broker's metadata", async () => {
      for (const broker of cluster.brokers) {
        await using one = new Admin({ bootstrap: `127.0.0.1:${broker.port}` });
        const [big] = await one.describeTopics(["big"]);
        if (big.partitions.length !== PARTITIONS || big.partitions.some((p) => p.leader < 0)) return false;
      }
      return true;
    }, 300_000);
    // Every broker hosts every replica (RF 3 on 3 brokers): all 10,000 applied on each.
    await eventually(
      "each broker to host every partition",
      () =>
        cluster.brokers.every((broker) =>
          (broker.program.stderr.match(/big:\d+: (leader in epoch|following broker)/g) ?? []).length >=
            PARTITIONS
        ),
      300_000,
    );
    assert.deepEqual(await sessions(probe, [1, 2, 3]), before, "same coordinator session on every broker");
    for (const broker of cluster.brokers) {
      assert.doesNotMatch(broker.program.stderr, /lost the connection to the coordinator|session expired/i);
    }
  },
);

Deno.test(
  "a topic over --max-partitions-per-topic or too big for one coordinator write is refused cleanly, leaving nothing",
  options,
  async () => {
    await using cluster = await startCluster({
      brokers: 1,
      brokerArgs: ["--max-partitions-per-topic", "100000"],
    });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    await using admin = new Admin({ bootstrap: cluster.bootstrap });
    const refused = async (name: string, partitions: number) => {
      try {
        await admin.createTopics([{ name, partitions, replicationFactor: 1 }]);
      } catch (error) {
        assert.ok(error instanceof KafkaError, String(error));
        return error;
      }
      assert.fail(`creating ${name} with ${partitions} partitions succeeded`);
    };
    const tooMany = await refused("wide", 100_001);
    assert.equal(tooMany.code, ErrorCode.INVALID_PARTITIONS);
    assert.match(
      tooMany.message,
      /over the limit of 100000 per topic \(broker setting --max-partitions-per-topic\)/,
    );
    // 100,000 partitions fit the setting but their assignment is over 1 MiB: one coordinator write.
    const tooBig = await refused("huge", 100_000);
    assert.equal(tooBig.code, ErrorCode.POLICY_VIOLATION);
    assert.match(tooBig.message, /over the coordinator's limit of \d+ bytes for one write/);
    for (const name of ["wide", "huge"]) {
      assert.equal(await probe.zk.exists(topicPath(name)), null, `no ${name} assignment`);
      assert.equal(await probe.zk.exists(topicConfigPath(name)), null, `no ${name} config`);
    }
    assert.deepEqual((await admin.listTopics()).filter((t) => t === "wide" || t === "huge"), []);
    // The broker and its coordinator connection are unharmed: a topic within the limits works.
    await admin.createTopics([{ name: "fine", partitions: 3, replicationFactor: 1 }]);
    assert.doesNotMatch(cluster.broker(1).program.stderr, /lost the connection to the coordinator/);
  },
);

/** Requests of one API a broker has handled, from its /metrics (the request-duration count). */
async function requestCount(cluster: TestCluster, id: number, api: string): Promise<number> {
  const [, url] = await cluster.broker(id).program.waitForOutput(
    /broker \d+ metrics on (http:\/\/\S+\/metrics)/,
  );
  const text = await (await fetch(url)).text();
  const line = text.split("\n").find((l) =>
    l.startsWith("vltava_request_duration_seconds_count{") && l.includes(`api="${api}"`)
  );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** ISR expansions a broker logged that added `id` (lines "t:p: ISR [a,b] -> [a,b,id] (expand, …)"). */
function expansionsAdding(output: string, id: number): string[] {
  return [...output.matchAll(/^.*ISR \[([\d,]*)\] -> \[([\d,]*)\] \(expand.*$/gm)]
    .filter(([, before, after]) =>
      !before.split(",").includes(String(id)) && after.split(",").includes(String(id))
    )
    .map(([line]) => line);
}

Deno.test(
  "controlled shutdown: each other broker gets one LeaderAndIsr and UpdateMetadata for all moved partitions, and the stopping broker is never added back to an ISR",
  options,
  async () => {
    const PARTITIONS = 60;
    // A long replica lag bound: only the controller changes ISRs here, however slow the machine.
    await using cluster = await startCluster({
      brokers: 3,
      brokerArgs: ["--http-port", "0", "--replica-lag-time-max-ms", "120000"],
    });
    await using probe = await ClusterProbe.connect(cluster.coordinatorAddress);
    const controller = (await probe.waitForController()).brokerId;
    await createTopics(cluster.bootstrap, [{ name: "moving", partitions: PARTITIONS, replicationFactor: 3 }]);
    const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
    await eventually("every partition led, all three replicas in sync", async () => {
      const states = await Promise.all(partitions.map((p) => probe.state("moving", p)));
      return states.every((s) => s && s.leader > 0 && s.isr.length === 3);
    }, 120_000);
    const victim = [1, 2, 3].find((id) => id !== controller)!;
    const others = [1, 2, 3].filter((id) => id !== victim);
    const counts = (api: string) =>
      Promise.all(others.map(async (id) => [id, await requestCount(cluster, id, api)] as const));
    const before = {
      leaderAndIsr: new Map(await counts("LeaderAndIsr")),
      updateMetadata: new Map(await counts("UpdateMetadata")),
    };
    const outputFrom = new Map(others.map((id) => [id, cluster.broker(id).program.stderr.length]));

    const status = await cluster.broker(victim).program.stop("SIGTERM", 120_000);
    assert.equal(status.code, 0);
    // Stable once the stopping broker is gone: it leads nothing and is in no ISR.
    await eventually("no partition led by or in sync on the stopped broker", async () => {
      const states = await Promise.all(partitions.map((p) => probe.state("moving", p)));
      return states.every((s) => s && s.leader > 0 && s.leader !== victim && !s.isr.includes(victim));
    }, 60_000);
    const controllerOutput = cluster.broker(controller).program.stderr;
    assert.match(controllerOutput, new RegExp(`controlled shutdown of broker ${victim}`));

    for (const id of others) {
      // Every partition changed (the victim left all 60 ISRs, a third changed leader): batched,
      // that is one request per broker for the shutdown's decision round (a second only if a
      // delivery had to be retried), where one per partition would be 60.
      const received = await requestCount(cluster, id, "LeaderAndIsr") - before.leaderAndIsr.get(id)!;
      assert.ok(received >= 1 && received <= 2, `broker ${id} got ${received} LeaderAndIsr requests`);
      // UpdateMetadata: the shutdown's round, and the one for the broker list once it left.
      const told = await requestCount(cluster, id, "UpdateMetadata") - before.updateMetadata.get(id)!;
      assert.ok(told >= 1 && told <= 3, `broker ${id} got ${told} UpdateMetadata requests`);
      const readded = expansionsAdding(cluster.broker(id).program.stderr.slice(outputFrom.get(id)), victim);
      assert.deepEqual(readded, [], `broker ${id} added the stopping broker ${victim} back`);
    }
  },
);
