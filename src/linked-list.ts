/**
 * An insertion-ordered list whose entries come and go in O(1) through the node push() returned,
 * without hashing and without allocating anything but the node.
 *
 * Why not a Set or a Map: a long-lived one that entries join and leave all the time (the
 * waiters of a busy partition, the partitions of a fetch session that changed, the sessions in
 * least-recently-used order) gets a new hash table every few changes, because a deleted entry
 * leaves a hole until the table is rebuilt, and V8 makes the rebuilt table of an old Set or Map
 * in its old space, which only a full mark-compact frees. On a leader at 5,000 records/s with
 * acks=all those tables (the purgatory's, the fetch sessions', the buffer pool's) were half of
 * what its old space grew by, 1.3 MB/s, and it ran a mark-compact every 4-6 s, whose marking
 * threads kept other processes' woken threads waiting 2-4 ms at a time on this 2-vCPU machine
 * (issue 14; tests/broker/old-space-churn_test.ts). A node is made young and, when its entry
 * leaves soon, dies young.
 *
 * @example
 * ```ts
 * const waiters = new LinkedList<string>();
 * const node = waiters.push("fetch 1");
 * waiters.push("fetch 2");
 * waiters.remove(node);          // O(1); removing twice is harmless
 * for (const w of waiters) { }   // "fetch 2"; the node just visited may be removed meanwhile
 * ```
 */

/** One entry: hold it to remove the entry later. */
export interface ListNode<T> {
  readonly value: T;
  /** Still in its list. */
  readonly linked: boolean;
}

interface Node<T> extends ListNode<T> {
  linked: boolean;
  prev: Node<T> | null;
  next: Node<T> | null;
}

export class LinkedList<T> implements Iterable<T> {
  #head: Node<T> | null = null;
  #tail: Node<T> | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The oldest entry, if any. */
  get first(): T | undefined {
    return this.#head?.value;
  }

  /** Append value; the node removes it again. */
  push(value: T): ListNode<T> {
    const node: Node<T> = { value, linked: false, prev: null, next: null };
    this.relink(node);
    return node;
  }

  /** Take node's entry out (nothing when it is out already). It must be a node of this list. */
  remove(listNode: ListNode<T>): void {
    const node = listNode as Node<T>;
    if (!node.linked) return;
    node.linked = false;
    if (node.prev === null) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.#tail = node.prev;
    else node.next.prev = node.prev;
    // node.next stays: an iteration standing on this node goes on from there.
    node.prev = null;
    this.#size--;
  }

  /** Put a node removed from this list (or a fresh one) back as its newest entry; nothing when it is linked. */
  relink(listNode: ListNode<T>): void {
    const node = listNode as Node<T>;
    if (node.linked) return;
    node.linked = true;
    node.prev = this.#tail;
    node.next = null;
    if (this.#tail === null) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#size++;
  }

  /** Make node's entry the newest (it must be in this list): a move, nothing allocated. */
  moveToEnd(listNode: ListNode<T>): void {
    const node = listNode as Node<T>;
    if (!node.linked || node === this.#tail) return;
    this.remove(node);
    this.relink(node);
  }

  /**
   * The values, oldest first. The node of the value just yielded may be removed before the next
   * step; any other change during the iteration is not allowed.
   */
  *[Symbol.iterator](): Iterator<T> {
    for (let node = this.#head; node !== null; node = node.next) yield node.value;
  }
}

/**
 * An insertion-ordered set of keys that keep coming and going (a follower's partitions that need
 * its fetcher's attention: one leaves with every fetch and is back with its answer). A key's node
 * outlives its leaving, so neither the index nor the list churns; forget() drops a key for good.
 * Like a Set, adding a member keeps its place, and iteration may delete the key just yielded.
 */
export class LinkedKeySet<K> implements Iterable<K> {
  readonly #nodes = new Map<K, ListNode<K>>();
  readonly #list = new LinkedList<K>();

  get size(): number {
    return this.#list.size;
  }

  has(key: K): boolean {
    return this.#nodes.get(key)?.linked === true;
  }

  add(key: K): void {
    const node = this.#nodes.get(key);
    if (node === undefined) this.#nodes.set(key, this.#list.push(key));
    else this.#list.relink(node);
  }

  /** Take key out, keeping its node for its return. */
  delete(key: K): void {
    const node = this.#nodes.get(key);
    if (node !== undefined) this.#list.remove(node);
  }

  /** Take key out for good. */
  forget(key: K): void {
    const node = this.#nodes.get(key);
    if (node === undefined) return;
    this.#list.remove(node);
    this.#nodes.delete(key);
  }

  /** Keys with a node kept, in the set or not (for tests). */
  get known(): number {
    return this.#nodes.size;
  }

  [Symbol.iterator](): Iterator<K> {
    return this.#list[Symbol.iterator]();
  }
}
