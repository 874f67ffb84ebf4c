/**
 * A Vltava cluster inside a NetLab (tests/helpers/netns.ts): the coordinator, brokers 1..N and
 * the clients each in their own network namespace, so the nemesis can cut any link. Every process
 * listens on its namespace's address with the standard port (each namespace has its own ports).
 * The test talks to the cluster only through the agent (scripts/agent.ts) in the clients'
 * namespace, and starts the workload scripts there. Data dirs live in one temporary directory
 * (a broker's can be put elsewhere, e.g. on a small tmpfs); dispose stops everything and removes
 * the network and the data.
 */
import { NetLab } from "../helpers/netns.ts";
import { eventually, type RunningProgram, tempDir } from "../helpers/program.ts";

export const COORDINATOR_HOST = "coordinator";
export const CLIENT_HOST = "client";
const COORDINATOR_PORT = 2181;
const BROKER_PORT = 9092;
const SCRIPTS = new URL("./scripts/", import.meta.url).pathname;

export function brokerHost(id: number): string {
  return `broker-${id}`;
}

export interface NetnsClusterOptions {
  /** Brokers 1..N (default 3). */
  brokers?: number;
  /** More `broker start` flags, for every broker. */
  brokerArgs?: string[];
  /** More `coordinator start` flags. */
  coordinatorArgs?: string[];
  /** Where broker `id` keeps its logs (default: in the cluster's temporary directory). */
  brokerDataDir?: (id: number, root: string) => string;
  timeoutMs?: number;
}

export interface NetnsBroker {
  id: number;
  host: string;
  address: string;
  dataDir: string;
  program: RunningProgram;
}

/** A deno script run in the clients' namespace (workload producer, consumer, agent). */
export function scriptCommand(script: string): string[] {
  return [Deno.execPath(), "run", "-A", "--quiet", `${SCRIPTS}${script}`];
}

