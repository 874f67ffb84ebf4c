/**
 * A test cluster: one coordinator and N brokers as real child processes on free ports,
 * each with its own temporary data directory, all stopped (SIGKILL) and cleaned up when the
 * test ends (`await using`). Waits for "coordinator listening on" and "broker N listening on".
 *
 * @example
 * ```ts
 * await using cluster = await startCluster({ brokers: 1 });
 * const producer = new Producer({ bootstrap: cluster.bootstrap });
 * ```
 */
import { eventually, freePort, freePorts, RunningProgram, startProgram, tempDir } from "./program.ts";
import { Admin, type NewTopic } from "../../src/client/admin.ts";
import type { ClientSecurity } from "../../src/client/security.ts";

export interface ClusterFixtureOptions {
  /** Number of brokers (ids 1..N). Default 1. */
  brokers?: number;
  /** Extra arguments for every `broker start`. */
  brokerArgs?: string[];
  /** More arguments per broker, given its id and the port clients bootstrap from (e.g. --listeners). */
  brokerArgsFor?: (id: number, port: number) => string[];
  /** Runs once the coordinator is up, before any broker starts (e.g. create SCRAM users). */
  beforeBrokers?: (cluster: TestCluster) => Promise<void>;
  /** How the fixture's own clients (waitForBrokers, createTopics) connect. */
  clientSecurity?: ClientSecurity;
  /** Extra arguments for `coordinator start` (e.g. a shorter --tick-ms). */
  coordinatorArgs?: string[];
  /** Environment for every process. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Brokers connect here instead of 127.0.0.1:coordinatorPort (e.g. an ensemble, with a chroot). */
  coordinatorConnect?: string;
  /** Parent of the cluster's temporary data directory (default: the system temp dir). */
  parentDir?: string;
}

export interface BrokerProcess {
  id: number;
  port: number;
  dataDir: string;
  program: RunningProgram;
}

export class TestCluster implements AsyncDisposable {
  readonly coordinatorPort: number;
  readonly brokers: BrokerProcess[] = [];
  coordinator: RunningProgram | undefined;
  readonly #dataRoot: { path: string } & AsyncDisposable;
  readonly #options: ClusterFixtureOptions;

  constructor(
    dataRoot: { path: string } & AsyncDisposable,
    coordinatorPort: number,
    options: ClusterFixtureOptions,
  ) {
    this.#dataRoot = dataRoot;
    this.coordinatorPort = coordinatorPort;
    this.#options = options;
  }

  /** "127.0.0.1:PORT,…" of every broker, for clients' bootstrap. */
  get bootstrap(): string {
    return this.brokers.map((b) => `127.0.0.1:${b.port}`).join(",");
  }

  get coordinatorAddress(): string {
    return this.#options.coordinatorConnect ?? `127.0.0.1:${this.coordinatorPort}`;
  }

  get dataRoot(): string {
    return this.#dataRoot.path;
  }

  /** Start the coordinator (called by startCluster). */
  async startCoordinator(): Promise<void> {
    const started = await startCoordinatorProgram(`${this.#dataRoot.path}/coordinator`, {
      port: this.coordinatorPort,
      extra: this.#options.coordinatorArgs,
      env: this.#options.env,
      timeoutMs: this.#options.timeoutMs,
    });
    this.coordinator = started.program;
  }

