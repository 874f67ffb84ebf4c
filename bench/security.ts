/**
 * `deno task bench security`: what security costs on one broker process.
 * - Produce and consume throughput (the project's client, 100-byte values, acks=1, batching on)
 *   over PLAINTEXT, SSL (Deno's TLS, no client certificates) and SASL_SSL on the same broker.
 * - SCRAM-SHA-512 logins per second: connections opened and authenticated, 4 at a time (each
 *   costs PBKDF2 with 4,096 iterations on both ends).
 * - The produce latency ACL checks add: sequential acks=1 sends by a non-super user over
 *   SASL_PLAINTEXT against a broker without an authorizer and one with `--authorizer acl` and
 *   an ALLOW for that user (p50/p99 of round trips; two broker processes one after the other,
 *   so machine noise shows), and the cost of one check in process.
 * - Authenticated produce round trips (p50/p99, sequential acks=1 sends over SASL_PLAINTEXT)
 *   without and during a storm of failed logins (raw clients, 20 at a time, PLAIN with a wrong
 *   password and SCRAM-SHA-512 with a wrong proof; tests/helpers/failed-login.ts), with the
 *   broker's failed-authentication delay at its default 100 ms.
 * The issue names no peer for these (they compare the broker with itself). Prints markdown.
 * Beside wall-clock rates, the broker's and the client's (this process's) CPU time per record
 * (from /proc): on a shared, loaded machine the rates swing run to run while the CPU a record
 * costs each side does not, and on two cores the busier side bounds the rate.
 *
 * Knobs (env): BENCH_SECURITY_RECORDS (default 2,000,000: at 3-4.5 M records/s a run of
 * 500,000 lasted 0.11-0.17 s and one outlier decided a ratio), BENCH_SECURITY_RUNS (3; best and
 * median shown), BENCH_SECURITY_SENDS (latency sends, 5,000), BENCH_SECURITY_LOGIN_SECONDS (5),
 * BENCH_SECURITY_PARTS (throughput,logins,acl,storm: which to run), BENCH_SECURITY_BASELINE
 * (another build's program, as VLTAVA_BIN: its broker is measured too,
 * run by run in turn with this one's, for before/after figures from the same moment).
 */
import { Connection } from "../src/client/connection.ts";
import { Producer } from "../src/client/producer.ts";
import type { ClientSecurity } from "../src/client/security.ts";
import { createTopics } from "../tests/helpers/cluster.ts";
import { failedLogin } from "../tests/helpers/failed-login.ts";
import { runCli } from "../tests/helpers/program.ts";
import { AclAuthorizer } from "../src/security/acl-authorizer.ts";
import { AclOperation, AclPermission, PatternType, ResourceType } from "../src/kafka/acl.ts";
import {
  PLAINTEXT_AND_SASL_PLAINTEXT,
  type SecureCluster,
  startSecureCluster,
} from "../tests/helpers/secure-cluster.ts";
import { consumeOurs, produceOurs } from "./broker.ts";
import { cpuSeconds } from "./process-cpu.ts";

const RECORDS = Number(Deno.env.get("BENCH_SECURITY_RECORDS") ?? 2_000_000);
const RUNS = Math.max(1, Number(Deno.env.get("BENCH_SECURITY_RUNS") ?? 3));
const SENDS = Number(Deno.env.get("BENCH_SECURITY_SENDS") ?? 5_000);
const LOGIN_SECONDS = Number(Deno.env.get("BENCH_SECURITY_LOGIN_SECONDS") ?? 5);
const STORM_PARALLEL = 20;
/** Failed logins the storm makes at least (sends go on until then). */
const STORM_LOGINS = 1_000;
/** Which parts to run (BENCH_SECURITY_PARTS, comma-separated; default all). */
const PARTS = new Set(
  (Deno.env.get("BENCH_SECURITY_PARTS") ?? "throughput,logins,acl,storm").split(",").map((part) =>
    part.trim()
  ),
);
const VALUE = new Uint8Array(100).map((_, i) => 97 + (i % 26));

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];

