/**
 * Integration tests: `vltava coordinator start` as a child process, spoken to with raw
 * ZooKeeper protocol over TCP on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { eventually, freePort, tempDir } from "../helpers/program.ts";
import { startCoordinatorProgram } from "../helpers/cluster.ts";
import { RawZk } from "../helpers/zk-raw.ts";
import { Writer } from "../../src/wire/mod.ts";
import {
  encodeConnectRequest,
  ErrorCode,
  EventType,
  OpCode,
  OPEN_ACL_UNSAFE,
} from "../../src/zk/protocol/mod.ts";

const text = (value: string) => new TextEncoder().encode(value);

function startCoordinator(dataDir: string, port = freePort(), extra: string[] = []) {
  return startCoordinatorProgram(dataDir, { port, extra });
}

/** Send a four-letter word and read until the server closes. */
async function fourLetterWord(port: number, word: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(text(word));
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    const count = await conn.read(buffer).catch(() => null);
    if (count === null) break;
    chunks.push(buffer.slice(0, count));
  }
  conn.close();
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((chunk) => [...chunk])));
}

const create = (path: string, flags = 0, data: Uint8Array | null = null) => ({
  op: OpCode.create,
  path,
  data,
  acl: OPEN_ACL_UNSAFE,
  flags,
} as const);

Deno.test("handshake: readOnly byte mirrored, timeout clamped, re-attach moves the session", async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinator(dir.path);
  await using _program = program;

  // 45-byte request (readOnly byte) → 37-byte response; 44-byte → 36 bytes.
  for (const [readOnly, expectedBytes] of [[false, 37], [undefined, 36]] as const) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const request = encodeConnectRequest({
      protocolVersion: 0,
      lastZxidSeen: 0,
      timeOutMs: 30_000,
      sessionId: 0n,
      passwd: new Uint8Array(16),
      ...(readOnly === undefined ? {} : { readOnly }),
    });
    assert.equal(request.length - 4, readOnly === undefined ? 44 : 45);
    await conn.write(request);
    const buffer = new Uint8Array(100);
    let received = 0;
    while (received < 4 + expectedBytes) {
      const count = await conn.read(buffer.subarray(received));
      if (count === null) break;
      received += count;
    }
    assert.equal(new DataView(buffer.buffer).getInt32(0), expectedBytes);
    conn.close();
  }

  using low = await RawZk.connect(port, { timeoutMs: 1000, readOnly: false });
  assert.equal(low.connectResponse?.timeOutMs, 4000);
  using high = await RawZk.connect(port, { timeoutMs: 100_000 });
  assert.equal(high.connectResponse?.timeOutMs, 40_000);
  assert.equal(high.connectResponse?.passwd.length, 16);
  assert.notEqual(low.sessionId, high.sessionId);
  assert.equal(
    Number(low.sessionId >> 56n),
    1,
    "server id in the high byte, clear of the TTL/container markers",
  );

  // Re-attach with id + password: same session, the old connection is closed.
  assert.equal((await low.request(create("/owned", 1))).err, 0);
  using again = await RawZk.connect(port, {
    sessionId: low.sessionId,
    passwd: low.connectResponse!.passwd,
    lastZxidSeen: low.lastZxid,
    readOnly: false,
  });
  assert.equal(again.sessionId, low.sessionId);
  await low.closed;
  const owned = await again.request({ op: OpCode.getEphemerals, path: "/" });
  assert.deepEqual(owned.body, { op: OpCode.getEphemerals, paths: ["/owned"] });

  // Wrong password or unknown session: timeOut 0, id 0, zero password, then close.
  for (
    const [sessionId, passwd] of [[again.sessionId, new Uint8Array(16).fill(9)], [
      0x0100_0000_dead_beefn,
      new Uint8Array(16),
    ]] as const
  ) {
    const refused = await RawZk.open(port);
    const response = await refused.handshake({ sessionId, passwd, readOnly: false });
    assert.deepEqual(response, {
      protocolVersion: 0,
      timeOutMs: 0,
      sessionId: 0n,
      passwd: new Uint8Array(16),
      readOnly: false,
    });
    await refused.closed;
    refused.close();
  }

  // A client that has seen a newer zxid than ours is closed without a reply.
  const ahead = await RawZk.open(port);
  assert.equal(
    await ahead.handshake({
      sessionId: again.sessionId,
      passwd: again.connectResponse!.passwd,
      lastZxidSeen: 1_000_000,
    }),
    undefined,
  );
  ahead.close();
  // ...and the session it named is untouched.
  assert.equal((await again.request({ op: OpCode.exists, path: "/owned", watch: false })).err, 0);
});

