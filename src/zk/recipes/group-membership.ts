/**
 * Group membership: `<path>/registry/<id>` is a persistent node per member ever seen (with its last
 * data), `<path>/live/<id>` an ephemeral node per member alive now. Observers watch the live list
 * and get one change event per change they see (who joined, who left, the full lists). Brokers use
 * it as: registry = every broker id the cluster knows, live = brokers up right now.
 *
 * @example
 * ```ts
 * const group = new GroupMembership(zk, "/vltava/brokers");
 * group.events.subscribe(({ joined, left }) => console.log({ joined, left }));
 * await group.watch();
 * await group.join("1", JSON.stringify({ host: "127.0.0.1", port: 9092 }));
 * ```
 */
import { ErrorCode, KeeperError } from "../protocol/mod.ts";
import type { NodeData, ZooKeeperClient } from "../client/client.ts";
import { EventStream } from "../client/event-stream.ts";
import { joinPath } from "../client/paths.ts";
import type { Watcher } from "../client/watch-registry.ts";
import { isConnectionLoss } from "./sequential-queue.ts";

/** One observed change of the live list. */
export interface MembershipChange {
  /** Live members now, sorted. */
  live: string[];
  /** Members ever registered, sorted. */
  registered: string[];
  /** Members live now that were not before. */
  joined: string[];
  /** Members live before that are not now. */
  left: string[];
}

/** A view of (and optionally a member of) one group. */
export class GroupMembership implements AsyncDisposable {
  /** One event per observed change of the live list (after watch()). */
  readonly events: EventStream<MembershipChange> = new EventStream<MembershipChange>(1000);
  /** The group's node. */
  readonly path: string;
  /** `<path>/registry`: a persistent child per member ever seen. */
  readonly registryPath: string;
  /** `<path>/live`: an ephemeral child per member alive now. */
  readonly livePath: string;
  #client: ZooKeeperClient;
  #memberId: string | undefined;
  #live: string[] | undefined;
  #watching = false;
  #refreshing = false;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #watcher: Watcher = () => this.#refresh();

  /** A view of the group at `path` (nothing happens until join() or watch()). */
  constructor(client: ZooKeeperClient, path: string) {
    this.#client = client;
    this.path = path;
    this.registryPath = joinPath(path, "registry");
    this.livePath = joinPath(path, "live");
  }

  /**
   * Join as memberId: record it in the registry (creating or updating its data) and create the
   * ephemeral live node. Throws NODEEXISTS when another live session already uses this id.
   */
  async join(memberId: string, data?: NodeData): Promise<void> {
    if (memberId === "" || memberId.includes("/")) throw new TypeError(`Bad member id: "${memberId}"`);
    await this.#ensureParents();
    const registered = joinPath(this.registryPath, memberId);
    try {
      await this.#client.create(registered, data);
    } catch (error) {
      if (!(error instanceof KeeperError && error.code === ErrorCode.nodeExists)) throw error;
      await this.#client.setData(registered, data ?? new Uint8Array(0));
    }
    const live = joinPath(this.livePath, memberId);
    try {
      await this.#client.create(live, data, { ephemeral: true });
    } catch (error) {
      if (!(error instanceof KeeperError && error.code === ErrorCode.nodeExists)) throw error;
      // Ours already (a retry after connection loss)? Anyone else's is a conflict.
      const stat = await this.#client.exists(live);
      if (stat?.ephemeralOwner !== this.#client.sessionId) {
        throw new KeeperError(ErrorCode.nodeExists, live, `member "${memberId}" is live in another session`);
      }
    }
    this.#memberId = memberId;
  }

  /** Leave: delete the live node (the registry entry stays). */
  async leave(): Promise<void> {
    const memberId = this.#memberId;
    this.#memberId = undefined;
    if (memberId === undefined) return;
    try {
      await this.#client.delete(joinPath(this.livePath, memberId));
    } catch (error) {
      if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
    }
  }

  /** Live member ids, sorted. */
  async liveMembers(): Promise<string[]> {
    return await this.#children(this.livePath);
  }

  /** Every member id ever registered, sorted. */
  async registeredMembers(): Promise<string[]> {
    return await this.#children(this.registryPath);
  }

  /** A member's data: its live node's when live, else the registry's; null when unknown. */
  async memberData(memberId: string): Promise<Uint8Array | null> {
    for (const parent of [this.livePath, this.registryPath]) {
      try {
        return (await this.#client.getData(joinPath(parent, memberId))).data;
      } catch (error) {
        if (!(error instanceof KeeperError && error.code === ErrorCode.noNode)) throw error;
      }
    }
    return null;
  }

  /** Start change notifications; returns the live members now (the first event, always emitted, lists them as joined). */
  async watch(): Promise<string[]> {
    if (!this.#watching) {
      this.#watching = true;
      await this.#ensureParents();
      this.#unsubscribe = this.#client.sessionEvents.subscribe((event) => {
        if (event.type === "connected") this.#refresh();
        else if (event.type === "expired" || event.type === "closed") this.#end();
      });
      await this.#refresh();
    }
    return [...(this.#live ?? [])];
  }

  /** Stop notifications and leave. */
  async stop(): Promise<void> {
    this.#end();
    // The live node is ephemeral: if leaving fails, the session's end removes it anyway.
    if (this.#client.state === "connected") await this.leave().catch(() => {});
  }

  /** Stop notifications and leave (see stop()). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #end(): void {
    this.#watching = false;
    this.#unsubscribe?.();
    this.events.end();
  }

  async #ensureParents(): Promise<void> {
    await this.#client.mkdirp(this.registryPath);
    await this.#client.mkdirp(this.livePath);
  }

  async #children(path: string): Promise<string[]> {
    try {
      return (await this.#client.getChildren(path)).sort();
    } catch (error) {
      if (error instanceof KeeperError && error.code === ErrorCode.noNode) return [];
      throw error;
    }
  }

  async #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return;
    }
    this.#refreshing = true;
    try {
      do {
        this.#again = false;
        if (!this.#watching || this.#client.state !== "connected") return;
        const live = (await this.#client.getChildren(this.livePath, this.#watcher)).sort();
        const first = this.#live === undefined;
        const previous = this.#live ?? [];
        const joined = live.filter((id) => !previous.includes(id));
        const left = previous.filter((id) => !live.includes(id));
        this.#live = live;
        if (joined.length + left.length > 0 || first) {
          this.events.emit({ live, registered: await this.registeredMembers(), joined, left });
        }
      } while (this.#again && this.#watching);
    } catch (error) {
      // Connection loss: the re-attach refreshes again. The parent deleted: nothing to watch.
      if (
        !isConnectionLoss(error) && !(error instanceof KeeperError && error.code === ErrorCode.sessionExpired)
      ) {
        console.error("zk membership:", error);
      }
    } finally {
      this.#refreshing = false;
    }
  }
}
