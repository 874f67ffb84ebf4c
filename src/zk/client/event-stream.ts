/**
 * EventStream: one producer, many consumers, each either a callback or an async iterator. Every
 * iterator has its own bounded queue: a consumer that stops reading cannot make the process grow
 * without bound; on overflow that iterator yields what it holds, then fails with a RangeError naming
 * the knob, and the others carry on.
 *
 * @example
 * ```ts
 * const stream = new EventStream<string>(100);
 * const stop = stream.subscribe((event) => console.log(event));
 * stream.emit("hello");
 * stop();
 * for await (const event of stream) if (event === "done") break;
 * ```
 */
export class EventStream<T> implements AsyncIterable<T> {
  /** Unread events each async iterator may hold. */
  readonly maxQueuedEvents: number;
  #listeners = new Set<(event: T) => void>();
  #iterators = new Set<QueueIterator<T>>();
  #ended = false;

  /** A stream whose iterators hold at most maxQueuedEvents unread events. */
  constructor(maxQueuedEvents = 1000) {
    this.maxQueuedEvents = maxQueuedEvents;
  }

  /** Has end() been called? */
  get ended(): boolean {
    return this.#ended;
  }

  /** Call listener for every later event; returns the function that unsubscribes it. */
  subscribe(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Deliver an event to every callback (errors thrown by callbacks are reported, not propagated). */
  emit(event: T): void {
    if (this.#ended) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        reportListenerError(error);
      }
    }
    for (const iterator of this.#iterators) iterator.push(event);
  }

  /** No more events: iterators finish after draining what they hold; callbacks are dropped. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#listeners.clear();
    for (const iterator of this.#iterators) iterator.finish();
    this.#iterators.clear();
  }

  /** The next event, or undefined when the stream ends first. */
  async next(): Promise<T | undefined> {
    const iterator = this[Symbol.asyncIterator]();
    try {
      const result = await iterator.next();
      return result.done ? undefined : result.value;
    } finally {
      await iterator.return?.();
    }
  }

  /** A new iterator that sees events emitted from now on. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const iterator = new QueueIterator<T>(this.maxQueuedEvents, () => this.#iterators.delete(iterator));
    if (this.#ended) iterator.finish();
    else this.#iterators.add(iterator);
    return iterator;
  }
}

class QueueIterator<T> implements AsyncIterator<T> {
  #queue: T[] = [];
  #waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: Error) => void } | undefined;
  #finished = false;
  #error: Error | undefined;
  #maxQueuedEvents: number;
  #detach: () => void;

  constructor(maxQueuedEvents: number, detach: () => void) {
    this.#maxQueuedEvents = maxQueuedEvents;
    this.#detach = detach;
  }

  push(event: T): void {
    if (this.#finished) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#queue.length >= this.#maxQueuedEvents) {
      this.#error = new RangeError(
        `Event queue overflowed at ${this.#maxQueuedEvents} unread events (read faster or raise maxQueuedEvents)`,
      );
      // Keep what is queued: the reader gets those events, then the error.
      this.finish();
      return;
    }
    this.#queue.push(event);
  }

  finish(): void {
    this.#finished = true;
    this.#detach();
    if (this.#waiter && this.#queue.length === 0) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      if (this.#error) waiter.reject(this.#error);
      else waiter.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift()!, done: false });
    if (this.#error) {
      const error = this.#error;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  return(): Promise<IteratorResult<T>> {
    this.#queue = [];
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }
}

function reportListenerError(error: unknown): void {
  // A listener's bug must not break delivery to the others nor the connection's read loop.
  console.error("zk: event listener threw:", error);
}
