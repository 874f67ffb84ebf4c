import assert from "node:assert/strict";
import { Reader, Writer } from "../../src/wire/mod.ts";
import {
  encodeConnectRequest,
  encodeNotification,
  encodeReply,
  encodeRequest,
  ErrorCode,
  errorName,
  EventType,
  KeeperError,
  KeeperState,
  type MultiResult,
  OpCode,
  OPEN_ACL_UNSAFE,
  readConnectRequest,
  readConnectResponse,
  readReplyHeader,
  readRequestBody,
  readRequestHeader,
  readResponseBody,
  readWatcherEvent,
  type RequestOp,
  type Stat,
  writeConnectResponse,
  writeResponseBody,
  type ZkRequest,
  type ZkResponse,
} from "../../src/zk/protocol/mod.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const text = (value: string) => new TextEncoder().encode(value);

const STAT: Stat = {
  czxid: 0x100000001,
  mzxid: 7,
  ctime: 1_700_000_000_123,
  mtime: 1_700_000_000_456,
  version: 3,
  cversion: -1,
  aversion: 2,
  ephemeralOwner: 0x0123_4567_89ab_cdefn,
  dataLength: 5,
  numChildren: 4,
  pzxid: 9,
};

Deno.test("a new-session ConnectRequest is 45 bytes with readOnly and 44 without", () => {
  const base = {
    protocolVersion: 0,
    lastZxidSeen: 0,
    timeOutMs: 30000,
    sessionId: 0n,
    passwd: new Uint8Array(16),
  };
  const withByte = encodeConnectRequest({ ...base, readOnly: false });
  // length 45 | version 0 | lastZxid 0 | timeout 30000 | session 0 | passwd len 16 + 16 zeros | readOnly 0
  assert.equal(
    hex(withByte),
    "0000002d" + "00000000" + "0000000000000000" + "00007530" + "0000000000000000" + "00000010" +
      "00".repeat(16) + "00",
  );
  const without = encodeConnectRequest(base);
  assert.equal(without.length, 4 + 44);
  assert.equal(hex(without.subarray(0, 4)), "0000002c");
  assert.deepEqual(readConnectRequest(new Reader(withByte.subarray(4))), { ...base, readOnly: false });
  assert.deepEqual(readConnectRequest(new Reader(without.subarray(4))), base);
});

Deno.test("ConnectResponse round-trips with and without the readOnly byte", () => {
  for (const readOnly of [undefined, false]) {
    const response = {
      protocolVersion: 0,
      timeOutMs: 4000,
      sessionId: 0x0100_0000_0000_002an,
      passwd: new Uint8Array(16).fill(7),
      ...(readOnly === undefined ? {} : { readOnly }),
    };
    const writer = new Writer();
    writeConnectResponse(writer, response);
    assert.equal(writer.length, readOnly === undefined ? 36 : 37);
    assert.deepEqual(readConnectResponse(new Reader(writer.toBytes())), response);
  }
});

Deno.test("a getData request with a watch has the hand-derived bytes", () => {
  const bytes = encodeRequest(1, { op: OpCode.getData, path: "/a", watch: true });
  assert.equal(hex(bytes), "0000000f" + "00000001" + "00000004" + "00000002" + "2f61" + "01");
  const reader = new Reader(bytes, 4);
  assert.deepEqual(readRequestHeader(reader), { xid: 1, type: OpCode.getData });
  assert.deepEqual(readRequestBody(reader, OpCode.getData), { op: OpCode.getData, path: "/a", watch: true });
});

Deno.test("a create with null data writes length -1, distinct from empty data", () => {
  const nullData = encodeRequest(2, {
    op: OpCode.create,
    path: "/p",
    data: null,
    acl: OPEN_ACL_UNSAFE,
    flags: 0,
  });
  const empty = encodeRequest(2, {
    op: OpCode.create,
    path: "/p",
    data: new Uint8Array(0),
    acl: OPEN_ACL_UNSAFE,
    flags: 0,
  });
  // header | path "/p" | data len | acl count 1 | perms 31 | "world" | "anyone" | flags 0
  const tail = "00000001" + "0000001f" + "00000005" + hex(text("world")) + "00000006" + hex(text("anyone")) +
    "00000000";
  assert.equal(hex(nullData.subarray(4)), "00000002" + "00000001" + "00000002" + "2f70" + "ffffffff" + tail);
  assert.equal(hex(empty.subarray(4)), "00000002" + "00000001" + "00000002" + "2f70" + "00000000" + tail);
  const reader = new Reader(nullData, 12);
  assert.equal((readRequestBody(reader, OpCode.create) as { data: unknown }).data, null);
});

