/**
 * Starts a real Apache ZooKeeper 3.8 standalone server (Debian package `zookeeper`) for tests and
 * benchmarks: 127.0.0.1, a free port, a temp dataDir, a generated zoo.cfg (tickTime 2000, admin
 * server off, every four-letter word allowed), run as `java -cp /usr/share/java/zookeeper.jar …`
 * (the jar's manifest carries the rest of the classpath, as /usr/share/zookeeper/bin/zkEnv.sh relies
 * on). Ready when `ruok` answers `imok` and `srvr` reports a mode (the server is serving). Disposing kills the JVM and removes the directory.
 *
 * @example
 * ```ts
 * await using zk = await startRealZooKeeper();
 * console.log(zk.connectString); // "127.0.0.1:40123"
 * ```
 */
import { delay, freePort, freePortRun } from "./program.ts";

const JAVA = "java";
const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
// A logging binding so that the server's own log goes to stderr (kept for failure messages) instead of
// slf4j's "no binding" warning. Optional: the server runs without it.
const SLF4J_SIMPLE_JAR = "/usr/share/java/slf4j-simple.jar";
const MAIN_CLASS = "org.apache.zookeeper.server.ZooKeeperServerMain";
const QUORUM_MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/** Options for {@linkcode startRealZooKeeper}. */
export interface RealZooKeeperOptions {
  /** zoo.cfg tickTime; sessions are clamped to [2×, 20×] of it. Default 2000. */
  tickTimeMs?: number;
  /** How long to wait for `imok`. Default 60 s (a cold JVM on a busy 2-core box is slow). */
  startTimeoutMs?: number;
  /** Extra zoo.cfg lines, e.g. `{ forceSync: "no" }`. */
  extraConfig?: Record<string, string>;
}

/** A running real ZooKeeper server; `await using` stops it and removes its data. */
export interface RealZooKeeper extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly connectString: string;
  readonly dataDir: string;
  /** Server log so far (for failure messages). */
  readonly log: string;
  /** Kill the JVM (SIGKILL) and start it again on the same port and data dir; sessions survive. */
  restart(): Promise<void>;
  /** Kill the JVM without restarting it (idempotent). */
  kill(): Promise<void>;
  /** "leader", "follower", "standalone", or "" when it does not answer. */
  mode(): Promise<string>;
  /** Send a four-letter word and return the answer (what arrived within timeoutMs, default 5 s). */
  fourLetterWord(word: string, timeoutMs?: number): Promise<string>;
}

