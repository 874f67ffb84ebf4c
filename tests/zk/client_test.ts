/**
 * The ZooKeeper client against real servers (tests/helpers/zk-servers.ts): a real Apache ZooKeeper
 * 3.8 and, when present, Vltava's coordinator. Each test gets its own server.
 */
import assert from "node:assert/strict";
import {
  type ClientOptions,
  type SessionEvent,
  TransactionError,
  type WatchEvent,
  watchOnce,
  ZooKeeperClient,
} from "../../src/zk/client/mod.ts";
import {
  CREATOR_ALL_ACL,
  ErrorCode,
  KeeperError,
  OPEN_ACL_UNSAFE,
  Perms,
} from "../../src/zk/protocol/mod.ts";
import { eventually } from "../helpers/program.ts";
import { expireSession, zkServerTest } from "../helpers/zk-servers.ts";

const text = (bytes: Uint8Array | null) => bytes === null ? null : new TextDecoder().decode(bytes);

function connect(connectString: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
  return ZooKeeperClient.connect(connectString, {
    sessionTimeoutMs: 10_000,
    connectTimeoutMs: 30_000,
    ...options,
  });
}

async function rejectsWith(promise: Promise<unknown>, code: number): Promise<KeeperError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KeeperError, `expected KeeperError, got ${error}`);
    assert.equal(error.code, code, `expected code ${code}, got ${error.message}`);
    return error;
  }
  assert.fail(`expected KeeperError ${code}, but it resolved`);
}

/** Collects session events from the moment of the call. */
function recordSessionEvents(client: ZooKeeperClient): SessionEvent[] {
  const events: SessionEvent[] = [];
  client.sessionEvents.subscribe((event) => events.push(event));
  return events;
}

zkServerTest("zk client: create, read, update, delete with versions and typed errors", async (server) => {
  await using zk = await connect(server.connectString);
  assert.equal(zk.state, "connected");
  assert.ok(zk.sessionTimeoutMs >= 4000 && zk.sessionTimeoutMs <= 10_000);

  assert.equal(await zk.create("/app", "hello"), "/app");
  const { data, stat } = await zk.getData("/app");
  assert.equal(text(data), "hello");
  assert.equal(stat.version, 0);
  assert.equal(stat.dataLength, 5);
  assert.equal(stat.ephemeralOwner, 0n);

  const updated = await zk.setData("/app", "v2", 0);
  assert.equal(updated.version, 1);
  await rejectsWith(zk.setData("/app", "v3", 0), ErrorCode.badVersion);
  assert.equal(text((await zk.getData("/app")).data), "v2");

  await rejectsWith(zk.create("/app"), ErrorCode.nodeExists);
  await rejectsWith(zk.create("/missing/child"), ErrorCode.noNode);
  const error = await rejectsWith(zk.getData("/nope"), ErrorCode.noNode);
  assert.equal(error.path, "/nope");
  assert.equal(await zk.exists("/nope"), null);

  await zk.create("/app/child", null);
  assert.equal((await zk.getData("/app/child")).data, null, "null data stays null");
  await zk.create("/app/empty", "");
  assert.deepEqual((await zk.getData("/app/empty")).data, new Uint8Array(0));
  assert.deepEqual((await zk.getChildren("/app")).sort(), ["child", "empty"]);
  const { children, stat: parentStat } = await zk.getChildren2("/app");
  assert.equal(children.length, 2);
  assert.equal(parentStat.numChildren, 2);

  await rejectsWith(zk.delete("/app"), ErrorCode.notEmpty);
  await rejectsWith(zk.delete("/app/child", 7), ErrorCode.badVersion);
  await zk.delete("/app/child", 0);
  await zk.delete("/app/empty");
  await zk.delete("/app");
  assert.equal(await zk.exists("/app"), null);

  await assert.rejects(zk.create("relative"), TypeError);
  await assert.rejects(zk.getData("/a//b"), TypeError);
});