/** One broker build's cluster with its three listeners, and what was measured on it. */
interface Variant {
  label: string;
  secure: SecureCluster;
  /** listener → operation → seconds per run, and broker and client (this process) CPU seconds per run. */
  results: Map<string, { seconds: number[]; cpu: number[]; clientCpu: number[] }>;
}

/** A cluster whose broker runs `program` (a VLTAVA_BIN-style path; undefined: this checkout). */
async function startVariant(label: string, program: string | undefined): Promise<Variant> {
  const saved = Deno.env.get("VLTAVA_BIN");
  if (program !== undefined) Deno.env.set("VLTAVA_BIN", program);
  try {
    const secure = await startSecureCluster({
      users: { alice: "alice-secret" },
      listeners: (_id, port, extra) => [
        `PLAINTEXT://127.0.0.1:${port}`,
        `SSL://127.0.0.1:${extra(0)}`,
        `SASL_SSL://127.0.0.1:${extra(1)}`,
      ],
    });
    return { label, secure, results: new Map() };
  } finally {
    if (saved === undefined) Deno.env.delete("VLTAVA_BIN");
    else Deno.env.set("VLTAVA_BIN", saved);
  }
}

function modesOf(secure: SecureCluster): [string, string, ClientSecurity | undefined][] {
  const { cluster, certs } = secure;
  return [
    ["PLAINTEXT", cluster.bootstrap, undefined],
    ["SSL", `127.0.0.1:${secure.port(1, 0)}`, { protocol: "SSL", tls: { ca: certs.ca } }],
    ["SASL_SSL (SCRAM-SHA-512)", `127.0.0.1:${secure.port(1, 1)}`, {
      protocol: "SASL_SSL",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
      tls: { ca: certs.ca },
    }],
  ];
}

/**
 * Produce then consume over each listener, RUNS times; with BENCH_SECURITY_BASELINE (another
 * build's program, e.g. a script running an older checkout's main.ts) the same on that build's
 * broker, run by run in turn, so a before/after comparison shares the machine's moment.
 */
async function throughput(): Promise<string[]> {
  const baseline = Deno.env.get("BENCH_SECURITY_BASELINE");
  const variants: Variant[] = [];
  try {
    if (baseline) variants.push(await startVariant("baseline", baseline));
    variants.push(await startVariant(baseline ? "this build" : "", undefined));
    for (let run = 0; run < RUNS; run++) {
      for (const variant of variants) {
        const pid = variant.secure.cluster.broker(1).program.pid;
        for (const [name, bootstrap, security] of modesOf(variant.secure)) {
          const topic = `bench-${name.split(" ")[0].toLowerCase()}-${run}`;
          await createTopics(variant.secure.cluster.bootstrap, [{
            name: topic,
            partitions: 1,
            replicationFactor: 1,
          }]);
          for (const operation of ["produce", "consume"] as const) {
            const cpuBefore = cpuSeconds(pid);
            const clientCpuBefore = cpuSeconds(Deno.pid);
            const seconds = operation === "produce"
              ? await produceOurs(bootstrap, topic, RECORDS, security)
              : await consumeOurs(bootstrap, topic, RECORDS, security);
            const key = `${name}|${operation}`;
            const entry = variant.results.get(key) ?? { seconds: [], cpu: [], clientCpu: [] };
            entry.seconds.push(seconds);
            entry.cpu.push(cpuSeconds(pid) - cpuBefore);
            entry.clientCpu.push(cpuSeconds(Deno.pid) - clientCpuBefore);
            variant.results.set(key, entry);
          }
        }
      }
    }
  } finally {
    for (const variant of variants) await variant.secure[Symbol.asyncDispose]();
  }
  const rate = (seconds: number) => RECORDS / seconds;
  const rows: string[] = [];
  for (const variant of variants) {
    for (const [name] of modesOf(variant.secure)) {
      for (const operation of ["produce", "consume"] as const) {
        const { seconds, cpu, clientCpu } = variant.results.get(`${name}|${operation}`)!;
        const plain = variant.results.get(`PLAINTEXT|${operation}`)!.seconds;
        const best = Math.min(...seconds);
        const label = variant.label ? `${name} (${variant.label})` : name;
        rows.push(
          `| ${label} | ${operation} | ${Math.round(rate(best)).toLocaleString("en-US")} | ${
            Math.round(rate(median(seconds))).toLocaleString("en-US")
          } | ${(rate(best) * VALUE.length / 1e6).toFixed(1)} | ${
            Math.round((Math.min(...plain) / best) * 100)
          }% | ${Math.round((median(plain) / median(seconds)) * 100)}% | ${
            ((Math.min(...cpu) * 1e6) / RECORDS).toFixed(2)
          } | ${((Math.min(...clientCpu) * 1e6) / RECORDS).toFixed(2)} |`,
        );
      }
    }
  }
  return rows;
}

