/** The ZooKeeper client's pure parts: connect strings, paths and chroot, watch bookkeeping, event queues. */
import assert from "node:assert/strict";
import { EventStream, parseConnectString, validatePath } from "../../src/zk/client/mod.ts";
import { prependChroot, stripChroot } from "../../src/zk/client/paths.ts";
import { type WatchEvent, WatchRegistry } from "../../src/zk/client/watch-registry.ts";
import { sortBySequence } from "../../src/zk/recipes/mod.ts";

Deno.test("connect string: hosts, default port, IPv6, chroot", () => {
  assert.deepEqual(parseConnectString("a:1,b:2/app/x"), {
    hosts: [{ host: "a", port: 1 }, { host: "b", port: 2 }],
    chroot: "/app/x",
  });
  assert.deepEqual(parseConnectString("zk"), { hosts: [{ host: "zk", port: 2181 }], chroot: "" });
  assert.deepEqual(parseConnectString("[::1]:2182/"), { hosts: [{ host: "::1", port: 2182 }], chroot: "" });
  assert.throws(() => parseConnectString("/only-chroot"), /no host/);
  assert.throws(() => parseConnectString("a:99999"), /Bad (host|port)/);
  assert.throws(() => parseConnectString("a:1/bad/"), /must not end/);
});

Deno.test("paths: validation and chroot mapping both ways", () => {
  for (const good of ["/", "/a", "/a/b-c_d.e", "/zookeeper/quota"]) validatePath(good);
  for (const bad of ["", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/..", "/a\u0000"]) {
    assert.throws(() => validatePath(bad), TypeError, JSON.stringify(bad));
  }
  validatePath("/queue/", true); // sequential: the server appends the number
  assert.equal(prependChroot("/app", "/"), "/app");
  assert.equal(prependChroot("/app", "/x"), "/app/x");
  assert.equal(prependChroot("", "/x"), "/x");
  assert.equal(stripChroot("/app", "/app"), "/");
  assert.equal(stripChroot("/app", "/app/x/y"), "/x/y");
  assert.equal(stripChroot("/app", "/application"), "/application", "a prefix that is not a path component");
});

Deno.test("watch registry: one-shot kinds are consumed, persistent ones stay, recursive covers descendants", () => {
  const registry = new WatchRegistry();
  const calls: string[] = [];
  const watcher = (name: string) => (event: WatchEvent) => calls.push(`${name}:${event.type}:${event.path}`);
  const data = watcher("data");
  const child = watcher("child");
  const recursive = watcher("recursive");
  registry.add("data", "/a", data);
  registry.add("exist", "/a", data); // the same callback twice fires once
  registry.add("child", "/a", child);
  registry.add("persistentRecursive", "/", recursive);

  const fire = (type: WatchEvent["type"], path: string) => {
    for (const w of registry.materialize({ type, path })) w({ type, path });
  };
  fire("NodeDataChanged", "/a");
  fire("NodeDataChanged", "/a");
  fire("NodeChildrenChanged", "/a");
  fire("NodeDeleted", "/a/b");
  assert.deepEqual(calls, [
    "data:NodeDataChanged:/a",
    "recursive:NodeDataChanged:/a",
    "recursive:NodeDataChanged:/a",
    "child:NodeChildrenChanged:/a",
    "recursive:NodeDeleted:/a/b",
  ]);
  assert.deepEqual(registry.paths("data"), []);
  assert.deepEqual(registry.paths("persistentRecursive"), ["/"]);
  assert.equal(registry.remove(["persistentRecursive"], "/", recursive), true);
  assert.equal(registry.empty, true);
});

Deno.test("event stream: callbacks and iterators; a slow iterator overflows alone", async () => {
  const stream = new EventStream<number>(2);
  const seen: number[] = [];
  stream.subscribe((n) => seen.push(n));
  const slow = stream[Symbol.asyncIterator]();
  const next = stream.next();
  stream.emit(1);
  assert.equal(await next, 1);
  stream.emit(2);
  stream.emit(3);
  stream.emit(4);
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(await slow.next(), { value: 1, done: false });
  assert.deepEqual(await slow.next(), { value: 2, done: false });
  await assert.rejects(slow.next(), /overflowed at 2 unread events/);
  stream.end();
  assert.equal(await stream.next(), undefined);
});

Deno.test("sequence order: by the 10-digit suffix, not by the name before it", () => {
  assert.deepEqual(
    sortBySequence(["z-0000000002", "a-0000000010", "m-0000000001"]),
    ["m-0000000001", "z-0000000002", "a-0000000010"],
  );
});
