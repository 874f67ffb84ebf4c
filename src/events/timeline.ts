/**
 * Timeline: the event timeline of one cluster, as a library. It watches the coordinator tree
 * (TreeWatcher → TreeModel → events) and samples the brokers (BrokerSampler), and keeps every event
 * in one bounded EventLog that `vltava events` prints and the console serves. The coordinator is
 * the source of truth for membership and leadership; the brokers for progress and groups. Without
 * an explicit bootstrap the brokers registered in the tree are asked.
 *
 * @example
 * ```ts
 * await using timeline = await Timeline.start({ coordinator: "127.0.0.1:2181" });
 * for await (const event of timeline.log.follow()) console.log(event.type);
 * ```
 */
import { ZooKeeperClient } from "../zk/client/mod.ts";
import type { NewEvent } from "./cluster-event.ts";
import { BrokerSampler } from "./broker-sampler.ts";
import { DEFAULT_EVENT_CAPACITY, EventLog } from "./event-log.ts";
import { TreeModel } from "./tree-model.ts";
import { TreeWatcher, type WatchMode } from "./tree-watcher.ts";
import type { ClientSecurity } from "../client/security.ts";

export interface TimelineOptions {
  /** Connect string of the coordinator (or a ZooKeeper ensemble), chroot included. */
  coordinator: string;
  /** Brokers for sampling; default: the live brokers of the tree. */
  bootstrap?: string;
  /** TLS / SASL for the broker connections. */
  security?: ClientSecurity;
  /** Sampling interval of high watermarks and groups; 0: no sampling (tree events only). Default 1000. */
  sampleIntervalMs?: number;
  /** Events kept. Default DEFAULT_EVENT_CAPACITY. */
  capacity?: number;
  /** Force the watch mode (default: recursive when the server has it). */
  watchMode?: WatchMode;
  /** Session timeout asked of the coordinator. Default 30 s. */
  sessionTimeoutMs?: number;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
  log?: (message: string) => void;
}

export class Timeline implements AsyncDisposable {
  readonly log: EventLog;
  readonly model = new TreeModel();
  readonly #watcher: TreeWatcher;
  readonly #options: TimelineOptions;
  #sampler: BrokerSampler | undefined;

  private constructor(options: TimelineOptions) {
    this.#options = options;
    this.log = new EventLog(options.capacity ?? DEFAULT_EVENT_CAPACITY);
    this.#watcher = new TreeWatcher(
      () =>
        ZooKeeperClient.connect(options.coordinator, {
          sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
          connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
        }),
      this.model,
      (events) => this.#record(events),
      { mode: options.watchMode, log: options.log },
    );
  }

  /** Connect, read the tree (its history becomes replayed events), and start following. */
  static async start(options: TimelineOptions): Promise<Timeline> {
    const timeline = new Timeline(options);
    await timeline.#watcher.start();
    timeline.#maybeStartSampler();
    return timeline;
  }

  /** How the tree is watched: "recursive" or "one-shot". */
  get watchMode(): WatchMode {
    return this.#watcher.mode;
  }

  /** The broker sampler, once started (it needs a bootstrap: given, or a registered broker). */
  get sampler(): BrokerSampler | undefined {
    return this.#sampler;
  }

  /** The coordinator session (for the console's tree browser). */
  get zk(): ZooKeeperClient | undefined {
    return this.#watcher.client;
  }

  #record(events: NewEvent[]): void {
    for (const event of events) this.log.append(event);
    this.#maybeStartSampler();
  }

  #maybeStartSampler(): void {
    const intervalMs = this.#options.sampleIntervalMs ?? 1000;
    if (this.#sampler || intervalMs <= 0) return;
    const bootstrap = this.#options.bootstrap ??
      [...this.model.brokers.values()].map((b) => `${b.host}:${b.port}`).join(",");
    if (bootstrap.length === 0) return;
    this.#sampler = new BrokerSampler(
      { bootstrap, security: this.#options.security },
      (events) => this.#record(events),
      this.#options.log,
    );
    this.#sampler.start(intervalMs);
  }

  /** Stop watching and sampling; followers of the log finish. */
  async stop(): Promise<void> {
    await this.#sampler?.stop();
    await this.#watcher.stop();
    this.log.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