const REQUESTS: ZkRequest[] = [
  { op: OpCode.create, path: "/a", data: text("x"), acl: OPEN_ACL_UNSAFE, flags: 3 },
  { op: OpCode.create2, path: "/a", data: null, acl: OPEN_ACL_UNSAFE, flags: 0 },
  { op: OpCode.createContainer, path: "/c", data: new Uint8Array(0), acl: OPEN_ACL_UNSAFE, flags: 4 },
  { op: OpCode.createTTL, path: "/t", data: text("t"), acl: OPEN_ACL_UNSAFE, flags: 5, ttlMs: 60_000 },
  { op: OpCode.delete, path: "/a", version: -1 },
  { op: OpCode.exists, path: "/a", watch: true },
  { op: OpCode.getData, path: "/a", watch: false },
  { op: OpCode.getChildren, path: "/", watch: true },
  { op: OpCode.getChildren2, path: "/", watch: false },
  { op: OpCode.setData, path: "/a", data: text("new"), version: 4 },
  { op: OpCode.getACL, path: "/a" },
  {
    op: OpCode.setACL,
    path: "/a",
    acl: [{ perms: 1, id: { scheme: "digest", id: "u:h" } }, ...OPEN_ACL_UNSAFE],
    version: 0,
  },
  { op: OpCode.sync, path: "/" },
  { op: OpCode.check, path: "/a", version: 2 },
  {
    op: OpCode.multi,
    ops: [
      { op: OpCode.create, path: "/m", data: text("1"), acl: OPEN_ACL_UNSAFE, flags: 0 },
      { op: OpCode.create2, path: "/m/x", data: null, acl: OPEN_ACL_UNSAFE, flags: 2 },
      { op: OpCode.setData, path: "/m", data: text("2"), version: -1 },
      { op: OpCode.check, path: "/m", version: 1 },
      { op: OpCode.delete, path: "/m/x0000000000", version: -1 },
    ],
  },
  { op: OpCode.multi, ops: [] },
  {
    op: OpCode.setWatches,
    relativeZxid: 42,
    dataWatches: ["/a"],
    existWatches: ["/b", "/c"],
    childWatches: [],
  },
  {
    op: OpCode.setWatches2,
    relativeZxid: 43,
    dataWatches: [],
    existWatches: ["/e"],
    childWatches: ["/"],
    persistentWatches: ["/p"],
    persistentRecursiveWatches: ["/r"],
  },
  { op: OpCode.addWatch, path: "/r", mode: 1 },
  { op: OpCode.checkWatches, path: "/a", type: 3 },
  { op: OpCode.removeWatches, path: "/a", type: 2 },
  { op: OpCode.getEphemerals, path: "/" },
  { op: OpCode.getAllChildrenNumber, path: "/" },
  { op: OpCode.auth, type: 0, scheme: "digest", auth: text("user:pass") },
  { op: OpCode.ping },
  { op: OpCode.closeSession },
  { op: OpCode.whoAmI },
];

Deno.test("every request body round-trips through write and read", () => {
  for (const request of REQUESTS) {
    const bytes = encodeRequest(5, request);
    const reader = new Reader(bytes, 4);
    const header = readRequestHeader(reader);
    assert.equal(header.type, request.op);
    assert.deepEqual(readRequestBody(reader, header.type), request, `op ${request.op}`);
    assert.equal(reader.remaining, 0, `op ${request.op} consumed`);
  }
});

const MULTI_RESULTS: MultiResult[] = [
  { type: OpCode.create, path: "/m" },
  { type: OpCode.create2, path: "/m/x0000000000", stat: STAT },
  { type: OpCode.setData, stat: STAT },
  { type: OpCode.check },
  { type: OpCode.delete },
  { type: OpCode.error, err: ErrorCode.noNode },
];

const RESPONSES: ZkResponse[] = [
  { op: OpCode.create, path: "/a0000000001" },
  { op: OpCode.create2, path: "/a", stat: STAT },
  { op: OpCode.createContainer, path: "/c", stat: STAT },
  { op: OpCode.createTTL, path: "/t", stat: STAT },
  { op: OpCode.delete },
  { op: OpCode.exists, stat: STAT },
  { op: OpCode.getData, data: text("hello"), stat: STAT },
  { op: OpCode.getData, data: null, stat: STAT },
  { op: OpCode.getChildren, children: ["b", "a"] },
  { op: OpCode.getChildren2, children: [], stat: STAT },
  { op: OpCode.setData, stat: STAT },
  { op: OpCode.getACL, acl: [...OPEN_ACL_UNSAFE], stat: STAT },
  { op: OpCode.setACL, stat: STAT },
  { op: OpCode.sync, path: "/" },
  { op: OpCode.check },
  { op: OpCode.multi, results: MULTI_RESULTS },
  { op: OpCode.setWatches },
  { op: OpCode.setWatches2 },
  { op: OpCode.addWatch },
  { op: OpCode.checkWatches },
  { op: OpCode.removeWatches },
  { op: OpCode.getEphemerals, paths: ["/e1", "/x/e2"] },
  { op: OpCode.getAllChildrenNumber, count: 12 },
  { op: OpCode.auth },
  { op: OpCode.ping },
  { op: OpCode.closeSession },
  { op: OpCode.whoAmI, clientInfo: [{ authScheme: "ip", user: "127.0.0.1" }] },
];