  /** Start (or restart) broker `id` on `port`; waits for its "listening" line. */
  async startBroker(id: number, port: number): Promise<BrokerProcess> {
    const dataDir = `${this.#dataRoot.path}/broker-${id}`;
    const program = new RunningProgram([
      "broker",
      "start",
      "--id",
      String(id),
      "--port",
      String(port),
      "--coordinator",
      this.coordinatorAddress,
      "--data-dir",
      dataDir,
      ...(this.#options.brokerArgs ?? []),
      ...(this.#options.brokerArgsFor?.(id, port) ?? []),
    ], this.#options.env);
    const broker = { id, port, dataDir, program };
    const index = this.brokers.findIndex((b) => b.id === id);
    if (index >= 0) this.brokers[index] = broker;
    else this.brokers.push(broker);
    await program.waitForOutput(new RegExp(`broker ${id} listening on`), this.#options.timeoutMs ?? 60_000);
    return broker;
  }

  /**
   * Wait until every broker's metadata lists every broker of this cluster: a broker is ready
   * before it has seen the others register, and until then it refuses assignments naming them.
   */
  async waitForBrokers(timeoutMs = this.#options.timeoutMs ?? 60_000): Promise<void> {
    const wanted = this.brokers.map((b) => b.id).sort((a, b) => a - b).join(",");
    await Promise.all(
      this.brokers.map((broker) =>
        eventually(`broker ${broker.id} to see brokers ${wanted}`, async () => {
          await using admin = new Admin({
            bootstrap: `127.0.0.1:${broker.port}`,
            security: this.#options.clientSecurity,
          });
          const { brokers } = await admin.describeCluster();
          return brokers.map((b) => b.nodeId).join(",") === wanted;
        }, timeoutMs)
      ),
    );
  }

  /** The broker process with this id. */
  broker(id: number): BrokerProcess {
    const broker = this.brokers.find((b) => b.id === id);
    if (!broker) throw new Error(`No broker ${id} in this test cluster`);
    return broker;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.program.stop("SIGKILL")));
    await this.coordinator?.stop("SIGKILL");
    await this.#dataRoot[Symbol.asyncDispose]();
  }
}

export interface CoordinatorProgramOptions {
  /** Default: a free port. */
  port?: number;
  /** More `coordinator start` flags. */
  extra?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Start `vltava coordinator start` with `dataDir` and wait for its ready line; the caller stops
 * it (`await using`). Killed here when it does not get ready.
 */
export async function startCoordinatorProgram(
  dataDir: string,
  options: CoordinatorProgramOptions = {},
): Promise<{ program: RunningProgram; port: number }> {
  const port = options.port ?? freePort();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = [
    "coordinator",
    "start",
    "--port",
    String(port),
    "--data-dir",
    dataDir,
    ...(options.extra ?? []),
  ];
  const program = await startProgram(args, port, options.env, timeoutMs);
  try {
    await program.waitForOutput(new RegExp(`coordinator listening on 127\\.0\\.0\\.1:${port}`), timeoutMs);
  } catch (error) {
    await program.stop("SIGKILL");
    throw error;
  }
  return { program, port };
}

/** Start a coordinator and `brokers` brokers (ids 1..N). */
export async function startCluster(options: ClusterFixtureOptions = {}): Promise<TestCluster> {
  const count = options.brokers ?? 1;
  const [coordinatorPort, ...brokerPorts] = freePorts(1 + count);
  const dataRoot = await tempDir("vltava-cluster-", options.parentDir);
  const cluster = new TestCluster(dataRoot, coordinatorPort, options);
  try {
    await cluster.startCoordinator();
    await options.beforeBrokers?.(cluster);
    await Promise.all(brokerPorts.map((port, i) => cluster.startBroker(i + 1, port)));
    await cluster.waitForBrokers();
  } catch (error) {
    const logs = [cluster.coordinator, ...cluster.brokers.map((b) => b.program)]
      .filter((p): p is RunningProgram => p !== undefined)
      .map((p) => `--- vltava ${p.args.join(" ")}\n${p.stderr}${p.stdout}`)
      .join("\n");
    await cluster[Symbol.asyncDispose]();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
  return cluster;
}

/**
 * Create topics through the project's Admin and wait until every partition has a leader, so
 * that what a test does next does not race the controller.
 */
export async function createTopics(
  bootstrap: string,
  topics: NewTopic[],
  timeoutMs = 60_000,
  security?: ClientSecurity,
): Promise<void> {
  await using admin = new Admin({ bootstrap, security });
  await admin.createTopics(topics);
  const names = topics.map((topic) => topic.name);
  await eventually(`leaders for every partition of ${names.join(", ")}`, async () => {
    const described = await admin.describeTopics(names);
    return described.length === names.length &&
      described.every((topic) => topic.partitions.every((partition) => partition.leader >= 0));
  }, timeoutMs);
}

/** Write `count` records "v0", "v1", … to one partition with acks=all, and wait until all are acknowledged. */
export async function produceValues(bootstrap: string, topic: string, partition: number, count: number) {
  const { Producer } = await import("../../src/client/producer.ts");
  const producer = new Producer({ bootstrap, acks: -1 });
  try {
    for (let i = 0; i < count; i++) await producer.send({ topic, partition, value: `v${i}` });
    await producer.flush();
  } finally {
    await producer.close();
  }
}