zkServerTest("zk client: sequential names count per parent with 10 digits", async (server) => {
  await using zk = await connect(server.connectString);
  await zk.create("/q");
  const names = [];
  for (let i = 0; i < 3; i++) names.push(await zk.create("/q/item-", String(i), { sequential: true }));
  assert.deepEqual(names, ["/q/item-0000000000", "/q/item-0000000001", "/q/item-0000000002"]);
  await zk.delete(names[2]);
  // Deletes do not reuse numbers: the counter only rises with creates.
  assert.equal(await zk.create("/q/e-", null, { sequential: true, ephemeral: true }), "/q/e-0000000003");
  const { path, stat } = await zk.create2("/q/", "x", { sequential: true });
  assert.equal(path, "/q/0000000004");
  assert.equal(stat.version, 0);
});

zkServerTest("zk client: ephemerals belong to the session and vanish when it closes", async (server) => {
  await using observer = await connect(server.connectString);
  const owner = await connect(server.connectString);
  await owner.create("/e", "mine", { ephemeral: true });
  await owner.create("/p");
  await rejectsWith(owner.create("/e/child"), ErrorCode.noChildrenForEphemerals);

  const stat = await observer.exists("/e");
  assert.equal(stat?.ephemeralOwner, owner.sessionId);
  assert.deepEqual(await owner.getEphemerals(), ["/e"]);
  assert.deepEqual(await observer.getEphemerals(), []);

  const gone = watchOnce();
  await observer.exists("/e", gone.watcher);
  const events = recordSessionEvents(owner);
  await owner.close();
  assert.deepEqual(await gone.event, { type: "NodeDeleted", path: "/e" });
  assert.equal(await observer.exists("/e"), null);
  assert.notEqual(await observer.exists("/p"), null, "persistent nodes stay");
  assert.deepEqual(events, [{ type: "closed" }]);
  assert.equal(owner.state, "closed");
  await rejectsWith(owner.getData("/p"), ErrorCode.connectionLoss);
});

zkServerTest("zk client: watches fire once, with the right event types", async (server) => {
  await using zk = await connect(server.connectString);
  await using other = await connect(server.connectString);
  const seen: WatchEvent[] = [];
  const record = (event: WatchEvent) => seen.push(event);

  await zk.create("/w", "0");
  await zk.getData("/w", record);
  await other.setData("/w", "1");
  await other.setData("/w", "2");
  await eventually("data watch", () => seen.length >= 1);
  await zk.sync("/w");
  await zk.getData("/w"); // a round trip after both writes: a second event would be here by now
  assert.deepEqual(seen, [{ type: "NodeDataChanged", path: "/w" }]);

  const created = watchOnce();
  assert.equal(await zk.exists("/w/new", created.watcher), null);
  await other.create("/w/new");
  assert.deepEqual(await created.event, { type: "NodeCreated", path: "/w/new" });

  const children = watchOnce();
  await zk.getChildren("/w", children.watcher);
  await other.create("/w/second");
  assert.deepEqual(await children.event, { type: "NodeChildrenChanged", path: "/w" });

  const deleted = watchOnce();
  await zk.getData("/w/new", deleted.watcher);
  await other.delete("/w/new");
  assert.deepEqual(await deleted.event, { type: "NodeDeleted", path: "/w/new" });

  // A failed getData (no node) registers nothing; removeWatches says so.
  await rejectsWith(zk.getData("/w/absent", record), ErrorCode.noNode);
  await rejectsWith(zk.removeWatches("/w/absent", "data"), ErrorCode.noWatcher);
  const removed: WatchEvent[] = [];
  await zk.getData("/w", (event) => removed.push(event));
  await zk.removeWatches("/w", "data");
  await other.setData("/w", "3");
  await zk.getData("/w");
  assert.deepEqual(removed, []);
});