/** JSON-lines requests to the agent over its Unix socket. */
export class AgentClient implements Disposable {
  readonly #conn: Deno.Conn;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  #nextId = 0;
  readonly #reading: Promise<void>;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let buffered = "";
    try {
      for await (const chunk of this.#conn.readable.pipeThrough(new TextDecoderStream())) {
        buffered += chunk;
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const reply = JSON.parse(buffered.slice(0, newline)) as {
            id: number;
            ok: boolean;
            result?: unknown;
            error?: string;
          };
          buffered = buffered.slice(newline + 1);
          const waiter = this.#pending.get(reply.id);
          this.#pending.delete(reply.id);
          if (reply.ok) waiter?.resolve(reply.result);
          else waiter?.reject(new Error(reply.error));
        }
      }
    } catch { /* closed */ }
    for (const waiter of this.#pending.values()) waiter.reject(new Error("Agent connection closed"));
    this.#pending.clear();
  }

  /** Ask the agent; fails after timeoutMs. */
  call<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`Agent op ${op} ${JSON.stringify(args)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#conn.write(new TextEncoder().encode(JSON.stringify({ id, op, ...args }) + "\n")).catch(reject);
    });
  }

  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
    void this.#reading;
  }
}

export class NetnsCluster implements AsyncDisposable {
  readonly lab: NetLab;
  readonly root: string;
  readonly brokers = new Map<number, NetnsBroker>();
  readonly options: NetnsClusterOptions;
  coordinator!: RunningProgram;
  agent!: AgentClient;
  #agentProgram: RunningProgram | undefined;
  readonly #root: AsyncDisposable;

  private constructor(lab: NetLab, root: { path: string } & AsyncDisposable, options: NetnsClusterOptions) {
    this.lab = lab;
    this.root = root.path;
    this.#root = root;
    this.options = options;
  }

  /** Build the network, start the coordinator, the brokers and the agent; wait until all see each other. */
  static async start(options: NetnsClusterOptions = {}): Promise<NetnsCluster> {
    const count = options.brokers ?? 3;
    const ids = Array.from({ length: count }, (_, i) => i + 1);
    const root = await tempDir("vltava-partitions-");
    let lab: NetLab;
    try {
      lab = await NetLab.create([COORDINATOR_HOST, ...ids.map(brokerHost), CLIENT_HOST]);
    } catch (error) {
      await root[Symbol.asyncDispose]();
      throw error;
    }
    const cluster = new NetnsCluster(lab, root, options);
    try {
      await cluster.#startCoordinator();
      await Promise.all(ids.map((id) => cluster.startBroker(id)));
      await cluster.#startAgent();
      await cluster.waitForBrokersToSeeEachOther();
    } catch (error) {
      const logs = cluster.logs();
      await cluster[Symbol.asyncDispose]();
      throw new Error(`${(error as Error).message}\n${logs}`);
    }
    return cluster;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? 60_000;
  }

  get coordinatorAddress(): string {
    return `${this.lab.address(COORDINATOR_HOST)}:${COORDINATOR_PORT}`;
  }

  get bootstrap(): string {
    return [...this.brokers.values()].map((b) => `${b.address}:${BROKER_PORT}`).join(",");
  }

  brokerAddress(id: number): string {
    return `${this.lab.address(brokerHost(id))}:${BROKER_PORT}`;
  }

  broker(id: number): NetnsBroker {
    const broker = this.brokers.get(id);
    if (!broker) throw new RangeError(`No broker ${id} in this cluster`);
    return broker;
  }

  async #startCoordinator(): Promise<void> {
    this.coordinator = this.lab.spawn(
      COORDINATOR_HOST,
      [
        "coordinator",
        "start",
        "--host",
        this.lab.address(COORDINATOR_HOST),
        "--port",
        String(COORDINATOR_PORT),
        "--data-dir",
        `${this.root}/coordinator`,
        ...(this.options.coordinatorArgs ?? []),
      ],
      {},
      { timestamps: true },
    );
    await this.coordinator.waitForOutput(/coordinator listening on/, this.timeoutMs);
  }

  /** Start (or restart, on the same data dir) broker `id`; waits for its "listening" line. */
  async startBroker(id: number): Promise<NetnsBroker> {
    const host = brokerHost(id);
    const dataDir = this.options.brokerDataDir?.(id, this.root) ?? `${this.root}/broker-${id}`;
    const program = this.lab.spawn(
      host,
      [
        "broker",
        "start",
        "--id",
        String(id),
        "--host",
        this.lab.address(host),
        "--port",
        String(BROKER_PORT),
        "--coordinator",
        this.coordinatorAddress,
        "--data-dir",
        dataDir,
        ...(this.options.brokerArgs ?? []),
      ],
      {},
      { timestamps: true },
    );
    const broker = { id, host, address: this.lab.address(host), dataDir, program };
    this.brokers.set(id, broker);
    await program.waitForOutput(new RegExp(`broker ${id} listening on`), this.timeoutMs);
    return broker;
  }

  async #startAgent(): Promise<void> {
    const socket = `${this.root}/agent.sock`;
    this.#agentProgram = this.lab.spawn(
      CLIENT_HOST,
      [socket, this.coordinatorAddress, this.bootstrap],
      {},
      { command: scriptCommand("agent.ts") },
    );
    await this.#agentProgram.waitForOutput(/agent ready/, this.timeoutMs);
    this.agent = new AgentClient(await Deno.connect({ transport: "unix", path: socket }));
  }

  /** Until every running broker lists every running broker (a fresh broker refuses assignments naming unseen ones). */
  async waitForBrokersToSeeEachOther(): Promise<void> {
    const running = [...this.brokers.values()].filter((b) => !b.program.exited).map((b) => b.id);
    await Promise.all(running.map((id) =>
      eventually(
        `broker ${id} to see brokers ${running}`,
        async () => {
          const view = await this.agent.call<{ brokers: number[] }>("metadata", {
            broker: this.brokerAddress(id),
          });
          return running.every((other) => view.brokers.includes(other));
        },
        this.timeoutMs,
        250,
      )
    ));
  }

  /** Start a workload script in the clients' namespace with one JSON config argument. */
  spawnClient(script: string, config: unknown): RunningProgram {
    return this.lab.spawn(CLIENT_HOST, [JSON.stringify(config)], {}, { command: scriptCommand(script) });
  }

  /** Brokers whose process ended, with the last lines it wrote. */
  exitedBrokers(): { id: number; output: string }[] {
    return [...this.brokers.values()].filter((b) => b.program.exited).map((b) => ({
      id: b.id,
      output: tail(b.program.stderr + b.program.stdout, 5),
    }));
  }

  /** The last lines of every server process, for failure messages. */
  logs(lines = 15): string {
    const programs: [string, RunningProgram | undefined][] = [
      ["coordinator", this.coordinator],
      ...[...this.brokers.values()].map((b): [string, RunningProgram] => [`broker ${b.id}`, b.program]),
      ["agent", this.#agentProgram],
    ];
    return programs.filter(([, program]) => program !== undefined).map(([name, program]) =>
      `--- ${name}${program!.exited ? " (exited)" : ""}\n${tail(program!.stderr + program!.stdout, lines)}`
    ).join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.agent?.[Symbol.dispose]();
    await this.lab[Symbol.asyncDispose]();
    await this.#root[Symbol.asyncDispose]();
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
