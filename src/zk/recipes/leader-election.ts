/**
 * Leader election: every candidate creates an ephemeral sequential node under one parent; the
 * smallest is the leader. Each candidate watches only its predecessor, so when the leader goes only
 * its successor wakes up (no herd). A candidate learns it lost leadership when its node is deleted,
 * when its session expires or is closed, or when it has not heard from the server for longer than the
 * session timeout (by then the server has expired the session and someone else may lead: stop
 * acting as leader before that can overlap). If the node vanishes while the session lives (an
 * operator deleted it), the candidate joins again at the back of the queue.
 *
 * @example
 * ```ts
 * const election = new LeaderElection(zk, "/vltava/controller", { data: "broker-1" });
 * election.events.subscribe((event) => console.log(event.type));
 * await election.start();
 * await election.waitUntilLeader();
 * ```
 */
import { ErrorCode, KeeperError } from "../protocol/mod.ts";
import type { NodeData, ZooKeeperClient } from "../client/client.ts";
import { EventStream } from "../client/event-stream.ts";
import { joinPath } from "../client/paths.ts";
import type { SessionEvent } from "../client/session.ts";
import type { Watcher } from "../client/watch-registry.ts";
import { isConnectionLoss, SequentialQueueNode, sortBySequence } from "./sequential-queue.ts";

/** What a candidate learns. */
export type ElectionEvent =
  | { type: "elected" }
  | { type: "following"; leader: string }
  | { type: "lost"; reason: string };

/** Options of {@linkcode LeaderElection}. */
export interface ElectionOptions {
  /** Data of the candidate's node (e.g. its id), readable by everyone through leader(). */
  data?: NodeData;
  /** Node name prefix. Default "candidate-". */
  prefix?: string;
}

/** One candidate in an election. */
export class LeaderElection implements AsyncDisposable {
  /** elected, following and lost, in order. */
  readonly events: EventStream<ElectionEvent> = new EventStream<ElectionEvent>(1000);
  /** The parent node of the candidates. */
  readonly path: string;
  #client: ZooKeeperClient;
  #node: SequentialQueueNode;
  #data: NodeData | undefined;
  #leader = false;
  #stopped = false;
  #evaluating = false;
  #again = false;
  #wakeups = 0;
  #lastLeader: string | undefined;
  #unsubscribe: (() => void) | undefined;
  #disconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #watcher: Watcher = () => {
    this.#wakeups++;
    this.#evaluate();
  };

  /** A candidate in the election at `path` (nothing happens until start()). */
  constructor(client: ZooKeeperClient, path: string, options: ElectionOptions = {}) {
    this.#client = client;
    this.path = path;
    this.#data = options.data;
    this.#node = new SequentialQueueNode(client, path, options.prefix ?? "candidate-");
  }

  /** Is this candidate the leader right now? */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Full path of this candidate's node (undefined before start or after stop). */
  get nodePath(): string | undefined {
    return this.#node.path;
  }

  /** How many watch notifications woke this candidate (the no-herd property keeps it small). */
  get wakeups(): number {
    return this.#wakeups;
  }

  /** Join the election; resolves after the first evaluation (events tell the outcome). */
  async start(): Promise<void> {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#client.sessionEvents.subscribe((event) => this.#onSession(event));
    await this.#node.create(this.#data);
    await this.#evaluate();
  }

  /** Resolve once elected; rejects when the election stops or the session ends first. */
  waitUntilLeader(): Promise<void> {
    if (this.#leader) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const unsubscribe = this.events.subscribe((event) => {
        if (event.type === "elected") {
          unsubscribe();
          resolve();
        } else if (event.type === "lost" && this.#stopped) {
          unsubscribe();
          reject(new Error(`Election ended before leadership: ${event.reason}`));
        }
      });
      if (this.#stopped) {
        unsubscribe();
        reject(new Error("Election is stopped"));
      }
    });
  }

  /** The current leader's node name and data, or null when there are no candidates. */
  async leader(): Promise<{ name: string; data: Uint8Array | null } | null> {
    for (;;) {
      const children = (await this.#client.getChildren(this.path)).filter((name) =>
        name.startsWith(this.#node.prefix)
      );
      const [first] = sortBySequence(children);
      if (first === undefined) return null;
      try {
        const { data } = await this.#client.getData(joinPath(this.path, first));
        return { name: first, data };
      } catch (error) {
        if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
      }
    }
  }

  /** Leave the election (deleting the node); a leader emits lost("stopped"). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#disconnectTimer);
    this.#unsubscribe?.();
    this.#setLost("stopped");
    // Our node is ephemeral: if removing it fails, the session's end removes it anyway.
    if (this.#client.state === "connected") await this.#node.remove().catch(() => {});
    this.events.end();
  }

  /** Leave the election (see stop()). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #evaluate(): Promise<void> {
    if (this.#evaluating) {
      this.#again = true;
      return;
    }
    this.#evaluating = true;
    try {
      do {
        this.#again = false;
        await this.#evaluateOnce();
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // Connection loss: the re-attach triggers another evaluation. Anything else is reported.
      if (
        !isConnectionLoss(error) && !(error instanceof KeeperError && error.code === ErrorCode.sessionExpired)
      ) {
        console.error("zk election:", error);
      }
    } finally {
      this.#evaluating = false;
    }
  }

  async #evaluateOnce(): Promise<void> {
    if (this.#stopped || this.#client.state !== "connected") return;
    const position = await this.#node.position(this.#watcher);
    if (this.#stopped) return;
    switch (position.kind) {
      case "first": {
        // Watch our own node too: if someone deletes it we must stop leading.
        const stat = await this.#client.exists(this.#node.path!, this.#watcher);
        if (stat === null) return this.#evaluateOnce();
        if (!this.#leader) {
          this.#leader = true;
          this.events.emit({ type: "elected" });
        }
        return;
      }
      case "waiting":
        this.#setLost("another candidate leads");
        if (this.#lastLeader !== position.children[0]) {
          this.#lastLeader = position.children[0];
          this.events.emit({ type: "following", leader: position.children[0] });
        }
        return;
      case "gone":
        this.#setLost("our election node was deleted");
        this.#lastLeader = undefined;
        await this.#node.create(this.#data);
        return this.#evaluateOnce();
    }
  }

  #setLost(reason: string): void {
    if (!this.#leader) return;
    this.#leader = false;
    this.events.emit({ type: "lost", reason });
  }

  #onSession(event: SessionEvent): void {
    switch (event.type) {
      case "disconnected":
        clearTimeout(this.#disconnectTimer);
        // The server counts the timeout from when it last heard from us, which is about when we last
        // heard from it, not from when we noticed the connection was gone (up to 2/3 of it later).
        this.#disconnectTimer = setTimeout(
          () => this.#setLost("disconnected for longer than the session timeout"),
          Math.max(0, event.lastHeardMs + this.#client.sessionTimeoutMs - Date.now()),
        );
        return;
      case "connected":
        clearTimeout(this.#disconnectTimer);
        this.#evaluate();
        return;
      case "expired":
      case "closed":
        clearTimeout(this.#disconnectTimer);
        this.#setLost(event.type === "expired" ? "session expired" : "client closed");
        this.#stopped = true;
        this.#unsubscribe?.();
        this.events.end();
        return;
    }
  }
}