zkServerTest("zk client: persistent and recursive watches as async iterators", async (server) => {
  await using zk = await connect(server.connectString);
  await using other = await connect(server.connectString);
  // One connection has one watch mode per path (the server keeps the last), so use two clients.
  await using third = await connect(server.connectString);
  await zk.create("/tree");
  const recursive = await zk.addWatch("/tree", { recursive: true });
  const persistent = await third.addWatch("/tree");
  await other.create("/tree/a");
  await other.setData("/tree/a", "x");
  await other.create("/tree/a/b");
  await other.delete("/tree/a/b");

  const got: WatchEvent[] = [];
  for await (const event of recursive) {
    got.push(event);
    if (got.length === 4) break;
  }
  assert.deepEqual(got, [
    { type: "NodeCreated", path: "/tree/a" },
    { type: "NodeDataChanged", path: "/tree/a" },
    { type: "NodeCreated", path: "/tree/a/b" },
    { type: "NodeDeleted", path: "/tree/a/b" },
  ]);
  const first = await persistent[Symbol.asyncIterator]().next();
  assert.deepEqual(first.value, { type: "NodeChildrenChanged", path: "/tree" });
  await recursive.remove();
  await persistent.remove();
});

zkServerTest("zk client: multi is all or nothing", async (server) => {
  await using zk = await connect(server.connectString);
  await zk.create("/m", "0");
  const results = await zk.transaction()
    .check("/m", 0)
    .create("/m/a", "a")
    .create("/m/s-", null, { sequential: true })
    .setData("/m", "1")
    .delete("/m/a")
    .commit();
  assert.deepEqual(results.map((result) => result.type), ["check", "create", "create", "setData", "delete"]);
  assert.deepEqual(results[2], { type: "create", path: "/m/s-0000000001" });
  assert.equal(results[3].type === "setData" && results[3].stat.version, 1);

  const failing = zk.transaction().create("/m/b").setData("/m", "2", 99).create("/m/c");
  const error = await rejectsWith(failing.commit(), ErrorCode.badVersion);
  assert.ok(error instanceof TransactionError);
  assert.equal(error.index, 1);
  assert.equal(error.codes[0], ErrorCode.ok);
  assert.equal(error.codes[1], ErrorCode.badVersion);
  assert.equal(await zk.exists("/m/b"), null, "nothing of a failed multi is applied");
  assert.equal(text((await zk.getData("/m")).data), "1");
});

zkServerTest("zk client: chroot applies to paths, results, events and ephemerals", async (server) => {
  await using root = await connect(server.connectString);
  await root.mkdirp("/apps/one");
  await using zk = await connect(`${server.connectString}/apps/one`);
  assert.equal(zk.chroot, "/apps/one");
  assert.equal(await zk.create("/x", "1"), "/x");
  assert.equal(text((await root.getData("/apps/one/x")).data), "1");
  assert.equal(await zk.create("/x/s-", null, { sequential: true, ephemeral: true }), "/x/s-0000000000");
  assert.deepEqual(await zk.getEphemerals(), ["/x/s-0000000000"]);
  assert.deepEqual(await zk.getChildren("/"), ["x"]);
  assert.equal((await zk.transaction().create("/y").commit())[0].type === "create", true);

  const event = watchOnce();
  await zk.getData("/x", event.watcher);
  await root.setData("/apps/one/x", "2");
  assert.deepEqual(await event.event, { type: "NodeDataChanged", path: "/x" });
  assert.equal(await zk.sync("/x"), "/x");
  await zk.deleteRecursive("/x");
  assert.equal(await root.exists("/apps/one/x"), null);
  assert.notEqual(await root.exists("/apps/one"), null);
});

zkServerTest("zk client: ACLs, digest auth, whoAmI, counts, mkdirp and deleteRecursive", async (server) => {
  await using zk = await connect(server.connectString);
  await using stranger = await connect(server.connectString);
  await zk.addAuth("digest", "alice:secret");
  const who = await zk.whoAmI();
  assert.ok(who.some((info) => info.authScheme === "digest" && info.user === "alice"), JSON.stringify(who));

  await zk.create("/private", "s", { acl: CREATOR_ALL_ACL });
  const { acl } = await zk.getACL("/private");
  assert.equal(acl.length, 1);
  assert.equal(acl[0].id.scheme, "digest");
  assert.match(acl[0].id.id, /^alice:/);
  await rejectsWith(stranger.getData("/private"), ErrorCode.noAuth);
  await zk.setACL("/private", OPEN_ACL_UNSAFE);
  assert.equal(text((await stranger.getData("/private")).data), "s");
  assert.equal((await zk.getACL("/private")).stat.aversion, 1);

  await zk.mkdirp("/deep/a/b/c", "leaf");
  await zk.mkdirp("/deep/a/b/c");
  await zk.create("/deep/a/x");
  assert.equal(text((await zk.getData("/deep/a/b/c")).data), "leaf");
  assert.equal(await zk.getAllChildrenNumber("/deep"), 4);
  await zk.deleteRecursive("/deep");
  assert.equal(await zk.exists("/deep"), null);
  await zk.deleteRecursive("/deep"); // already gone: fine
});

