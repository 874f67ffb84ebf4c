/**
 * LocalCluster: a coordinator and N brokers as child processes of this program, each with
 * its own data directory under one root and its own log file, stopped together.
 * Used by `vltava dev`; tests and benchmarks start processes through their own helpers.
 */
import { selfCommand } from "../cli/self-command.ts";
import { SUPERVISED_ENV } from "../cli/stop-signals.ts";
import type { LocalSecurity } from "./local-secure.ts";

/** How often the dev cluster's controller checks leader balance (Kafka's default: 300). */
const DEV_LEADER_IMBALANCE_CHECK_SECONDS = 10;

/** What built-in chaos can do to a broker. */
export const CHAOS_ACTIONS = ["kill", "pause", "resume", "stop", "restart"] as const;
export type ChaosAction = (typeof CHAOS_ACTIONS)[number];

export interface LocalClusterOptions {
  brokers: number;
  dataDir: string;
  host: string;
  basePort: number;
  coordinatorPort: number;
  /** An existing ZooKeeper ensemble (`host:port,…[/chroot]`) instead of a built-in coordinator. */
  zookeeper?: string;
  /** How long each process may take to open its port. */
  startTimeoutMs: number;
  /** `dev --secure`: SASL_SSL listeners, brokers logging in as the admin, ACLs enforced. */
  secure?: LocalSecurity;
  /**
   * Ports of each broker's /metrics (index i: broker i + 1) and of the coordinator's; absent: no
   * metrics. Concrete ports (the caller picks free ones for 0), so a restarted broker keeps its own.
   */
  metricsPorts?: { brokers: number[]; coordinator?: number };
  /** `dev --racks a,b,c`: broker N sits in rack N-1 mod the count (a, b, c, a, …); absent: no racks. */
  racks?: string[];
}

export interface ClusterProcess {
  name: string;
  port: number;
  /** The arguments it was started with (a restart uses them again). */
  args: string[];
  logPath: string;
  child: Deno.ChildProcess;
  exited: boolean;
  /** The end of what it wrote (at most TAIL_BYTES), so a failed start can say why without the log. */
  tail: string;
  /** Settles when its output has been copied to the log (both streams ended). */
  outputCopied: Promise<void>;
}

/** How much of a process's latest output a start-up failure quotes. */
const TAIL_BYTES = 2048;

/**
 * Why `process` failed to start, for the person running dev: its last lines (the broker's own
 * error, e.g. a port in use) and where the whole log is. Waits briefly for the output still in
 * the pipes when the process has just exited.
 */
export async function startupFailure(process: ClusterProcess): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([process.outputCopied, new Promise((resolve) => timer = setTimeout(resolve, 1_000))]);
  clearTimeout(timer);
  const lines = process.tail.split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const last = lines.slice(-3).join(" | ");
  return `${process.name} exited during start-up${last === "" ? "" : `: ${last}`} (see ${process.logPath})`;
}

export class LocalCluster {
  readonly options: LocalClusterOptions;
  readonly processes: ClusterProcess[] = [];

  constructor(options: LocalClusterOptions) {
    this.options = options;
  }

  get coordinatorAddress(): string {
    return this.options.zookeeper ?? `${this.options.host}:${this.options.coordinatorPort}`;
  }

  get bootstrap(): string {
    return this.brokerPorts().map((port) => `${this.options.host}:${port}`).join(",");
  }

  /** Where each broker's /metrics is served (broker id -> URL); empty without metrics. */
  brokerMetricsUrls(): Map<number, string> {
    const ports = this.options.metricsPorts?.brokers ?? [];
    return new Map(ports.map((port, i) => [i + 1, `http://${this.options.host}:${port}/metrics`]));
  }

  /** The coordinator's /metrics URL, when it has one (not with --zookeeper). */
  coordinatorMetricsUrl(): string | undefined {
    const port = this.options.metricsPorts?.coordinator;
    return port === undefined ? undefined : `http://${this.options.host}:${port}/metrics`;
  }

  brokerPorts(): number[] {
    return Array.from({ length: this.options.brokers }, (_, i) => this.options.basePort + i);
  }

