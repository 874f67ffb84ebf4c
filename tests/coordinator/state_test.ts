/** Unit tests of the coordinator's state: tree, ops, watches, sessions, journal, snapshots. */
import assert from "node:assert/strict";
import { tempDir } from "../helpers/program.ts";
import { Database } from "../../src/coordinator/database.ts";
import { Processor, sequenceSuffix } from "../../src/coordinator/ops.ts";
import { type Watcher, WatchManager } from "../../src/coordinator/watches.ts";
import { SessionTracker } from "../../src/coordinator/sessions.ts";
import { invalidPathReason } from "../../src/coordinator/paths.ts";
import { digestId } from "../../src/coordinator/acl.ts";
import {
  Journal,
  journalFileName,
  listJournalFiles,
  PREALLOCATE_BYTES,
  replayJournal,
} from "../../src/coordinator/journal.ts";
import { Reader, type Writer } from "../../src/wire/mod.ts";
import { listSnapshots } from "../../src/coordinator/snapshot.ts";
import {
  ErrorCode,
  EventType,
  OpCode,
  OPEN_ACL_UNSAFE,
  type WatcherEvent,
  type ZkRequest,
} from "../../src/zk/protocol/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);

class Recorder implements Watcher {
  events: [number, string][] = [];
  notify(event: WatcherEvent): void {
    this.events.push([event.type, event.path]);
  }
}

async function open(dir: string, snapshotEveryTxns = 1_000_000) {
  const db = await Database.open(dir, { snapshotEveryTxns });
  const watches = new WatchManager();
  const processor = new Processor(db, watches);
  const watcher = new Recorder();
  const ctx = { sessionId: 0x0100_0000_0000_0001n, authIds: [{ scheme: "ip", id: "127.0.0.1" }], watcher };
  const run = (request: ZkRequest) => processor.execute(ctx, request);
  return { db, watches, processor, watcher, ctx, run };
}

const create = (path: string, flags = 0, data: Uint8Array | null = null): ZkRequest => ({
  op: OpCode.create,
  path,
  data,
  acl: OPEN_ACL_UNSAFE,
  flags,
});

