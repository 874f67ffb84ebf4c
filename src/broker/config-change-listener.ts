/**
 * The broker's ear for config changes: one watch on the children of /config/changes (not one per
 * topic), as Kafka's ZkNodeChangeNotificationListener. Each new notification (a sequence number
 * above the last one handled) names an entity whose overrides the broker re-reads and applies
 * (`onChange`). Notifications older than NOTIFICATION_EXPIRY_MS are deleted by whichever broker
 * sees them first, so the list stays as long as the last quarter hour of changes.
 *
 * Changes made before start() are not replayed: the broker reads every config it needs when it
 * opens a log, and start() comes before that. After a session expiry, restart() arms the watch on
 * the new session and handles whatever arrived meanwhile (sequence numbers outlive sessions).
 */
import { mapBounded } from "./cluster-tree.ts";
import type { Coordination } from "./coordination.ts";
import {
  CONFIG_CHANGE_PREFIX,
  CONFIG_CHANGES_PATH,
  type ConfigEntity,
  decodeConfigChange,
} from "./zk-layout.ts";

/** Kafka's default changeExpirationMs: notifications are kept this long, then deleted. */
export const NOTIFICATION_EXPIRY_MS = 15 * 60_000;
/** Notifications read per round; more wait for the next round (the watch was re-armed). */
const MAX_PER_ROUND = 1_000;
const CHANGE_NAME = CONFIG_CHANGE_PREFIX.slice(CONFIG_CHANGES_PATH.length + 1);

export interface ConfigChangeListenerDeps {
  coordination: Coordination;
  /** Apply the entity's current overrides; errors are logged and the next change tries again. */
  onChange: (entity: ConfigEntity) => Promise<void>;
  log: (message: string) => void;
  now?: () => number;
}

export class ConfigChangeListener {
  readonly #deps: ConfigChangeListenerDeps;
  /** Highest sequence number handled; -1 before start(). */
  #lastSequence = -1;
  /** Creation times of the notifications seen, for expiry (name → ms). */
  readonly #created = new Map<string, number>();
  #round: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(deps: ConfigChangeListenerDeps) {
    this.#deps = deps;
  }

  /** Arm the watch; what is already there counts as handled (and is expired in time). */
  async start(): Promise<void> {
    const names = await this.#children();
    for (const name of names) this.#lastSequence = Math.max(this.#lastSequence, sequenceOf(name));
    const nodes = await mapBounded(
      names,
      (name) => this.#deps.coordination.getData(`${CONFIG_CHANGES_PATH}/${name}`),
    );
    names.forEach((name, index) => {
      const node = nodes[index];
      if (node !== null) this.#created.set(name, node.createdMs);
    });
  }

  /** On a new session: arm the watch again and handle what arrived meanwhile. */
  restart(): Promise<void> {
    return this.#schedule();
  }

  /** Stop handling notifications (a watch that fires later is ignored). */
  close(): Promise<void> {
    this.#closed = true;
    return this.#round ?? Promise.resolve();
  }

  /** One round at a time; a watch firing during a round asks for another. */
  #schedule(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#round !== null) {
      this.#again = true;
      return this.#round;
    }
    this.#round = (async () => {
      do {
        this.#again = false;
        try {
          await this.#handleNew();
        } catch (error) {
          // The coordinator went away mid-round: restart() on the new session, or the next
          // notification's watch, runs another round from the same sequence number.
          this.#deps.log(`config changes: ${(error as Error).message}`);
        }
      } while (this.#again && !this.#closed);
    })().finally(() => this.#round = null);
    return this.#round;
  }

  async #children(): Promise<string[]> {
    const names = await this.#deps.coordination.getChildren(CONFIG_CHANGES_PATH, () => void this.#schedule());
    return (names ?? []).filter((name) => name.startsWith(CHANGE_NAME));
  }

  async #handleNew(): Promise<void> {
    const names = (await this.#children()).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    const fresh = names.filter((name) => sequenceOf(name) > this.#lastSequence).slice(0, MAX_PER_ROUND);
    for (const name of fresh) {
      if (this.#closed) return;
      const path = `${CONFIG_CHANGES_PATH}/${name}`;
      const node = await this.#deps.coordination.getData(path);
      this.#lastSequence = sequenceOf(name);
      // Gone already: another broker expired it, so it is older than anything we could miss.
      if (node === null) continue;
      this.#created.set(name, node.createdMs);
      let entity: ConfigEntity;
      try {
        entity = decodeConfigChange(path, node.data);
      } catch (error) {
        // A notification we cannot read names nothing we could re-read; the rest still count.
        this.#deps.log(`config changes: skipping ${(error as Error).message}`);
        continue;
      }
      try {
        await this.#deps.onChange(entity);
      } catch (error) {
        this.#deps.log(
          `config change of ${entity.type}/${entity.name} not applied: ${(error as Error).message}`,
        );
      }
    }
    if (fresh.length === MAX_PER_ROUND) this.#again = true;
    await this.#expire();
  }

  async #expire(): Promise<void> {
    const cutoff = (this.#deps.now ?? Date.now)() - NOTIFICATION_EXPIRY_MS;
    for (const [name, createdMs] of this.#created) {
      if (createdMs >= cutoff) continue;
      this.#created.delete(name);
      await this.#deps.coordination.deleteRecursive(`${CONFIG_CHANGES_PATH}/${name}`);
    }
  }
}

function sequenceOf(name: string): number {
  const sequence = Number(name.slice(CHANGE_NAME.length));
  return Number.isSafeInteger(sequence) ? sequence : -1;
}
