import assert from "node:assert/strict";
import { LinkedKeySet, LinkedList } from "../src/linked-list.ts";

Deno.test("entries keep their order; any one leaves in O(1) through its node, once", () => {
  const list = new LinkedList<string>();
  const a = list.push("a");
  const b = list.push("b");
  const c = list.push("c");
  list.remove(b);
  assert.deepEqual([...list], ["a", "c"]);
  list.remove(b); // a second time: nothing
  assert.equal(list.size, 2);
  assert.equal(b.linked, false);
  list.remove(a);
  assert.equal(list.first, "c");
  list.push("d");
  list.remove(c);
  assert.deepEqual([...list], ["d"]);
  list.remove(list.push("e"));
  assert.deepEqual([...list], ["d"]);
  assert.equal(list.size, 1);
});

Deno.test("an iteration goes on past the entry it just yielded when that one is removed", () => {
  const list = new LinkedList<number>();
  const nodes = [1, 2, 3, 4].map((n) => list.push(n));
  const seen: number[] = [];
  for (const value of list) {
    seen.push(value);
    list.remove(nodes[value - 1]); // as a wake releases each waiter
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(list.size, 0);
  assert.equal(list.first, undefined);
  assert.deepEqual([...list], []);
});

Deno.test("an entry moved to the end is the newest and still leaves through its node", () => {
  const list = new LinkedList<string>();
  const a = list.push("a");
  const b = list.push("b");
  list.push("c");
  list.moveToEnd(a);
  assert.deepEqual([...list], ["b", "c", "a"]);
  list.moveToEnd(a); // the newest already: nothing
  assert.deepEqual([...list], ["b", "c", "a"]);
  list.moveToEnd(b);
  assert.deepEqual([...list], ["c", "a", "b"]);
  assert.equal(list.size, 3);
  list.remove(a);
  list.remove(b);
  assert.deepEqual([...list], ["c"]);
  list.moveToEnd(b); // removed: nothing
  assert.deepEqual([...list], ["c"]);
  assert.equal(list.size, 1);
});

Deno.test("a LinkedKeySet behaves as an insertion-ordered Set while its keys come and go", () => {
  const keys = new LinkedKeySet<string>();
  keys.add("a");
  keys.add("b");
  keys.add("a"); // a member keeps its place
  assert.deepEqual([...keys], ["a", "b"]);
  keys.delete("a");
  assert.equal(keys.has("a"), false);
  keys.add("c");
  keys.add("a"); // back: now the newest
  assert.deepEqual([...keys], ["b", "c", "a"]);
  for (const key of keys) if (key !== "c") keys.delete(key); // deleting the key just yielded
  assert.deepEqual([...keys], ["c"]);
  assert.equal(keys.size, 1);
  assert.equal(keys.known, 3, "a deleted key's node is kept for its return");
  keys.forget("a");
  keys.forget("c");
  assert.equal(keys.known, 1);
  assert.deepEqual([...keys], []);
  keys.add("c");
  assert.deepEqual([...keys], ["c"]);
});