async function logins(): Promise<string> {
  await using secure = await startSecureCluster({
    users: { alice: "alice-secret" },
    listeners: (_id, port) => [`SASL_PLAINTEXT://127.0.0.1:${port}`],
    brokerArgs: ["--sasl-enabled-mechanisms", "SCRAM-SHA-512"],
    interBrokerProperties: () =>
      "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=alice\nsasl.password=alice-secret\n",
    clientSecurity: () => ({
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
    }),
  });
  const port = secure.cluster.broker(1).port;
  const security: ClientSecurity = {
    protocol: "SASL_PLAINTEXT",
    sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
  };
  const deadline = performance.now() + LOGIN_SECONDS * 1000;
  let count = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (performance.now() < deadline) {
      const connection = await Connection.connect({ host: "127.0.0.1", port, security });
      connection.close();
      count++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return `| SCRAM-SHA-512 logins (4 at a time, client and server on this machine) | ${
    Math.round(count / seconds).toLocaleString("en-US")
  } /s | ${count} logins in ${seconds.toFixed(1)} s |`;
}

const SCRAM = (username: string, password: string): ClientSecurity => ({
  protocol: "SASL_PLAINTEXT",
  sasl: { mechanism: "SCRAM-SHA-512", username, password },
});

/** One SASL_PLAINTEXT broker (with the ACL authorizer or without), topic "latency", and alice's producer. */
async function latencyBroker(authorizer: boolean) {
  const secure = await startSecureCluster({
    users: { alice: "alice-secret", broker: "broker-secret" },
    listeners: (_id, port) => [`SASL_PLAINTEXT://127.0.0.1:${port}`],
    brokerArgs: authorizer ? ["--authorizer", "acl", "--super-users", "User:broker"] : [],
    interBrokerProperties: () =>
      "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=broker\nsasl.password=broker-secret\n",
    clientSecurity: () => SCRAM("broker", "broker-secret"),
  });
  const bootstrap = secure.cluster.bootstrap;
  await createTopics(
    bootstrap,
    [{ name: "latency", partitions: 1, replicationFactor: 1 }],
    60_000,
    SCRAM("broker", "broker-secret"),
  );
  if (authorizer) {
    const added = await runCli([
      "acl",
      "add",
      "--allow",
      "User:alice",
      "--operation",
      "Write",
      "--topic",
      "latency",
      "--coordinator",
      secure.cluster.coordinatorAddress,
    ]);
    if (added.code !== 0) throw new Error(added.stderr);
  }
  const producerAs = (username: string, password: string) =>
    new Producer({ bootstrap, security: SCRAM(username, password), acks: 1, lingerMs: 0 });
  return { secure, producerAs };
}

/** Sends until they go through (the ACL reaching the broker's cache) and the paths are warm. */
async function warmUp(producer: Producer): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await producer.send({ topic: "latency", partition: 0, value: VALUE });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Sequential acks=1 sends as alice; round-trip p50/p99 in ms. */
async function sendLatency(authorizer: boolean): Promise<{ p50: number; p99: number }> {
  const { secure, producerAs } = await latencyBroker(authorizer);
  await using _secure = secure;
  await using producer = producerAs("alice", "alice-secret");
  await warmUp(producer);
  const times = await roundTrips(producer, "latency", SENDS);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

/**
 * The ACL check's share of a round trip on one broker at one moment: alice (checked against the
 * ACLs on every request) and the super user (allowed before any ACL is looked at) send in turn,
 * one acks=1 send each, SENDS each; their p50/p99 in ms. Two brokers run one after the other
 * differ by more than the check costs (the row above), in turn on one broker they do not.
 */
async function interleavedAclLatency(): Promise<{ checked: number[]; superUser: number[] }> {
  const { secure, producerAs } = await latencyBroker(true);
  await using _secure = secure;
  await using alice = producerAs("alice", "alice-secret");
  await using superUser = producerAs("broker", "broker-secret");
  await warmUp(alice);
  await warmUp(superUser);
  const checked: number[] = [];
  const unchecked: number[] = [];
  for (let i = 0; i < SENDS; i++) {
    for (
      const [producer, times] of i % 2 === 0
        ? [[alice, checked], [superUser, unchecked]] as const
        : [[superUser, unchecked], [alice, checked]] as const
    ) {
      const started = performance.now();
      await producer.send({ topic: "latency", partition: 0, value: VALUE });
      times.push(performance.now() - started);
    }
  }
  return { checked, superUser: unchecked };
}

/** Sequential acks=1 round trips of `producer` (ms, in the order sent): `count`, and while `more()`. */
async function roundTrips(
  producer: Producer,
  topic: string,
  count: number,
  more: () => boolean = () => false,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count || more(); i++) {
    const started = performance.now();
    await producer.send({ topic, partition: 0, value: VALUE });
    times.push(performance.now() - started);
  }
  return times;
}

const percentile = (values: number[], p: number) => sorted(values)[Math.floor(values.length * p)];

/**
 * Alice's produce round trips alone, then while STORM_PARALLEL raw clients fail logins back to
 * back (each waits for the broker to close it, as the delay makes it do): SENDS sends, and on
 * until the storm has failed STORM_LOGINS logins.
 */
async function stormLatency(): Promise<string[]> {
  await using secure = await startSecureCluster({
    users: { alice: "alice-secret" },
    listeners: PLAINTEXT_AND_SASL_PLAINTEXT,
  });
  const port = secure.port(1, 0);
  await createTopics(secure.cluster.bootstrap, [{ name: "storm", partitions: 1, replicationFactor: 1 }]);
  await using producer = new Producer({
    bootstrap: `127.0.0.1:${port}`,
    security: {
      protocol: "SASL_PLAINTEXT",
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "alice-secret" },
    },
    acks: 1,
    lingerMs: 0,
  });
  await roundTrips(producer, "storm", 200); // warm up
  const quiet = await roundTrips(producer, "storm", SENDS);
  let stormOver = false;
  let failed = 0;
  const stormStarted = performance.now();
  const storm = Promise.all(Array.from({ length: STORM_PARALLEL }, async (_, worker) => {
    for (let attempt = worker; !stormOver; attempt += STORM_PARALLEL) {
      const mechanism = attempt % 2 === 0 ? "PLAIN" : "SCRAM-SHA-512";
      const result = await failedLogin({ host: "127.0.0.1", port, user: "alice", mechanism });
      if (result.errorCode !== 58 || !result.closedByBroker) {
        throw new Error(`unexpected: ${JSON.stringify(result)}`);
      }
      failed++;
    }
  }));
  let during: number[];
  try {
    // Let the storm reach its full parallelism first.
    while (failed < STORM_PARALLEL) await new Promise((resolve) => setTimeout(resolve, 10));
    during = await roundTrips(producer, "storm", SENDS, () => failed < STORM_LOGINS);
  } finally {
    stormOver = true;
    await storm;
  }
  const stormSeconds = (performance.now() - stormStarted) / 1000;
  const row = (label: string, times: number[]) =>
    `| produce round trip, ${label} | p50 ${percentile(times, 0.5).toFixed(3)} ms | p99 ${
      percentile(times, 0.99).toFixed(3)
    } ms |`;
  return [
    row(`authenticated (SCRAM-SHA-512), no storm (${SENDS} sequential acks=1 sends)`, quiet),
    row(
      `the same during a failed-login storm (${STORM_PARALLEL} at a time, ${
        failed.toLocaleString("en-US")
      } failed in ${stormSeconds.toFixed(1)} s, delay 100 ms)`,
      during,
    ),
  ];
}