/** Start a standalone ZooKeeper on 127.0.0.1 and wait until it answers `ruok`. */
export async function startRealZooKeeper(options: RealZooKeeperOptions = {}): Promise<RealZooKeeper> {
  const dir = await Deno.makeTempDir({ prefix: "vltava-real-zk-" });
  const port = freePort();
  const dataDir = `${dir}/data`;
  await Deno.mkdir(dataDir);
  const config = {
    tickTime: String(options.tickTimeMs ?? 2000),
    dataDir,
    clientPort: String(port),
    clientPortAddress: "127.0.0.1",
    maxClientCnxns: "0",
    "admin.enableServer": "false",
    "4lw.commands.whitelist": "*",
    ...options.extraConfig,
  };
  const configPath = `${dir}/zoo.cfg`;
  await Deno.writeTextFile(
    configPath,
    Object.entries(config).map(([key, value]) => `${key}=${value}`).join("\n") + "\n",
  );
  const server = new ServerProcess(configPath, dir, port, options.startTimeoutMs ?? 60_000, MAIN_CLASS);
  try {
    await server.start();
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
  return server;
}

class ServerProcess implements RealZooKeeper {
  readonly host = "127.0.0.1";
  readonly port: number;
  readonly dataDir: string;
  #dir: string;
  #configPath: string;
  #startTimeoutMs: number;
  #mainClass: string;
  #child: Deno.ChildProcess | undefined;
  #exited: Promise<unknown> = Promise.resolve();
  #log = "";

  constructor(configPath: string, dir: string, port: number, startTimeoutMs: number, mainClass: string) {
    this.#mainClass = mainClass;
    this.#configPath = configPath;
    this.#dir = dir;
    this.port = port;
    this.dataDir = `${dir}/data`;
    this.#startTimeoutMs = startTimeoutMs;
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  get log(): string {
    return this.#log;
  }

  async start(): Promise<void> {
    const running = this.launch();
    await this.waitReady(running);
  }

  /** Spawn the JVM; returns whether it still runs (a function: read it later). */
  launch(): () => boolean {
    const classpath = [ZOOKEEPER_JAR, exists(SLF4J_SIMPLE_JAR) ? SLF4J_SIMPLE_JAR : ""].filter(Boolean);
    const child = new Deno.Command(JAVA, {
      args: [
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Dzookeeper.jmx.log4j.disable=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        classpath.join(":"),
        this.#mainClass,
        this.#configPath,
      ],
      cwd: this.#dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    let running = true;
    const pumps = [child.stdout, child.stderr].map((stream) => this.#pump(stream));
    this.#exited = child.status.then(async () => {
      running = false;
      await Promise.all(pumps);
    });
    return () => running;
  }

  /** Wait until the server answers `ruok` and serves (`srvr` reports a mode). */
  async waitReady(isRunning: () => boolean): Promise<void> {
    const running = isRunning;
    const deadline = Date.now() + this.#startTimeoutMs;
    while (Date.now() < deadline) {
      if (!running()) throw new Error(`ZooKeeper exited before it was ready; log:\n${this.#log}`);
      // `ruok` answers imok as soon as the port is bound; `srvr` tells whether requests are served.
      const answer = await this.fourLetterWord("ruok").catch(() => "");
      if (answer === "imok" && (await this.fourLetterWord("srvr").catch(() => "")).includes("Mode:")) return;
      await delay(100);
    }
    throw new Error(`ZooKeeper did not answer ruok within ${this.#startTimeoutMs} ms; log:\n${this.#log}`);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        // Bounded: keep the last 64 KiB of log only.
        this.#log = (this.#log + decoder.decode(chunk, { stream: true })).slice(-65536);
      }
    } catch { /* killed */ }
  }

  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** "leader", "follower", "standalone", or "" when it does not answer. */
  async mode(): Promise<string> {
    const answer = await this.fourLetterWord("srvr", 2_000).catch(() => "");
    return /Mode: (\w+)/.exec(answer)?.[1] ?? "";
  }

  async fourLetterWord(word: string, timeoutMs = 5_000): Promise<string> {
    const conn = await Deno.connect({ hostname: this.host, port: this.port });
    // A JVM that has bound the port but is not serving yet may accept and never answer: bound the wait.
    const timer = setTimeout(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    }, timeoutMs);
    try {
      await conn.write(new TextEncoder().encode(word));
      const chunks: Uint8Array[] = [];
      const buffer = new Uint8Array(4096);
      for (let total = 0; total < 1 << 20;) {
        const read = await conn.read(buffer);
        if (read === null) break;
        chunks.push(buffer.slice(0, read));
        total += read;
      }
      return new TextDecoder().decode(concat(chunks));
    } finally {
      clearTimeout(timer);
      try {
        conn.close();
      } catch { /* closed by peer */ }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** A ZooKeeper ensemble of real servers on 127.0.0.1; `await using` stops them all. */
export interface RealZooKeeperEnsemble extends AsyncDisposable {
  readonly servers: RealZooKeeper[];
  /** `127.0.0.1:P1,127.0.0.1:P2,…` (append a chroot as needed). */
  readonly connectString: string;
  /** The server currently leading the ensemble (polls until one says so). */
  leader(timeoutMs?: number): Promise<RealZooKeeper>;
}

/**
 * Start a quorum of `size` real ZooKeeper 3.8 servers (QuorumPeerMain), each with its own client,
 * quorum and election ports and its own data dir (`myid`), and wait until every one serves.
 */
export async function startRealZooKeeperEnsemble(
  size = 3,
  options: RealZooKeeperOptions = {},
): Promise<RealZooKeeperEnsemble> {
  const root = await Deno.makeTempDir({ prefix: "vltava-real-zk-ensemble-" });
  // One run of 3 × size consecutive ports below the ephemeral range: separate freePort() calls
  // can return the same port twice (each is free again once its probe closes), and ZooKeeper
  // refuses a server whose client and election ports are equal (seen in a full run).
  const base = freePortRun(3 * size);
  const ports = Array.from(
    { length: size },
    (_, i) => ({ client: base + 3 * i, quorum: base + 3 * i + 1, election: base + 3 * i + 2 }),
  );
  const servers: ServerProcess[] = [];
  for (let i = 0; i < size; i++) {
    const dir = `${root}/server-${i + 1}`;
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    await Deno.writeTextFile(`${dir}/data/myid`, `${i + 1}\n`);
    const config: Record<string, string> = {
      tickTime: String(options.tickTimeMs ?? 2000),
      initLimit: "10",
      syncLimit: "5",
      dataDir: `${dir}/data`,
      clientPort: String(ports[i].client),
      clientPortAddress: "127.0.0.1",
      maxClientCnxns: "0",
      "admin.enableServer": "false",
      "4lw.commands.whitelist": "*",
      ...options.extraConfig,
    };
    ports.forEach((p, j) => config[`server.${j + 1}`] = `127.0.0.1:${p.quorum}:${p.election}`);
    await Deno.writeTextFile(
      `${dir}/zoo.cfg`,
      Object.entries(config).map(([key, value]) => `${key}=${value}`).join("\n") + "\n",
    );
    servers.push(
      new ServerProcess(
        `${dir}/zoo.cfg`,
        dir,
        ports[i].client,
        options.startTimeoutMs ?? 90_000,
        QUORUM_MAIN_CLASS,
      ),
    );
  }
  const dispose = async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await Deno.remove(root, { recursive: true }).catch(() => {});
  };
  try {
    // All at once: no server serves before a quorum of them is up.
    const running = servers.map((server) => server.launch());
    await Promise.all(servers.map((server, i) => server.waitReady(running[i])));
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    servers,
    connectString: servers.map((server) => server.connectString).join(","),
    async leader(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        for (const server of servers) if (await server.mode() === "leader") return server;
        await delay(200);
      }
      throw new Error(`No ZooKeeper server leads after ${timeoutMs} ms`);
    },
    [Symbol.asyncDispose]: dispose,
  };
}