zkServerTest(
  "zk client: defaultAcl protects every node created without an ACL of its own",
  async (server) => {
    const world = (perms: number) => ({ perms, id: { scheme: "world", id: "anyone" } });
    const creator = { perms: Perms.all, id: { scheme: "auth", id: "" } };
    // The creator may do all, others only read; the path decides (as a broker's coordinator-acls.ts does).
    const asked: string[] = [];
    await using zk = await connect(server.connectString, {
      defaultAcl: (path) => {
        asked.push(path);
        return path === "/guarded/open" ? OPEN_ACL_UNSAFE : [creator, world(Perms.read)];
      },
    });
    await zk.addAuth("digest", "owner:secret");
    await zk.mkdirp("/guarded/a/b");
    await zk.create("/guarded/c", "c");
    await zk.create2("/guarded/d", "d");
    await zk.create("/guarded/seq-", "s", { sequential: true });
    await zk.create("/guarded/open", "o");
    await zk.create("/guarded/own", "x", { acl: OPEN_ACL_UNSAFE }); // an explicit ACL wins
    await zk.transaction().create("/guarded/t", "t").commit();
    assert.deepEqual(asked, [
      "/guarded",
      "/guarded/a",
      "/guarded/a/b",
      "/guarded/c",
      "/guarded/d",
      "/guarded/seq-",
      "/guarded/open",
      "/guarded/t",
    ]);
    await using stranger = await connect(server.connectString);
    const children = (await stranger.getChildren("/guarded")).map((child) => `/guarded/${child}`);
    assert.equal(children.length, 7);
    for (const path of ["/guarded", "/guarded/a/b", ...children]) {
      const { acl } = await stranger.getACL(path);
      const shown = acl.map((entry) => `${entry.id.scheme}:${entry.id.id.split(":")[0]}:${entry.perms}`)
        .sort();
      const open = path === "/guarded/open" || path === "/guarded/own";
      assert.deepEqual(shown, open ? ["world:anyone:31"] : ["digest:owner:31", "world:anyone:1"], path);
    }
    await rejectsWith(stranger.setData("/guarded/t", "changed"), ErrorCode.noAuth);
    await rejectsWith(stranger.create("/guarded/a/intruder", ""), ErrorCode.noAuth);
    await stranger.setData("/guarded/open", "changed");
  },
);

zkServerTest("zk client: pipelined requests come back in order", async (server) => {
  await using zk = await connect(server.connectString);
  await zk.create("/pipe");
  const creates = Array.from({ length: 200 }, (_, i) => zk.create(`/pipe/n${i}`, String(i)));
  assert.equal((await Promise.all(creates)).length, 200);
  const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => zk.getData(`/pipe/n${i}`)));
  assert.deepEqual(reads.map((read) => text(read.data)), Array.from({ length: 200 }, (_, i) => String(i)));
});