/** One authorization check as a Produce makes it (memoized decision), in this process: ns. */
function aclCheckNs(): number {
  const authorizer = new AclAuthorizer({ superUsers: ["User:broker"] });
  for (let i = 0; i < 1000; i++) {
    authorizer.setAcls(
      { resourceType: ResourceType.Topic, resourceName: `topic-${i}`, patternType: PatternType.Literal },
      [{
        principal: `User:user-${i}`,
        host: "*",
        operation: AclOperation.Write,
        permissionType: AclPermission.Allow,
      }],
    );
  }
  const request = {
    principal: "User:user-7",
    host: "127.0.0.1",
    operation: AclOperation.Write,
    resourceType: ResourceType.Topic,
    resourceName: "topic-7",
  };
  const checks = 1_000_000;
  let allowed = 0;
  const started = performance.now();
  for (let i = 0; i < checks; i++) if (authorizer.authorize(request)) allowed++;
  if (allowed !== checks) throw new Error("the check should allow");
  return ((performance.now() - started) * 1e6) / checks;
}

export async function run(): Promise<void> {
  const load = Deno.loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`${new Date().toISOString()}, load average ${load}, ${navigator.hardwareConcurrency} cores`);
  if (PARTS.has("throughput")) {
    console.log(`\n${RECORDS.toLocaleString("en-US")} records of 100 bytes, ${RUNS} runs, one broker\n`);
    console.log(
      "| listener | operation | records/s (best) | records/s (median) | MB/s (best) | vs PLAINTEXT (best) " +
        "| vs PLAINTEXT (median) | broker CPU µs/record (least) | client CPU µs/record (least) |",
    );
    console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const row of await throughput()) console.log(row);
  }
  console.log("\n| measure | value | detail |\n| --- | ---: | --- |");
  if (PARTS.has("logins")) console.log(await logins());
  if (PARTS.has("acl")) {
    const checkNs = aclCheckNs();
    console.log(
      `| one ACL check (1,000 ACLs, memoized decision, in process) | ${
        checkNs.toFixed(0)
      } ns | one per topic per request |`,
    );
    const without = await sendLatency(false);
    const withAcls = await sendLatency(true);
    const overhead = ((withAcls.p50 - without.p50) / without.p50) * 100;
    console.log(
      `| produce round trip, no authorizer (${SENDS} sequential acks=1 sends) | p50 ${
        without.p50.toFixed(3)
      } ms | p99 ${without.p99.toFixed(3)} ms |`,
    );
    console.log(
      `| produce round trip, --authorizer acl | p50 ${withAcls.p50.toFixed(3)} ms | p99 ${
        withAcls.p99.toFixed(3)
      } ms; p50 difference ${overhead.toFixed(1)}% |`,
    );
    const { checked, superUser } = await interleavedAclLatency();
    const [checkedP50, superP50] = [percentile(checked, 0.5), percentile(superUser, 0.5)];
    console.log(
      `| produce round trip, one --authorizer acl broker, in turn: ACL-checked user / super user (${SENDS} each) | p50 ${
        checkedP50.toFixed(3)
      } / ${superP50.toFixed(3)} ms | p99 ${percentile(checked, 0.99).toFixed(3)} / ${
        percentile(superUser, 0.99).toFixed(3)
      } ms; p50 difference ${((checkedP50 / superP50 - 1) * 100).toFixed(1)}% |`,
    );
  }
  if (PARTS.has("storm")) { for (const row of await stormLatency()) console.log(row); }
}