  /** Start the coordinator, then every broker; resolves when all ports accept connections. */
  async start(
    onProgress: (message: string) => void,
    beforeBrokers: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const { dataDir, host } = this.options;
    await Deno.mkdir(`${dataDir}/logs`, { recursive: true });
    if (this.options.zookeeper !== undefined) {
      onProgress(`using the ZooKeeper ensemble at ${this.coordinatorAddress}`);
    } else onProgress(`starting coordinator on ${this.coordinatorAddress}`);
    if (this.options.zookeeper === undefined) {
      await this.#spawn("coordinator", this.options.coordinatorPort, [
        "coordinator",
        "start",
        "--host",
        host,
        "--port",
        String(this.options.coordinatorPort),
        "--data-dir",
        `${dataDir}/coordinator`,
        ...(this.options.metricsPorts?.coordinator === undefined
          ? []
          : ["--http-port", String(this.options.metricsPorts.coordinator)]),
      ]);
    }
    await beforeBrokers();
    const secure = this.options.secure;
    const brokers = this.brokerPorts().map((port, index) => {
      const id = index + 1;
      onProgress(`starting broker ${id} on ${host}:${port}`);
      return this.#spawn(`broker-${id}`, port, [
        "broker",
        "start",
        "--id",
        String(id),
        ...(this.options.racks === undefined
          ? []
          : ["--rack", this.options.racks[index % this.options.racks.length]]),
        ...(secure === undefined ? ["--host", host, "--port", String(port)] : [
          "--listeners",
          `SASL_SSL://${host}:${port}`,
          "--tls-cert",
          secure.certFile,
          "--tls-key",
          secure.keyFile,
          "--inter-broker-config",
          secure.clientProperties,
          "--authorizer",
          "acl",
          "--super-users",
          `User:${secure.adminUser}`,
          "--coordinator-auth",
          `@${secure.coordinatorAuthFile}`,
        ]),
        "--coordinator",
        this.coordinatorAddress,
        "--data-dir",
        `${dataDir}/broker-${id}`,
        // A laptop cluster restarted with Ctrl-C and `vltava dev` again gets its leaders back soon.
        "--leader-imbalance-check-interval-seconds",
        String(DEV_LEADER_IMBALANCE_CHECK_SECONDS),
        ...(this.options.metricsPorts === undefined
          ? []
          : ["--http-port", String(this.options.metricsPorts.brokers[index])]),
      ]);
    });
    await Promise.all(brokers);
  }

  async #spawn(name: string, port: number, args: string[]): Promise<void> {
    const logPath = `${this.options.dataDir}/logs/${name}.log`;
    const log = await Deno.open(logPath, { create: true, append: true });
    const [command, ...prefix] = selfCommand();
    // Supervised (see src/cli/stop-signals.ts): the child ignores the terminal's Ctrl-C, and the
    // stdin pipe we hold open (never written) tells it when this process is gone.
    const child = new Deno.Command(command, {
      args: [...prefix, ...args],
      env: { [SUPERVISED_ENV]: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const entry: ClusterProcess = {
      name,
      port,
      args,
      logPath,
      child,
      exited: false,
      tail: "",
      outputCopied: Promise.resolve(),
    };
    const index = this.processes.findIndex((process) => process.name === name);
    if (index >= 0) this.processes[index] = entry;
    else this.processes.push(entry);
    // Both streams go to the process's log file; the terminal is kept for the status table.
    // Direct writes (not log.writable, whose writes only reached the file at close), in order.
    let writes = Promise.resolve();
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder(); // one per stream: a character may span two of its chunks
      for await (const chunk of stream) {
        entry.tail = (entry.tail + decoder.decode(chunk, { stream: true })).slice(-TAIL_BYTES);
        writes = writes.then(async () => {
          for (let at = 0; at < chunk.length;) at += await log.write(chunk.subarray(at));
        }).catch(() => {}); // a full or broken log file must not stop the child's output pump
      }
    };
    entry.outputCopied = Promise.all([copy(child.stdout), copy(child.stderr)])
      .then(() => writes)
      .finally(() => log.close());
    child.status.then(() => entry.exited = true);
    await waitForPort(this.options.host, port, this.options.startTimeoutMs, entry);
  }

  /** Broker ids of this cluster (1..N): the only ones chaos acts on. */
  brokerIds(): number[] {
    return Array.from({ length: this.options.brokers }, (_, i) => i + 1);
  }

  /**
   * Built-in chaos on broker `id`: SIGKILL it (kill), SIGSTOP it — the "stuck in garbage
   * collection" case — (pause), SIGCONT it (resume), stop it cleanly with SIGTERM, which makes it
   * hand its leaderships over first (stop), or start it again (restart; a running one is stopped
   * cleanly first). Returns one line saying what was done; throws RangeError for a broker that is
   * not this cluster's.
   */
  async chaos(action: ChaosAction, id: number): Promise<string> {
    const process = this.processes.find((p) => p.name === `broker-${id}`);
    if (!process || !this.brokerIds().includes(id)) {
      throw new RangeError(`Broker ${id} is not part of this dev cluster`);
    }
    const signal = (name: Deno.Signal) => {
      if (process.exited) throw new RangeError(`Broker ${id} is not running (restart it first)`);
      process.child.kill(name);
    };
    switch (action) {
      case "kill":
        signal("SIGKILL");
        await process.child.status;
        return `broker ${id} killed (SIGKILL): its session expires after the session timeout`;
      case "pause":
        signal("SIGSTOP");
        return `broker ${id} paused (SIGSTOP): it answers nothing until resumed`;
      case "resume":
        signal("SIGCONT");
        return `broker ${id} resumed (SIGCONT)`;
      case "stop":
        signal("SIGCONT"); // a paused broker cannot shut down cleanly
        await terminate(process, 15_000);
        return `broker ${id} stopped cleanly (controlled shutdown)`;
      case "restart":
        if (!process.exited) {
          process.child.kill("SIGCONT");
          await terminate(process, 15_000);
        }
        await this.#spawn(process.name, process.port, process.args);
        return `broker ${id} restarted on ${this.options.host}:${process.port}`;
    }
  }

  /** Processes that have exited on their own. */
  failed(): ClusterProcess[] {
    return this.processes.filter((process) => process.exited);
  }

  /** SIGTERM brokers first (controlled shutdown), then the coordinator; SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<void> {
    const brokers = this.processes.filter((process) => process.name !== "coordinator");
    const coordinator = this.processes.filter((process) => process.name === "coordinator");
    await Promise.all(brokers.map((process) => terminate(process, graceMs)));
    await Promise.all(coordinator.map((process) => terminate(process, graceMs)));
  }
}

async function terminate(process: ClusterProcess, graceMs: number): Promise<void> {
  if (process.exited) return;
  try {
    process.child.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      process.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, graceMs);
  await process.child.status;
  clearTimeout(timer);
}

async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  process: ClusterProcess,
): Promise<void> {
  const { name, logPath } = process;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.exited) throw new Error(await startupFailure(process));
    try {
      (await Deno.connect({ hostname: host, port })).close();
      return;
    } catch {
      // Not listening yet: try again until the deadline.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${name} did not open ${host}:${port} within ${timeoutMs} ms (see ${logPath})`);
}