Deno.test("ops over TCP: replies in order, notifications before the reply of the write, closeSession removes ephemerals", async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinator(dir.path);
  await using _program = program;
  using writer = await RawZk.connect(port);
  using observer = await RawZk.connect(port);

  // Pipelined requests come back in request order.
  const replies = await Promise.all([
    writer.request(create("/app", 0, text("v0"))),
    writer.request(create("/app/seq-", 2)),
    writer.request(create("/app/seq-", 2)),
    writer.request({ op: OpCode.getChildren2, path: "/app", watch: false }),
    writer.request({ op: OpCode.getData, path: "/missing", watch: false }),
    writer.request({ op: OpCode.ping }, -2),
  ]);
  assert.deepEqual(replies.map((reply) => reply.err), [0, 0, 0, 0, ErrorCode.noNode, 0]);
  assert.deepEqual(replies[1].body, { op: OpCode.create, path: "/app/seq-0000000000" });
  assert.deepEqual(replies[2].body, { op: OpCode.create, path: "/app/seq-0000000001" });
  const children = replies[3].body as { children: string[] };
  assert.deepEqual(children.children.sort(), ["seq-0000000000", "seq-0000000001"]);
  assert.equal(replies[5].zxid, writer.lastZxid);

  // The writer watches its own node: the notification arrives before the write's reply.
  await writer.request({ op: OpCode.getData, path: "/app", watch: true });
  const eventsBefore = writer.events.length;
  const setReply = writer.request({ op: OpCode.setData, path: "/app", data: text("v1"), version: 0 });
  let eventsAtReply = -1;
  void setReply.then(() => eventsAtReply = writer.events.length);
  assert.equal((await setReply).err, 0);
  await Promise.resolve();
  assert.equal(eventsAtReply, eventsBefore + 1);
  assert.deepEqual(writer.events.at(-1), { type: EventType.nodeDataChanged, state: 3, path: "/app" });

  // Another session's ephemerals go when it closes, and watchers hear of it.
  using owner = await RawZk.connect(port);
  assert.equal((await owner.request(create("/app/live", 1))).err, 0);
  await observer.request({ op: OpCode.exists, path: "/app/live", watch: true });
  await observer.request({ op: OpCode.getChildren, path: "/app", watch: true });
  const closeReply = await owner.request({ op: OpCode.closeSession });
  assert.equal(closeReply.err, 0);
  await owner.closed;
  await observer.waitForEvent((event) => event.type === EventType.nodeDeleted && event.path === "/app/live");
  await observer.waitForEvent((event) =>
    event.type === EventType.nodeChildrenChanged && event.path === "/app"
  );
  assert.equal(
    (await observer.request({ op: OpCode.exists, path: "/app/live", watch: false })).err,
    ErrorCode.noNode,
  );

  // Unknown and unimplemented ops answer UNIMPLEMENTED; the connection stays usable.
  assert.equal((await writer.requestRaw(50, 999, new Uint8Array(0))).err, ErrorCode.unimplemented);
  assert.equal(
    (await writer.requestRaw(51, OpCode.reconfig, new Uint8Array(0))).err,
    ErrorCode.unimplemented,
  );
  assert.equal((await writer.request({ op: OpCode.sync, path: "/" })).err, 0);

  // Digest auth is recorded and shows in whoAmI.
  const auth = await writer.request({ op: OpCode.auth, type: 0, scheme: "digest", auth: text("bob:pw") }, -4);
  assert.equal(auth.err, 0);
  const whoAmI = await writer.request({ op: OpCode.whoAmI });
  assert.deepEqual(whoAmI.body, {
    op: OpCode.whoAmI,
    clientInfo: [{ authScheme: "digest", user: "bob" }, { authScheme: "ip", user: "127.0.0.1" }],
  });
});

Deno.test("sessions expire in tick buckets: ephemerals deleted, watchers told, socket closed", async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinator(dir.path, freePort(), [
    "--tick-ms",
    "200",
    "--min-session-timeout-ms",
    "600",
    "--max-session-timeout-ms",
    "3000",
  ]);
  await using _program = program;
  // A connection that never starts a session is closed after the longest session timeout.
  const silent = await RawZk.open(port);
  await silent.closed;
  silent.close();
  using watcher = await RawZk.connect(port);
  using doomed = await RawZk.connect(port, { timeoutMs: 600 });
  assert.equal(doomed.connectResponse?.timeOutMs, 600);
  assert.equal((await doomed.request(create("/doomed", 1))).err, 0);
  await watcher.request({ op: OpCode.exists, path: "/doomed", watch: true });
  // The doomed client sends nothing more; the watcher keeps its own session alive with pings.
  const pinger = setInterval(() => void watcher.request({ op: OpCode.ping }, -2).catch(() => {}), 150);
  try {
    await watcher.waitForEvent((event) => event.type === EventType.nodeDeleted && event.path === "/doomed");
    await doomed.closed;
    // Re-attaching now gets the expired answer.
    const late = await RawZk.open(port);
    const response = await late.handshake({
      sessionId: doomed.sessionId,
      passwd: doomed.connectResponse!.passwd,
    });
    assert.equal(response?.timeOutMs, 0);
    late.close();
  } finally {
    clearInterval(pinger);
  }
});

