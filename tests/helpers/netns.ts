/**
 * A private network for partition tests, made of Linux network namespaces: one namespace per host
 * (the coordinator, each broker, the clients), each with its loopback up and one veth whose other
 * end sits on a bridge inside a hub namespace of its own. Nothing of it lives in the machine's own
 * namespace, so the hosts reach each other over the bridge and nothing else (there is no route
 * out), addresses cannot clash with the machine's or another run's (10.213.0.0/24 exists only
 * inside), and deleting the namespaces removes every interface and rule at once.
 *
 * Faults: every host namespace holds an nftables table with a set of source addresses whose
 * packets it drops on input. Blocking A→B adds A to B's set (one direction); `cut` blocks both
 * directions; `isolate` cuts one host from several others; `heal` empties every set. Dropping
 * (not rejecting) is what a real partition does: established connections hang, connects time out.
 * Processes are started with `ip netns exec`, which execs the program (same pid), so SIGSTOP and
 * SIGCONT reach it directly.
 *
 * Needs root, iproute2 and nftables (`NETNS_PEERS`, for peerTest). Namespaces are named
 * `vltava-<pid>-<random>-<host>` after the test process that made them; `create` first removes those
 * whose process is gone (a crashed run), and dispose removes its own whatever happened.
 *
 * @example
 * ```ts
 * await using lab = await NetLab.create(["coordinator", "broker-1", "client"]);
 * const server = lab.spawn("coordinator", ["coordinator", "start", "--host", lab.address("coordinator")]);
 * await lab.cut("coordinator", "broker-1");
 * await lab.heal();
 * ```
 */
import { type CommandResult, runCommand } from "./command.ts";
import { hasExecutable, type Peer } from "./peers.ts";
import { RunningProgram, type SpawnOptions } from "./program.ts";

const NAME_PREFIX = "vltava-";
const TABLE = "vltava_nemesis";
const SUBNET = "10.213.0";
const FIRST_HOST_OCTET = 10;

/** What partition tests need; peerTest skips without them (fails under VLTAVA_COMPAT=require). */
export const NETNS_PEERS: Peer[] = [
  {
    install: "root (network namespaces, nftables and tmpfs mounts need it)",
    available: Deno.uid() === 0,
  },
  { install: "apt-get install iproute2", available: hasExecutable("ip") },
  { install: "apt-get install nftables", available: hasExecutable("nft") },
];

/** Run a command that must succeed; the error names it and carries its stderr. */
export async function mustRun(command: string, args: string[], stdin?: string): Promise<string> {
  const result: CommandResult = await runCommand(command, args, { stdin, timeoutMs: 30_000 });
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Does a process with this pid exist and run deno (so a namespace named after it is still in use)? */
function ownerAlive(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes("deno");
  } catch {
    return false;
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await mustRun("ip", ["netns", "list"]);
  // Lines look like "name" or "name (id: 3)".
  return out.split("\n").map((line) => line.split(" ")[0]).filter((name) => name.length > 0);
}

/** Kill whatever still runs inside a namespace, then delete it (its interfaces and rules go with it). */
async function deleteNamespace(name: string): Promise<void> {
  const pids = await runCommand("ip", ["netns", "pids", name], { timeoutMs: 30_000 });
  for (const pid of pids.stdout.split("\n").map(Number).filter((pid) => pid > 0)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* exited meanwhile */ }
  }
  // Deleting fails only when the namespace is already gone, which is the goal anyway.
  await runCommand("ip", ["netns", "delete", name], { timeoutMs: 30_000 });
}

/**
 * Remove namespaces a crashed earlier run left behind: ours by name, whose test process is gone.
 * Namespaces of runs still alive (other test files in parallel) are left alone.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const match = /^vltava-(\d+)-/.exec(name);
    return match !== null && !ownerAlive(Number(match[1]));
  });
  for (const name of stale) await deleteNamespace(name);
  return stale;
}

/** One cut link, for reports: packets from `from` to `to` are dropped. */
export interface Block {
  from: string;
  to: string;
}

export class NetLab implements AsyncDisposable {
  readonly prefix: string;
  readonly hosts: readonly string[];
  readonly #addresses = new Map<string, string>();
  readonly #programs = new Set<RunningProgram>();
  readonly #blocks = new Map<string, Block>();
  #disposed = false;