Deno.test("every reply body round-trips through write and read", () => {
  for (const response of RESPONSES) {
    const bytes = encodeReply(9, 100, 0, response);
    const reader = new Reader(bytes, 4);
    assert.deepEqual(readReplyHeader(reader), { xid: 9, zxid: 100, err: 0 });
    assert.deepEqual(readResponseBody(reader, response.op as RequestOp), response, `op ${response.op}`);
    assert.equal(reader.remaining, 0, `op ${response.op} consumed`);
  }
});

Deno.test("a Stat is 68 bytes in the documented field order", () => {
  const writer = new Writer();
  writeResponseBody(writer, { op: OpCode.exists, stat: STAT });
  const bytes = writer.toBytes();
  assert.equal(bytes.length, 68);
  assert.equal(
    hex(bytes),
    "0000000100000001" + "0000000000000007" + "0000018bcfe5687b" + "0000018bcfe569c8" + "00000003" +
      "ffffffff" + "00000002" + "0123456789abcdef" + "00000005" + "00000004" + "0000000000000009",
  );
});

Deno.test("an error reply is the 16-byte header only; addWatch's body is one int 0", () => {
  const error = encodeReply(3, 0x11, ErrorCode.noNode, { op: OpCode.exists, stat: STAT });
  assert.equal(hex(error), "00000010" + "00000003" + "0000000000000011" + "ffffff9b");
  const addWatch = encodeReply(4, 1, 0, { op: OpCode.addWatch });
  assert.equal(hex(addWatch.subarray(20)), "00000000");
});

Deno.test("multi request and failed-multi reply have the documented layout", () => {
  const request = encodeRequest(7, { op: OpCode.multi, ops: [{ op: OpCode.check, path: "/a", version: 1 }] });
  assert.equal(
    hex(request.subarray(4)),
    "00000007" + "0000000e" + "0000000d" + "00" + "ffffffff" + "00000002" + "2f61" + "00000001" +
      "ffffffff" + "01" + "ffffffff",
  );
  const reply = encodeReply(7, 5, 0, {
    op: OpCode.multi,
    results: [{ type: OpCode.error, err: ErrorCode.badVersion }],
  });
  assert.equal(
    hex(reply.subarray(20)),
    "ffffffff" + "00" + "ffffff99" + "ffffff99" + "ffffffff" + "01" + "ffffffff",
  );
});

Deno.test("a notification is header {-1,-1,0} and a WatcherEvent", () => {
  const bytes = encodeNotification({
    type: EventType.nodeDataChanged,
    state: KeeperState.syncConnected,
    path: "/a",
  });
  assert.equal(
    hex(bytes),
    "0000001e" + "ffffffff" + "ffffffffffffffff" + "00000000" + "00000003" + "00000003" + "00000002" + "2f61",
  );
  const reader = new Reader(bytes, 20);
  assert.deepEqual(readWatcherEvent(reader), { type: 3, state: 3, path: "/a" });
});

Deno.test("malformed request bodies raise WireError, never allocate from hostile counts", () => {
  const huge = new Writer().int32(0x7fffffff).toBytes(); // path length far beyond the frame
  assert.throws(() => readRequestBody(new Reader(huge), OpCode.getData), { name: "WireError" });
  const nullPath = new Writer().int32(-1).bool(false).toBytes();
  assert.throws(() => readRequestBody(new Reader(nullPath), OpCode.exists), { name: "WireError" });
  const hugeVector = new Writer().int64n(0).int32(0x7fffffff).toBytes();
  assert.throws(() => readRequestBody(new Reader(hugeVector), OpCode.setWatches), { name: "WireError" });
  const truncatedMulti = new Writer().int32(1).bool(false).int32(-1).string32("/a").toBytes();
  assert.throws(() => readRequestBody(new Reader(truncatedMulti), OpCode.multi), { name: "WireError" });
  const badMultiType = new Writer().int32(4).bool(false).int32(-1).toBytes();
  assert.throws(() => readRequestBody(new Reader(badMultiType), OpCode.multi), { name: "WireError" });
  assert.throws(() => readRequestBody(new Reader(new Uint8Array(0)), 999), { name: "WireError" });
});

Deno.test("KeeperError carries code, name and path", () => {
  const error = new KeeperError(ErrorCode.noNode, "/a/b");
  assert.equal(error.code, -101);
  assert.equal(error.codeName, "NONODE");
  assert.equal(error.path, "/a/b");
  assert.match(error.message, /^NONODE: No node for \/a\/b$/);
  assert.equal(errorName(-112), "SESSIONEXPIRED");
  assert.equal(errorName(-9999), "UNKNOWN(-9999)");
  assert.equal(new KeeperError(ErrorCode.connectionLoss).retriable, true);
  assert.equal(new KeeperError(ErrorCode.nodeExists).retriable, false);
});
