import assert from "node:assert/strict";
import { LinkedList } from "../src/linked-list.ts";

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