Deno.test("bad input closes only that connection (or answers MARSHALLINGERROR) and changes nothing", async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinator(dir.path, freePort(), [
    "--max-frame-bytes",
    "4096",
  ]);
  await using _program = program;
  using bystander = await RawZk.connect(port);
  assert.equal((await bystander.request(create("/stable", 0, text("x")))).err, 0);
  const zxidBefore = bystander.lastZxid;

  const frameOf = (payload: Uint8Array) => new Writer().int32(payload.length).raw(payload).toBytes();
  const cases: [string, (client: RawZk) => Promise<void>][] = [
    [
      "a frame over --max-frame-bytes",
      (c) => c.write(new Writer().int32(4097).raw(new Uint8Array(64)).toBytes()),
    ],
    ["a negative length", (c) => c.write(new Writer().int32(-5).toBytes())],
    [
      "garbage bytes instead of a request",
      (c) => c.write(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4])),
    ],
    ["a frame shorter than a request header", (c) => c.write(frameOf(new Uint8Array([0, 0, 0, 1, 0])))],
    ["garbage as the ConnectRequest", async (c) => {
      c.close();
      const raw = await Deno.connect({ hostname: "127.0.0.1", port });
      await raw.write(frameOf(new Uint8Array([1, 2, 3])));
      const buffer = new Uint8Array(16);
      assert.equal(await raw.read(buffer).catch(() => null), null);
      raw.close();
    }],
  ];
  for (const [name, send] of cases) {
    const victim = await RawZk.connect(port);
    await send(victim);
    await victim.closed;
    victim.close();
    const check = await bystander.request({ op: OpCode.getData, path: "/stable", watch: false });
    assert.equal(check.err, 0, `bystander works after ${name}`);
  }

  // A truncated request body is answered with MARSHALLINGERROR; the connection stays up.
  using truncated = await RawZk.connect(port);
  const body = new Writer().int32(100).raw(text("/sta")).toBytes(); // path length 100, 4 bytes present
  const reply = await truncated.requestRaw(7, OpCode.create, body);
  assert.equal(reply.err, ErrorCode.marshallingError);
  const multi = new Writer().int32(OpCode.create).bool(false).int32(-1).int32(2).raw(text("/x")).toBytes();
  assert.equal((await truncated.requestRaw(8, OpCode.multi, multi)).err, ErrorCode.marshallingError);
  assert.equal((await truncated.request({ op: OpCode.exists, path: "/stable", watch: false })).err, 0);

  // Nothing changed in the tree.
  const after = await bystander.request({ op: OpCode.getChildren, path: "/", watch: false });
  assert.deepEqual((after.body as { children: string[] }).children.sort(), ["stable", "zookeeper"]);
  // The only txns since: one createSession per victim connection and one for `truncated`.
  assert.equal((await bystander.request({ op: OpCode.sync, path: "/" })).zxid, zxidBefore + cases.length + 1);
});

Deno.test("four-letter words answer in the reference's formats", async () => {
  await using dir = await tempDir();
  const { program, port } = await startCoordinator(dir.path);
  await using _program = program;
  using client = await RawZk.connect(port);
  await client.request(create("/4lw", 1));
  assert.equal(await fourLetterWord(port, "ruok"), "imok");
  assert.equal(await fourLetterWord(port, "isro"), "rw");
  const srvr = await fourLetterWord(port, "srvr");
  assert.match(srvr, /^Zookeeper version: 3\.8\.0-vltava-\S+\n/);
  assert.match(srvr, /\nLatency min\/avg\/max: \d+\/[\d.]+\/\d+\n/);
  assert.match(
    srvr,
    /\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: 0\nZxid: 0x2\nMode: standalone\nNode count: 5\n$/,
  );
  const stat = await fourLetterWord(port, "stat");
  assert.match(stat, /\nClients:\n( \/127\.0\.0\.1:\d+\[[01]\]\(queued=\d+,recved=\d+,sent=\d+\)\n)+\n/);
  assert.match(stat, / \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=2,sent=2\)\n/, "the client's line");
  assert.match(stat, /\nNode count: 5\n$/);
  const cons = await fourLetterWord(port, "cons");
  assert.match(cons, new RegExp(`sid=0x${client.sessionId.toString(16)},lop=CREA,est=\\d+,to=30000,`));
  const conf = await fourLetterWord(port, "conf");
  assert.match(conf, new RegExp(`^clientPort=${port}\n`));
  assert.match(conf, /\ndataDirSize=\d+\n/);
  assert.match(conf, /\ntickTime=2000\n/);
  assert.match(conf, /\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n/);
  const mntr = await fourLetterWord(port, "mntr");
  assert.match(mntr, /^zk_version\t3\.8\.0-vltava-\S+\nzk_server_state\tstandalone\n/);
  assert.match(mntr, /\nzk_znode_count\t5\n/);
  assert.match(mntr, /\nzk_ephemerals_count\t1\n/);
  assert.match(mntr, /\nzk_num_alive_connections\t\d+\n/);
  const envi = await fourLetterWord(port, "envi");
  assert.match(envi, /^Environment:\nzookeeper\.version=3\.8\.0-vltava-\S+\n/);
  // An unknown word is read as a frame length (far too big): closed with no answer.
  assert.equal(await fourLetterWord(port, "wxyz"), "");
});