Deno.test("paths are validated as the real server does (for writes)", () => {
  for (const good of ["/", "/a", "/a/b", "/a.b", "/..a", "/a/...", "/zookeeper"]) {
    assert.equal(invalidPathReason(good), undefined, good);
  }
  for (const bad of ["", "a", "/a/", "//a", "/a//b", "/a/.", "/a/..", "/./a", "/a\u0000b", "/a\u0001"]) {
    assert.notEqual(invalidPathReason(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("sequence suffixes are %010d, negative counters included", () => {
  assert.equal(sequenceSuffix(0), "0000000000");
  assert.equal(sequenceSuffix(42), "0000000042");
  assert.equal(sequenceSuffix(-5), "-000000005");
});

Deno.test("digest ids are user:base64(sha1(user:pass))", () => {
  // Expected value computed independently with python3 hashlib + base64.
  assert.equal(digestId("super:secret"), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");
});

Deno.test("create, sequential names, cversion and stat fields follow the reference", async () => {
  await using dir = await tempDir();
  const { db, run } = await open(dir.path);
  assert.equal(run({ op: OpCode.exists, path: "/", watch: false }).response?.op, OpCode.exists);
  const root = run({ op: OpCode.exists, path: "/", watch: false }).response as { stat: { cversion: number } };
  assert.equal(root.stat.cversion, -1);
  const zk = run({ op: OpCode.exists, path: "/zookeeper", watch: false }).response as {
    stat: { cversion: number };
  };
  assert.equal(zk.stat.cversion, -2);

  assert.equal(run(create("/a", 0, text("x"))).err, 0);
  assert.deepEqual(run(create("/a/s", 2)).response, { op: OpCode.create, path: "/a/s0000000000" });
  assert.equal(run({ op: OpCode.delete, path: "/a/s0000000000", version: -1 }).err, 0);
  assert.equal(run(create("/a/b")).err, 0);
  assert.equal(run(create("/a/b")).err, ErrorCode.nodeExists); // failed creates do not count
  assert.deepEqual(run(create("/a/s", 2)).response, { op: OpCode.create, path: "/a/s0000000002" });
  const a = run({ op: OpCode.exists, path: "/a", watch: false });
  const stat = (a.response as unknown as { stat: Record<string, unknown> }).stat;
  assert.equal(stat.numChildren, 2);
  assert.equal(stat.cversion, 4); // 3 creates + 1 delete
  assert.equal(stat.dataLength, 1);
  assert.equal(stat.pzxid, db.lastZxid);

  const created = run({ op: OpCode.create2, path: "/n", data: null, acl: OPEN_ACL_UNSAFE, flags: 0 });
  const n = (created.response as unknown as { stat: Record<string, unknown> }).stat;
  assert.equal(n.czxid, created.zxid);
  assert.equal(n.mzxid, created.zxid);
  assert.equal(n.pzxid, created.zxid);
  assert.equal(n.ctime, n.mtime);
  assert.equal(n.version, 0);
  assert.equal(n.ephemeralOwner, 0n);
  const got = run({ op: OpCode.getData, path: "/n", watch: false }).response as { data: unknown };
  assert.equal(got.data, null); // null data stays null, distinct from empty
  await db.close();
});

Deno.test("write errors come back with the documented codes", async () => {
  await using dir = await tempDir();
  const { db, run, ctx } = await open(dir.path);
  run(create("/p", 0));
  assert.equal(run(create("/missing/x")).err, ErrorCode.noNode);
  assert.equal(run(create("p")).err, ErrorCode.badArguments);
  assert.equal(run(create("/p//x")).err, ErrorCode.badArguments);
  assert.equal(run(create("/p/x", 9)).err, ErrorCode.badArguments);
  assert.equal(run(create("/p/x", 5)).err, ErrorCode.unimplemented);
  assert.equal(run({ ...create("/p/x"), acl: [] } as ZkRequest).err, ErrorCode.invalidAcl);
  assert.equal(
    run({ ...create("/p/x"), acl: [{ perms: 31, id: { scheme: "world", id: "nobody" } }] } as ZkRequest).err,
    ErrorCode.invalidAcl,
  );
  run(create("/e", 1));
  assert.equal(db.tree.get("/e")?.ephemeralOwner, ctx.sessionId);
  assert.equal(run(create("/e/child")).err, ErrorCode.noChildrenForEphemerals);
  assert.equal(run({ op: OpCode.delete, path: "/", version: -1 }).err, ErrorCode.badArguments);
  assert.equal(run({ op: OpCode.delete, path: "/zookeeper", version: -1 }).err, ErrorCode.badArguments);
  run(create("/p/c"));
  assert.equal(run({ op: OpCode.delete, path: "/p", version: -1 }).err, ErrorCode.notEmpty);
  assert.equal(run({ op: OpCode.delete, path: "/p/c", version: 3 }).err, ErrorCode.badVersion);
  assert.equal(run({ op: OpCode.setData, path: "/p", data: null, version: 1 }).err, ErrorCode.badVersion);
  assert.equal(run({ op: OpCode.setData, path: "/p", data: null, version: 0 }).err, 0);
  assert.equal(run({ op: OpCode.setData, path: "/nope", data: null, version: -1 }).err, ErrorCode.noNode);
  assert.equal(run({ op: OpCode.getData, path: "/nope", watch: false }).err, ErrorCode.noNode);
  await db.close();
});

Deno.test("ACLs are validated, stored, enforced and returned", async () => {
  await using dir = await tempDir();
  const { db, run, ctx } = await open(dir.path);
  const id = digestId("alice:pw");
  run({
    op: OpCode.create,
    path: "/secret",
    data: text("s"),
    acl: [{ perms: 31, id: { scheme: "digest", id } }],
    flags: 0,
  });
  assert.equal(run({ op: OpCode.getData, path: "/secret", watch: false }).err, ErrorCode.noAuth);
  const acl = run({ op: OpCode.getACL, path: "/secret" }).response as { acl: unknown };
  assert.deepEqual(acl.acl, [{ perms: 31, id: { scheme: "digest", id } }]);
  (ctx.authIds as { scheme: string; id: string }[]).push({ scheme: "digest", id });
  assert.equal(run({ op: OpCode.getData, path: "/secret", watch: false }).err, 0);
  // "auth" expands to the connection's digest identities.
  run({
    op: OpCode.create,
    path: "/mine",
    data: null,
    acl: [{ perms: 31, id: { scheme: "auth", id: "" } }],
    flags: 0,
  });
  assert.deepEqual(db.tree.get("/mine")?.acl, [{ perms: 31, id: { scheme: "digest", id } }]);
  const set = run({ op: OpCode.setACL, path: "/mine", acl: OPEN_ACL_UNSAFE, version: 0 });
  assert.equal((set.response as { stat: { aversion: number } }).stat.aversion, 1);
  assert.equal(
    run({ op: OpCode.setACL, path: "/mine", acl: OPEN_ACL_UNSAFE, version: 0 }).err,
    ErrorCode.badVersion,
  );
  await db.close();
});

Deno.test("multi is all-or-nothing with per-op result codes", async () => {
  await using dir = await tempDir();
  const { db, run } = await open(dir.path);
  run(create("/m"));
  const before = db.lastZxid;
  const failed = run({
    op: OpCode.multi,
    ops: [
      { op: OpCode.create, path: "/m/a", data: null, acl: OPEN_ACL_UNSAFE, flags: 0 },
      { op: OpCode.check, path: "/m", version: 7 },
      { op: OpCode.delete, path: "/m", version: -1 },
    ],
  });
  assert.equal(failed.err, 0);
  assert.deepEqual((failed.response as { results: unknown }).results, [
    { type: -1, err: 0 },
    { type: -1, err: ErrorCode.badVersion },
    { type: -1, err: ErrorCode.runtimeInconsistency },
  ]);
  assert.equal(db.tree.get("/m/a"), undefined);
  assert.equal(db.lastZxid, before);
  const ok = run({
    op: OpCode.multi,
    ops: [
      { op: OpCode.create, path: "/m/a", data: null, acl: OPEN_ACL_UNSAFE, flags: 0 },
      { op: OpCode.create2, path: "/m/a/b", data: null, acl: OPEN_ACL_UNSAFE, flags: 2 },
      { op: OpCode.setData, path: "/m", data: text("v"), version: 0 },
      { op: OpCode.check, path: "/m", version: 1 },
      { op: OpCode.delete, path: "/m/a/b0000000000", version: -1 },
    ],
  });
  const results = (ok.response as { results: { type: number }[] }).results;
  // create2 inside a multi gets a plain create result, as from ZooKeeper 3.8.
  assert.deepEqual(results.map((r) => r.type), [1, 1, 5, 13, 2]);
  assert.equal(db.lastZxid, before + 1); // one txn for the whole multi
  assert.equal(db.tree.get("/m")?.version, 1);
  assert.equal(db.tree.get("/m/a/b0000000000"), undefined);
  await db.close();
});

Deno.test("watches fire by the reference's rules", async () => {
  await using dir = await tempDir();
  const { db, run, watcher } = await open(dir.path);
  // exists on a missing node registers; getData on a missing node does not.
  run({ op: OpCode.exists, path: "/w", watch: true });
  run({ op: OpCode.getData, path: "/x", watch: true });
  run(create("/w"));
  run(create("/x"));
  assert.deepEqual(watcher.events, [[EventType.nodeCreated, "/w"]]);
  watcher.events = [];
  // one-shot: a second change does not fire again
  run({ op: OpCode.getData, path: "/w", watch: true });
  run({ op: OpCode.getChildren, path: "/w", watch: true });
  run({ op: OpCode.setData, path: "/w", data: null, version: -1 });
  run({ op: OpCode.setData, path: "/w", data: null, version: -1 });
  run(create("/w/c"));
  run(create("/w/d"));
  assert.deepEqual(watcher.events, [[EventType.nodeDataChanged, "/w"], [
    EventType.nodeChildrenChanged,
    "/w",
  ]]);
  watcher.events = [];
  // delete: data + child watch on the same node → one NodeDeleted; parent child watch fires
  run({ op: OpCode.getData, path: "/w/c", watch: true });
  run({ op: OpCode.getChildren, path: "/w/c", watch: true });
  run({ op: OpCode.getChildren, path: "/w", watch: true });
  run({ op: OpCode.delete, path: "/w/c", version: -1 });
  assert.deepEqual(watcher.events, [[EventType.nodeDeleted, "/w/c"], [EventType.nodeChildrenChanged, "/w"]]);
  watcher.events = [];
  // setACL fires nothing
  run({ op: OpCode.getData, path: "/w", watch: true });
  run({ op: OpCode.setACL, path: "/w", acl: OPEN_ACL_UNSAFE, version: -1 });
  assert.deepEqual(watcher.events, []);
  await db.close();
});

Deno.test("persistent and recursive watches stay and reach the documented events", async () => {
  await using dir = await tempDir();
  const { db, run, watcher } = await open(dir.path);
  run(create("/r"));
  run({ op: OpCode.addWatch, path: "/r", mode: 1 });
  run({ op: OpCode.addWatch, path: "/p", mode: 0 });
  run(create("/r/a"));
  run(create("/r/a/b"));
  run({ op: OpCode.setData, path: "/r/a/b", data: null, version: -1 });
  run({ op: OpCode.delete, path: "/r/a/b", version: -1 });
  run(create("/p"));
  run(create("/p/c"));
  run({ op: OpCode.setData, path: "/p", data: null, version: -1 });
  run({ op: OpCode.setData, path: "/p", data: null, version: -1 });
  assert.deepEqual(watcher.events, [
    [EventType.nodeCreated, "/r/a"],
    [EventType.nodeCreated, "/r/a/b"],
    [EventType.nodeDataChanged, "/r/a/b"],
    [EventType.nodeDeleted, "/r/a/b"],
    [EventType.nodeCreated, "/p"],
    [EventType.nodeChildrenChanged, "/p"],
    [EventType.nodeDataChanged, "/p"],
    [EventType.nodeDataChanged, "/p"],
  ]);
  // type 2 (data) does not remove a persistent watch; type 3 does
  assert.equal(run({ op: OpCode.removeWatches, path: "/p", type: 2 }).err, ErrorCode.noWatcher);
  assert.equal(run({ op: OpCode.checkWatches, path: "/p", type: 3 }).err, 0);
  assert.equal(run({ op: OpCode.removeWatches, path: "/p", type: 3 }).err, 0);
  assert.equal(run({ op: OpCode.checkWatches, path: "/p", type: 3 }).err, ErrorCode.noWatcher);
  watcher.events = [];
  run({ op: OpCode.setData, path: "/p", data: null, version: -1 });
  assert.deepEqual(watcher.events, []);
  await db.close();
});

Deno.test("setWatches fires what the client missed and registers the rest", async () => {
  await using dir = await tempDir();
  const { db, run, watcher } = await open(dir.path);
  run(create("/same"));
  run(create("/changed"));
  const relativeZxid = db.lastZxid;
  run({ op: OpCode.setData, path: "/changed", data: null, version: -1 });
  run(create("/appeared"));
  run({
    op: OpCode.setWatches,
    relativeZxid,
    dataWatches: ["/same", "/changed", "/gone"],
    existWatches: ["/appeared", "/absent"],
    childWatches: ["/same", "/gone"],
  });
  assert.deepEqual(watcher.events, [
    [EventType.nodeDataChanged, "/changed"],
    [EventType.nodeDeleted, "/gone"],
    [EventType.nodeCreated, "/appeared"],
    [EventType.nodeDeleted, "/gone"],
  ]);
  watcher.events = [];
  run(create("/absent"));
  run({ op: OpCode.setData, path: "/same", data: null, version: -1 });
  run(create("/same/kid"));
  assert.deepEqual(watcher.events, [
    [EventType.nodeCreated, "/absent"],
    [EventType.nodeDataChanged, "/same"],
    [EventType.nodeChildrenChanged, "/same"],
  ]);
  await db.close();
});

Deno.test("session expiry goes by tick buckets", () => {
  const tracker = new SessionTracker(1000, 10_000);
  tracker.touch(1n, 4000, 10_100); // expires at the tick after 14_100 → 15_000
  tracker.touch(2n, 4000, 10_900); // 14_900 → 15_000
  tracker.touch(3n, 6000, 10_000); // 16_000 → 17_000
  assert.deepEqual(tracker.expire(14_999), []);
  assert.deepEqual(tracker.expire(15_000).sort(), [1n, 2n]);
  tracker.touch(3n, 6000, 15_500); // moved to 22_000
  assert.deepEqual(tracker.expire(21_000), []);
  assert.deepEqual(tracker.expire(22_000), [3n]);
  assert.equal(tracker.size, 0);
});

Deno.test("state survives reopen: journal replay, sessions, zxids continue", async () => {
  await using dir = await tempDir();
  const first = await open(dir.path);
  first.db.applyAndCommit(
    { type: "createSession", sessionId: 7n, passwd: new Uint8Array(16).fill(1), timeoutMs: 9000 },
    1,
    [],
  );
  first.run(create("/keep", 0, text("v")));
  first.processor.execute({ ...first.ctx, sessionId: 7n }, create("/eph", 1));
  const lastZxid = first.db.lastZxid;
  await first.db.close();
  const second = await open(dir.path);
  assert.equal(second.db.lastZxid, lastZxid);
  assert.equal(new TextDecoder().decode(second.db.tree.get("/keep")!.data!), "v");
  assert.equal(second.db.tree.get("/eph")?.ephemeralOwner, 7n);
  assert.equal(second.db.sessions.get(7n)?.timeoutMs, 9000);
  assert.equal(second.run(create("/next")).zxid, lastZxid + 1);
  await second.db.close();
});

Deno.test("a torn journal tail is cut off and later writes continue from the last good zxid", async () => {
  await using dir = await tempDir();
  const first = await open(dir.path);
  for (let i = 0; i < 5; i++) first.run(create(`/n${i}`, 0, text("0123456789")));
  await first.db.close();
  const path = `${dir.path}/${journalFileName(1)}`;
  const bytes = await Deno.readFile(path);
  // Corrupt the last entry's payload: its checksum no longer matches.
  bytes[bytes.length - 3] ^= 0xff;
  await Deno.writeFile(path, bytes);
  const second = await open(dir.path);
  assert.equal(second.db.lastZxid, 4);
  assert.equal(second.db.tree.get("/n4"), undefined);
  assert.ok(second.db.recovery.truncatedBytes > 0);
  assert.equal(second.run(create("/after")).zxid, 5);
  await second.db.close();
  // Appending garbage (a half-written entry) is cut the same way.
  const files = await listJournalFiles(dir.path);
  const last = `${dir.path}/${files.at(-1)!.name}`;
  await Deno.writeFile(last, new Uint8Array([0, 0, 0, 50, 1, 2, 3]), { append: true });
  const third = await open(dir.path);
  assert.equal(third.db.lastZxid, 5);
  assert.ok(third.db.tree.get("/after"));
  await third.db.close();
});

Deno.test("snapshots every N txns replace old journal files and restore the same tree", async () => {
  await using dir = await tempDir();
  const first = await open(dir.path, 10);
  for (let i = 0; i < 35; i++) first.run(create(`/s${i}`, i % 2 === 0 ? 0 : 2, text(`v${i}`)));
  first.run({ op: OpCode.setData, path: "/s0", data: text("changed"), version: -1 });
  await first.db.journal.flush();
  await first.db.close();
  const snapshots = await listSnapshots(dir.path);
  assert.ok(snapshots.length >= 1, "a snapshot was written");
  assert.equal(snapshots.length, 1, "older snapshots are removed");
  const journals = await listJournalFiles(dir.path);
  assert.ok(journals.every((file) => file.firstZxid > snapshots[0].zxid), "older journal files are removed");
  const second = await open(dir.path, 10);
  assert.equal(second.db.lastZxid, 36);
  assert.equal(second.db.tree.size, first.db.tree.size);
  for (const path of first.db.tree.paths()) {
    const a = first.db.tree.get(path)!;
    const b = second.db.tree.get(path)!;
    assert.deepEqual(
      { ...b, children: [...b.children].sort() },
      { ...a, children: [...a.children].sort() },
      path,
    );
  }
  await second.db.close();
});

Deno.test("a journal that does not continue the state refuses to start instead of cutting good entries", async () => {
  await using dir = await tempDir();
  const first = await open(dir.path, 10);
  for (let i = 0; i < 25; i++) first.run(create(`/g${i}`));
  await first.db.close();
  // Lose the snapshot: the remaining journal starts after zxid 1.
  for (const snapshot of await listSnapshots(dir.path)) await Deno.remove(`${dir.path}/${snapshot.name}`);
  const before = await listJournalFiles(dir.path);
  await assert.rejects(open(dir.path, 10), /a snapshot is missing or unreadable/);
  const after = await listJournalFiles(dir.path);
  assert.deepEqual(after, before, "no journal file was cut or removed");
});

Deno.test("group commit: writes appended while an fsync is in flight share the next one", async () => {
  await using dir = await tempDir();
  const journal = await Journal.open(dir.path, 1);
  const durable: number[] = [];
  journal.onDurable = (zxid) => durable.push(zxid);
  const entry = (zxid: number) => (writer: Writer) => writer.int64n(zxid).raw(new Uint8Array(100));
  for (let zxid = 1; zxid <= 100; zxid++) journal.append(zxid, entry(zxid)); // one burst
  await Promise.resolve();
  await Promise.resolve(); // the flush of the burst is now in flight
  for (let zxid = 101; zxid <= 150; zxid++) journal.append(zxid, entry(zxid));
  await journal.flush();
  assert.equal(journal.durableZxid, 150);
  assert.deepEqual(durable, [100, 150]);
  assert.equal(journal.fsyncCount, 2);
  await journal.close();
  let replayed = 0;
  const result = await replayJournal(dir.path, 0, (payload) => {
    replayed++;
    return new Reader(payload).int64n();
  });
  assert.equal(replayed, 150);
  assert.equal(result.lastZxid, 150);
});

Deno.test("replay reads a preallocated (zero-padded) journal left by a crash up to its last entry", async () => {
  await using dir = await tempDir();
  const journal = await Journal.open(dir.path, 1);
  for (let zxid = 1; zxid <= 3; zxid++) {
    journal.append(zxid, (writer) => writer.int64n(zxid).raw(new Uint8Array(10)));
  }
  await journal.flush();
  journal.roll(4);
  journal.append(4, (writer) => writer.int64n(4));
  await journal.flush();
  // No close(): both files keep their zero padding, as after SIGKILL.
  const padded = (await listJournalFiles(dir.path)).map((file) =>
    Deno.statSync(`${dir.path}/${file.name}`).size
  );
  assert.ok(padded.every((size) => size >= PREALLOCATE_BYTES));
  const zxids: number[] = [];
  const result = await replayJournal(dir.path, 0, (payload) => {
    zxids.push(new Reader(payload).int64n());
    return zxids.at(-1)!;
  });
  assert.deepEqual(zxids, [1, 2, 3, 4]);
  assert.equal(result.truncatedBytes, 0, "padding is not a torn tail");
  await journal.close();
});

Deno.test("reads only look paths up; containers and odd create ops behave as on ZooKeeper 3.8", async () => {
  await using dir = await tempDir();
  const { db, run } = await open(dir.path);
  assert.equal(run({ op: OpCode.getData, path: "/a/", watch: false }).err, ErrorCode.noNode);
  assert.equal(run({ op: OpCode.exists, path: "a", watch: false }).err, ErrorCode.noNode);
  assert.equal(run({ op: OpCode.setData, path: "/a/", data: null, version: -1 }).err, ErrorCode.badArguments);
  assert.equal(run({ op: OpCode.delete, path: "/a/", version: -1 }).err, ErrorCode.noNode);
  assert.equal(run({ op: OpCode.delete, path: "a", version: -1 }).err, ErrorCode.badArguments);
  assert.equal(run({ op: OpCode.addWatch, path: "/", mode: 5 }).err, ErrorCode.marshallingError);
  // A container may be made with any create op; clients see ephemeralOwner 0.
  const made = run({ op: OpCode.create2, path: "/c", data: null, acl: OPEN_ACL_UNSAFE, flags: 4 });
  assert.equal((made.response as unknown as { stat: { ephemeralOwner: bigint } }).stat.ephemeralOwner, 0n);
  assert.ok(db.tree.containers.has("/c"));
  assert.equal(
    run({ op: OpCode.createContainer, path: "/p", data: null, acl: OPEN_ACL_UNSAFE, flags: 0 }).err,
    0,
  );
  assert.equal(db.tree.get("/p")?.ephemeralOwner, 0n);
  await db.close();
});
