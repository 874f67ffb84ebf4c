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
import { eventually, freePorts, RunningProgram, tempDir } from "./program.ts";
import { Admin, type NewTopic } from "../../src/client/admin.ts";

export interface ClusterFixtureOptions {
  /** Number of brokers (ids 1..N). Default 1. */
  brokers?: number;
  /** Extra arguments for every `broker start`. */
  brokerArgs?: string[];
  /** Environment for every process. */
  env?: Record<string, string>;
  timeoutMs?: number;
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
    return `127.0.0.1:${this.coordinatorPort}`;
  }

  get dataRoot(): string {
    return this.#dataRoot.path;
  }

  /** Start the coordinator (called by startCluster). */
  async startCoordinator(): Promise<void> {
    const dataDir = `${this.#dataRoot.path}/coordinator`;
    this.coordinator = new RunningProgram(
      ["coordinator", "start", "--port", String(this.coordinatorPort), "--data-dir", dataDir],
      this.#options.env,
    );
    await this.coordinator.waitForOutput(/coordinator listening on/, this.#options.timeoutMs ?? 60_000);
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
    ], this.#options.env);
    const broker = { id, port, dataDir, program };
    const index = this.brokers.findIndex((b) => b.id === id);
    if (index >= 0) this.brokers[index] = broker;
    else this.brokers.push(broker);
    await program.waitForOutput(new RegExp(`broker ${id} listening on`), this.#options.timeoutMs ?? 60_000);
    return broker;
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

/** Start a coordinator and `brokers` brokers (ids 1..N). */
export async function startCluster(options: ClusterFixtureOptions = {}): Promise<TestCluster> {
  const count = options.brokers ?? 1;
  const [coordinatorPort, ...brokerPorts] = freePorts(1 + count);
  const dataRoot = await tempDir("vltava-cluster-", options.parentDir);
  const cluster = new TestCluster(dataRoot, coordinatorPort, options);
  try {
    await cluster.startCoordinator();
    await Promise.all(brokerPorts.map((port, i) => cluster.startBroker(i + 1, port)));
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
export async function createTopics(bootstrap: string, topics: NewTopic[], timeoutMs = 60_000): Promise<void> {
  await using admin = new Admin({ bootstrap });
  await admin.createTopics(topics);
  const names = topics.map((topic) => topic.name);
  await eventually(`leaders for every partition of ${names.join(", ")}`, async () => {
    const described = await admin.describeTopics(names);
    return described.length === names.length &&
      described.every((topic) => topic.partitions.every((partition) => partition.leader >= 0));
  }, timeoutMs);
}
