/**
 * One fixture, several ZooKeeper-protocol servers: tests written once with `zkServerTest` run
 * against each server kind that is enabled here:
 * - "zookeeper": a real Apache ZooKeeper 3.8 (Debian package), via real-zookeeper.ts; needs the peer.
 * - "coordinator": Vltava's own coordinator (`vltava coordinator start`), via startProgram.
 *
 * VLTAVA_ZK_SERVERS=zookeeper,coordinator chooses explicitly; by default the coordinator runs when
 * its module exists in this tree (src/coordinator/server.ts).
 */
import { PEERS, peerTest } from "./peers.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { eventually, freePort, type RunningProgram, startProgram, tempDir } from "./program.ts";
import { startRealZooKeeper } from "./real-zookeeper.ts";

/** A running server for one test. */
export interface ZkServer extends AsyncDisposable {
  readonly kind: ZkServerKind;
  /** `127.0.0.1:PORT`. */
  readonly connectString: string;
  /** Stop and start again on the same port and data dir, quickly enough that sessions survive. */
  restart(): Promise<void>;
  /** Kill the server (SIGKILL); start() brings it back on the same port and data dir. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export type ZkServerKind = "zookeeper" | "coordinator";

function coordinatorPresent(): boolean {
  try {
    return Deno.statSync(new URL("../../src/coordinator/server.ts", import.meta.url)).isFile;
  } catch {
    return false;
  }
}

/** The server kinds tests run against. */
export function enabledServerKinds(): ZkServerKind[] {
  const chosen = Deno.env.get("VLTAVA_ZK_SERVERS");
  if (chosen) return chosen.split(",").map((kind) => kind.trim()).filter(Boolean) as ZkServerKind[];
  return coordinatorPresent() ? ["zookeeper", "coordinator"] : ["zookeeper"];
}

/** Start a server of the given kind (tickTime 2000 ms: sessions clamp to 4…40 s). */
export async function startZkServer(kind: ZkServerKind): Promise<ZkServer> {
  if (kind === "zookeeper") {
    const zk = await startRealZooKeeper();
    return {
      kind,
      connectString: zk.connectString,
      restart: () => zk.restart(),
      stop: () => zk.kill(),
      start: () => zk.restart(),
      [Symbol.asyncDispose]: () => zk[Symbol.asyncDispose](),
    };
  }
  return await startCoordinator();
}

async function startCoordinator(): Promise<ZkServer> {
  const dir = await tempDir("vltava-coordinator-test-");
  const port = freePort();
  const args = ["coordinator", "start", "--port", String(port), "--data-dir", `${dir.path}/data`];
  let program: RunningProgram | undefined;
  try {
    program = await startProgram(args, port);
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw error;
  }
  return {
    kind: "coordinator",
    connectString: `127.0.0.1:${port}`,
    async restart() {
      await program?.stop("SIGTERM");
      program = await startProgram(args, port);
    },
    async stop() {
      await program?.stop("SIGKILL");
      program = undefined;
    },
    async start() {
      await program?.stop("SIGKILL");
      program = await startProgram(args, port);
    },
    async [Symbol.asyncDispose]() {
      await program?.stop("SIGKILL");
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Register `fn` once per enabled server kind; the server is started before and stopped after. */
export function zkServerTest(name: string, fn: (server: ZkServer) => Promise<void>): void {
  for (const kind of enabledServerKinds()) {
    const run = async () => {
      await using server = await startZkServer(kind);
      await withTimeout(fn(server), TEST_TIMEOUT_MS, name);
    };
    if (kind === "zookeeper") peerTest(`${name} [real ZooKeeper]`, [PEERS.zookeeper], run);
    else Deno.test({ name: `${name} [coordinator]`, sanitizeOps: false, sanitizeResources: false, fn: run });
  }
}

/** A hung test fails after this long instead of blocking the whole run. */
const TEST_TIMEOUT_MS = 180_000;

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Test "${what}" did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Expire a client's session from outside, the way ZooKeeper's own tests do: attach a second client
 * to the same session (id + password) and close it. The victim's connection is dropped when the
 * second one attaches; if the victim re-attaches before the close lands, try again. Give the victim
 * a reconnectDelayMs of a second or so to make the first try win.
 */
export async function expireSession(connectString: string, victim: ZooKeeperClient): Promise<void> {
  const sessionId = victim.sessionId;
  const sessionPassword = victim.sessionPassword;
  await eventually(
    `session 0x${sessionId.toString(16)} to expire`,
    async () => {
      if (victim.state === "expired") return true;
      const thief = await ZooKeeperClient.connect(connectString, {
        sessionId,
        sessionPassword,
        connectTimeoutMs: 10_000,
      })
        .catch(() => undefined);
      await thief?.close();
      return await eventuallyState(victim, "expired", 2_000);
    },
    60_000,
    10,
  );
}

async function eventuallyState(client: ZooKeeperClient, state: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (client.state === state) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
