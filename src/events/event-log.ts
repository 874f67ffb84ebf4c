/**
 * EventLog: the timeline's memory. Numbers events (seq), keeps the latest `capacity` of them in a
 * ring (older ones fall off: the log is bounded whatever the cluster does), answers "since T" and
 * "after seq N" queries, and pushes new events to subscribers. Each subscriber has a bounded queue
 * (EventStream): a reader that falls `maxQueuedEvents` behind is cut off with an error instead of
 * growing memory — a slow or vanished viewer costs the writer nothing.
 *
 * @example
 * ```ts
 * const log = new EventLog(10_000);
 * log.append({ type: "topic-deleted", time: Date.now(), topic: "orders" });
 * for await (const event of log.follow()) console.log(event.seq, event.type);
 * ```
 */
import { EventStream } from "../zk/client/event-stream.ts";
import type { ClusterEvent, NewEvent } from "./cluster-event.ts";

/** Default number of events kept. */
export const DEFAULT_EVENT_CAPACITY = 20_000;

export class EventLog {
  readonly capacity: number;
  readonly #ring: ClusterEvent[] = [];
  /** Index in #ring of the oldest event once the ring is full. */
  #head = 0;
  #nextSeq = 1;
  readonly #stream: EventStream<ClusterEvent>;

  constructor(capacity = DEFAULT_EVENT_CAPACITY, maxQueuedEvents = 10_000) {
    if (!(capacity > 0)) throw new RangeError(`EventLog capacity must be positive, got ${capacity}`);
    this.capacity = capacity;
    this.#stream = new EventStream(maxQueuedEvents);
  }

  /** Number the event, keep it, and deliver it to every follower. Returns the numbered event. */
  append(event: NewEvent): ClusterEvent {
    const numbered = { ...event, seq: this.#nextSeq++ } as ClusterEvent;
    if (this.#ring.length < this.capacity) {
      this.#ring.push(numbered);
    } else {
      this.#ring[this.#head] = numbered;
      this.#head = (this.#head + 1) % this.capacity;
    }
    this.#stream.emit(numbered);
    return numbered;
  }

  /** Sequence number the next event gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Every kept event in order (oldest first). */
  all(): ClusterEvent[] {
    return [...this.#ring.slice(this.#head), ...this.#ring.slice(0, this.#head)];
  }

  /** Kept events with time >= sinceMs and seq > afterSeq, oldest first, at most `limit` (the newest). */
  query(options: { sinceMs?: number; afterSeq?: number; limit?: number } = {}): ClusterEvent[] {
    const sinceMs = options.sinceMs ?? -Infinity;
    const afterSeq = options.afterSeq ?? 0;
    const found = this.all().filter((event) => event.time >= sinceMs && event.seq > afterSeq);
    return options.limit !== undefined && found.length > options.limit
      ? found.slice(found.length - options.limit)
      : found;
  }

  /** Callback for every later event; returns the unsubscribe function. Must not block. */
  subscribe(listener: (event: ClusterEvent) => void): () => void {
    return this.#stream.subscribe(listener);
  }

  /** An async iterator of later events; throws RangeError if the reader falls too far behind. */
  follow(): AsyncIterableIterator<ClusterEvent> {
    const iterator = this.#stream[Symbol.asyncIterator]();
    return {
      next: () => iterator.next(),
      return: () => iterator.return?.() ?? Promise.resolve({ value: undefined, done: true }),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** No more events: followers finish after draining. */
  close(): void {
    this.#stream.end();
  }
}