zkServerTest(
  "zk client: a dropped connection re-attaches the session, keeps ephemerals, re-registers watches",
  async (server) => {
    await using zk = await connect(server.connectString);
    await using other = await connect(server.connectString);
    await zk.create("/r", "0");
    await zk.create("/r/eph", null, { ephemeral: true });
    const sessionId = zk.sessionId;
    const events = recordSessionEvents(zk);
    const changed = watchOnce();
    await zk.getData("/r", changed.watcher);

    const reconnected = zk.sessionEvents.next();
    zk.reconnect();
    await reconnected; // disconnected
    await eventually("re-attach", () => zk.state === "connected");
    assert.equal(zk.sessionId, sessionId);
    assert.deepEqual(events.map((event) => event.type), ["disconnected", "connected"]);
    assert.equal(events[1].type === "connected" && events[1].reattached, true);

    await other.setData("/r", "1");
    assert.deepEqual(await changed.event, { type: "NodeDataChanged", path: "/r" });
    assert.equal((await other.exists("/r/eph"))?.ephemeralOwner, sessionId);
  },
);

zkServerTest(
  "zk client: a quick server restart keeps the session, its ephemerals and watches",
  async (server) => {
    await using zk = await connect(server.connectString);
    await zk.create("/restart", "0");
    await zk.create("/restart/eph", "e", { ephemeral: true });
    const sessionId = zk.sessionId;
    const childChange = watchOnce();
    await zk.getChildren("/restart", childChange.watcher);
    const disconnected = eventuallyEvent(zk, "disconnected");

    await server.restart();
    await disconnected;
    // A request made while disconnected waits for the re-attach instead of failing.
    assert.equal(text((await zk.getData("/restart/eph")).data), "e");
    assert.equal(zk.sessionId, sessionId);

    await using other = await connect(server.connectString);
    assert.equal((await other.exists("/restart/eph"))?.ephemeralOwner, sessionId);
    await other.create("/restart/new");
    assert.deepEqual(await childChange.event, { type: "NodeChildrenChanged", path: "/restart" });
  },
);

zkServerTest("zk client: session expiry is reported, ephemerals go and requests fail", async (server) => {
  const zk = await connect(server.connectString, { reconnectDelayMs: 1000 });
  await using observer = await connect(server.connectString);
  await zk.create("/x-eph", null, { ephemeral: true });
  const events = recordSessionEvents(zk);
  // A second client attached to the same session closes it; the first learns on re-attaching.
  await expireSession(server.connectString, zk);
  assert.equal(events.at(-1)?.type, "expired");
  assert.equal(zk.state, "expired");
  await rejectsWith(zk.exists("/"), ErrorCode.sessionExpired);
  assert.equal(await observer.exists("/x-eph"), null);
  await zk.close();
});

zkServerTest("zk client: connecting to a dead address fails with CONNECTIONLOSS in time", async (server) => {
  const port = Number(server.connectString.split(":")[1]);
  const dead = `127.0.0.1:${port === 65535 ? 1 : port + 1}`;
  const error = await rejectsWith(
    ZooKeeperClient.connect(dead, { connectTimeoutMs: 1500 }),
    ErrorCode.connectionLoss,
  );
  assert.match(error.message, /Could not connect/);
  // With a dead host first in the list, the client moves on to the live one.
  await using zk = await connect(`${dead},${server.connectString}`);
  assert.equal(zk.server, server.connectString);
});

function eventuallyEvent(client: ZooKeeperClient, type: SessionEvent["type"]): Promise<SessionEvent> {
  return new Promise((resolve) => {
    const unsubscribe = client.sessionEvents.subscribe((event) => {
      if (event.type === type) {
        unsubscribe();
        resolve(event);
      }
    });
  });
}

zkServerTest(
  "zk client: while disconnected, requests wait, bounded in number and in time",
  async (server) => {
    await using zk = await connect(server.connectString, { requestTimeoutMs: 1_000, maxPendingRequests: 2 });
    await zk.create("/b", "1");
    const disconnected = eventuallyEvent(zk, "disconnected");
    await server.stop();
    await disconnected;
    const first = zk.getData("/b");
    const second = zk.getData("/b");
    await assert.rejects(zk.getData("/b"), /Too many pending requests: 2 \(raise maxPendingRequests\)/);
    await rejectsWith(first, ErrorCode.operationTimeout);
    await rejectsWith(second, ErrorCode.operationTimeout);

    await server.start();
    await eventually("re-attached", () => zk.state === "connected", 60_000);
    assert.equal(text((await zk.getData("/b")).data), "1");
  },
);