  private constructor(prefix: string, hosts: readonly string[]) {
    this.prefix = prefix;
    this.hosts = hosts;
    hosts.forEach((host, i) => this.#addresses.set(host, `${SUBNET}.${FIRST_HOST_OCTET + i}`));
  }

  /** Build the network: a hub with a bridge, and one namespace per host wired to it. */
  static async create(hosts: string[]): Promise<NetLab> {
    for (const host of hosts) {
      if (!/^[a-z0-9-]{1,20}$/.test(host)) throw new TypeError(`Invalid host name "${host}": use [a-z0-9-]`);
    }
    if (new Set(hosts).size !== hosts.length) throw new TypeError(`Duplicate host names in ${hosts}`);
    if (hosts.length > 200) throw new RangeError(`At most 200 hosts, not ${hosts.length}`);
    const removed = await removeStaleNamespaces();
    if (removed.length > 0) console.error(`netns: removed ${removed.length} stale namespaces: ${removed}`);
    // The pid marks whose namespaces they are; the random part keeps apart labs of one process
    // (`deno test --parallel` runs test files as workers of one process).
    const run = crypto.randomUUID().slice(0, 8);
    const lab = new NetLab(`${NAME_PREFIX}${Deno.pid}-${run}-`, hosts);
    try {
      await lab.#build();
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
    return lab;
  }

  async #build(): Promise<void> {
    const hub = this.#hub();
    await mustRun("ip", ["netns", "add", hub]);
    await mustRun("ip", ["-n", hub, "link", "add", "br0", "type", "bridge"]);
    await mustRun("ip", ["-n", hub, "link", "set", "br0", "up"]);
    for (const [i, host] of this.hosts.entries()) {
      const ns = this.namespace(host);
      await mustRun("ip", ["netns", "add", ns]);
      // The veth is born with one end in each namespace: it never appears in the machine's own.
      const hubSide = `h${i}`;
      await mustRun("ip", [
        "-n",
        hub,
        "link",
        "add",
        hubSide,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        ns,
      ]);
      await mustRun("ip", ["-n", hub, "link", "set", hubSide, "master", "br0", "up"]);
      await mustRun("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await mustRun("ip", ["-n", ns, "addr", "add", `${this.address(host)}/24`, "dev", "eth0"]);
      await mustRun("ip", ["-n", ns, "link", "set", "eth0", "up"]);
      await mustRun(
        "ip",
        ["netns", "exec", ns, "nft", "-f", "-"],
        [
          `table inet ${TABLE} {`,
          `  set blocked_from { type ipv4_addr; }`,
          `  chain input { type filter hook input priority 0; policy accept; ip saddr @blocked_from drop; }`,
          `}`,
          "",
        ].join("\n"),
      );
    }
  }

  #hub(): string {
    return `${this.prefix}hub`;
  }

  /** The namespace a host lives in. */
  namespace(host: string): string {
    this.#check(host);
    return `${this.prefix}${host}`;
  }

  /** A host's IPv4 address on the bridge. */
  address(host: string): string {
    this.#check(host);
    return this.#addresses.get(host)!;
  }

  #check(host: string): void {
    if (!this.#addresses.has(host)) throw new RangeError(`No host "${host}" in this lab (${this.hosts})`);
  }

  /**
   * Start a long-running process inside a host (vltava by default, or `spawn.command`); it is
   * SIGKILLed on dispose if still running.
   */
  spawn(
    host: string,
    args: string[],
    env: Record<string, string> = {},
    spawn: SpawnOptions = {},
  ): RunningProgram {
    if (this.#disposed) throw new Error("NetLab is disposed");
    const program = new RunningProgram(args, env, {
      ...spawn,
      wrapper: ["ip", "netns", "exec", this.namespace(host)],
    });
    this.#programs.add(program);
    program.status.finally(() => this.#programs.delete(program));
    return program;
  }

  /** Run a command to completion inside a host. */
  run(host: string, command: string[], options: { stdin?: string; timeoutMs?: number } = {}) {
    return runCommand("ip", ["netns", "exec", this.namespace(host), ...command], options);
  }

  /** Drop packets from `from` to `to` (one direction). */
  async block(from: string, to: string): Promise<void> {
    await this.blockAll([{ from, to }]);
  }

  /** Drop several one-way links at once (one nft call per receiving host). */
  async blockAll(blocks: Block[]): Promise<void> {
    const byReceiver = new Map<string, string[]>();
    for (const { from, to } of blocks) {
      if (from === to) throw new RangeError(`Cannot cut ${from} from itself`);
      byReceiver.set(to, [...(byReceiver.get(to) ?? []), this.address(from)]);
      this.#blocks.set(`${from}>${to}`, { from, to });
    }
    for (const [to, sources] of byReceiver) {
      await mustRun("ip", [
        "netns",
        "exec",
        this.namespace(to),
        "nft",
        "add",
        "element",
        "inet",
        TABLE,
        "blocked_from",
        `{ ${sources.join(", ")} }`,
      ]);
    }
  }

  /** Cut the link between two hosts in both directions. */
  async cut(a: string, b: string): Promise<void> {
    await this.blockAll([{ from: a, to: b }, { from: b, to: a }]);
  }

  /** Cut `host` from each of `others` (default: every other host), both directions. */
  async isolate(
    host: string,
    others: readonly string[] = this.hosts.filter((h) => h !== host),
  ): Promise<void> {
    await this.blockAll(others.flatMap((other) => [{ from: host, to: other }, { from: other, to: host }]));
  }

  /** The links cut right now. */
  get blocks(): Block[] {
    return [...this.#blocks.values()];
  }

  /** Restore every link. */
  async heal(): Promise<void> {
    const receivers = new Set([...this.#blocks.values()].map((block) => block.to));
    for (const host of receivers) {
      await mustRun("ip", [
        "netns",
        "exec",
        this.namespace(host),
        "nft",
        "flush",
        "set",
        "inet",
        TABLE,
        "blocked_from",
      ]);
    }
    this.#blocks.clear();
  }

  /** Freeze a process (SIGSTOP): it holds its connections but answers nothing, as in a long GC pause. */
  pause(program: RunningProgram): void {
    program.signal("SIGSTOP");
  }

  /** Let a paused process run again. */
  resume(program: RunningProgram): void {
    program.signal("SIGCONT");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    await Promise.all([...this.#programs].map((program) => program.stop("SIGKILL")));
    for (const host of this.hosts) await deleteNamespace(`${this.prefix}${host}`);
    await deleteNamespace(this.#hub());
  }
}