Deno.test("restart: tree, zxids and sessions survive a clean stop; the client re-attaches", async () => {
  await using dir = await tempDir();
  const port = freePort();
  let { program } = await startCoordinator(dir.path, port);
  await using _first = program;
  let session: { id: bigint; passwd: Uint8Array; lastZxid: number };
  {
    using client = await RawZk.connect(port, { timeoutMs: 40_000 });
    await client.request(create("/durable", 0, text("yes")));
    await client.request(create("/eph", 1));
    session = { id: client.sessionId, passwd: client.connectResponse!.passwd, lastZxid: client.lastZxid };
  }
  const status = await program.stop("SIGTERM");
  assert.equal(status.code, 0, program.stderr);
  ({ program } = await startCoordinator(dir.path, port));
  await using _program = program;
  using back = await RawZk.connect(port, {
    sessionId: session.id,
    passwd: session.passwd,
    lastZxidSeen: session.lastZxid,
  });
  assert.equal(back.sessionId, session.id);
  const data = await back.request({ op: OpCode.getData, path: "/durable", watch: false });
  assert.equal(new TextDecoder().decode((data.body as { data: Uint8Array }).data), "yes");
  assert.equal((await back.request({ op: OpCode.exists, path: "/eph", watch: false })).err, 0);
  const next = await back.request(create("/next"));
  assert.equal(next.zxid, session.lastZxid + 1, "zxids continue");
});

Deno.test("crash: SIGKILL during writes loses no acknowledged write; a session back in time keeps its ephemerals", async () => {
  await using dir = await tempDir();
  const port = freePort();
  let { program } = await startCoordinator(dir.path, port, ["--snapshot-every-txns", "150"]);
  await using _first = program;
  const acknowledged: string[] = [];
  let ephemeralSession: { id: bigint; passwd: Uint8Array; lastZxid: number };
  {
    const owner = await RawZk.connect(port, { timeoutMs: 40_000 });
    assert.equal((await owner.request(create("/crash"))).err, 0);
    assert.equal((await owner.request(create("/crash/eph", 1))).err, 0);
    ephemeralSession = {
      id: owner.sessionId,
      passwd: owner.connectResponse!.passwd,
      lastZxid: owner.lastZxid,
    };
    const writers = await Promise.all([1, 2, 3, 4].map(() => RawZk.connect(port)));
    let stop = false;
    const loops = writers.map(async (client, w) => {
      let i = 0;
      const inFlight = new Set<Promise<void>>();
      while (!stop) {
        const path = `/crash/w${w}-${i++}`;
        const done = client.request(create(path, 0, text(path))).then((reply) => {
          if (reply.err === 0) acknowledged.push(path);
        }).catch(() => {}).finally(() => inFlight.delete(done));
        inFlight.add(done);
        if (inFlight.size >= 16) await Promise.race(inFlight);
        if (client.isClosed) break;
      }
    });
    await eventually("enough acknowledged writes", () => acknowledged.length >= 600, 60_000, 20);
    program.signal("SIGKILL");
    await program.status;
    stop = true;
    await Promise.all(loops);
    for (const client of writers) client.close();
    owner.close();
  }
  ({ program } = await startCoordinator(dir.path, port, ["--snapshot-every-txns", "150"]));
  await using _program = program;
  using back = await RawZk.connect(port, {
    sessionId: ephemeralSession.id,
    passwd: ephemeralSession.passwd,
    lastZxidSeen: ephemeralSession.lastZxid,
  });
  assert.equal(back.sessionId, ephemeralSession.id, "the session survived the crash");
  assert.equal((await back.request({ op: OpCode.exists, path: "/crash/eph", watch: false })).err, 0);
  const checks = await Promise.all(
    acknowledged.map((path) => back.request({ op: OpCode.getData, path, watch: false })),
  );
  const missing = acknowledged.filter((_, i) => checks[i].err !== 0);
  assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged writes lost`);
  for (const [i, path] of acknowledged.entries()) {
    assert.equal(new TextDecoder().decode((checks[i].body as { data: Uint8Array }).data), path);
  }
});
