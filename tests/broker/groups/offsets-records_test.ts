import assert from "node:assert/strict";
import {
  decodeGroupValue,
  decodeOffsetsTopicKey,
  decodeOffsetValue,
  encodeGroupKey,
  encodeGroupValue,
  encodeOffsetKey,
  encodeOffsetValue,
  groupMetadataRecord,
  type GroupMetadataValue,
  groupTombstone,
  loadGroups,
  offsetCommitRecord,
  offsetTombstone,
} from "../../../src/broker/groups/offsets-records.ts";
import { groupPartition, javaStringHashCode } from "../../../src/broker/groups/group-partition.ts";
import { WireError } from "../../../src/wire/mod.ts";

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string) =>
  new Uint8Array(text.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16)));

const GROUP: GroupMetadataValue = {
  protocolType: "consumer",
  generationId: 7,
  protocolName: "range",
  leaderId: "a-1",
  currentStateTimestampMs: 1_700_000_000_000,
  members: [{
    memberId: "a-1",
    groupInstanceId: null,
    clientId: "a",
    clientHost: "/10.0.0.1",
    rebalanceTimeoutMs: 60_000,
    sessionTimeoutMs: 30_000,
    subscription: new Uint8Array([0, 0, 0, 0, 0, 1]),
    assignment: new Uint8Array([9]),
  }],
};

Deno.test("keys are Kafka's layout: offset key v1 and group key v2 (hand-derived bytes)", () => {
  // version 1 | "g" | "t" | partition 3
  assert.equal(hex(encodeOffsetKey("g", "t", 3)), "0001" + "000167" + "000174" + "00000003");
  assert.equal(hex(encodeGroupKey("g")), "0002" + "000167");
  assert.deepEqual(decodeOffsetsTopicKey(unhex("0000 000167 000174 00000001")), {
    kind: "offset",
    groupId: "g",
    topic: "t",
    partition: 1,
  });
  assert.deepEqual(decodeOffsetsTopicKey(unhex("0002 000167")), { kind: "group", groupId: "g" });
  assert.throws(() => decodeOffsetsTopicKey(unhex("0003 000167")), WireError);
  assert.throws(() => decodeOffsetsTopicKey(unhex("0002 000167 00")), WireError);
});

Deno.test("offset values: v3 written (hand-derived bytes), v0, v1 and v3 read", () => {
  const value = { offset: 5, leaderEpoch: 2, metadata: "m", commitTimestampMs: 1000 };
  assert.equal(
    hex(encodeOffsetValue(value)),
    "0003" + "0000000000000005" + "00000002" + "00016d" + "00000000000003e8",
  );
  assert.deepEqual(decodeOffsetValue(encodeOffsetValue(value)), value);
  // v1 carries an expire timestamp we ignore; v0/v1 have no leader epoch.
  assert.deepEqual(
    decodeOffsetValue(unhex("0001 000000000000000a 0000 00000000000003e8 00000000000007d0")),
    { offset: 10, leaderEpoch: -1, metadata: "", commitTimestampMs: 1000 },
  );
  assert.deepEqual(
    decodeOffsetValue(unhex("0000 000000000000000b 0001 78 0000000000000001")),
    { offset: 11, leaderEpoch: -1, metadata: "x", commitTimestampMs: 1 },
  );
  assert.throws(() => decodeOffsetValue(unhex("0004 00")), WireError);
  assert.throws(() => decodeOffsetValue(unhex("0003 0000")), WireError);
});

Deno.test("group values round-trip at v3 and read at v0", () => {
  assert.deepEqual(decodeGroupValue(encodeGroupValue(GROUP)), GROUP);
  const v0 = unhex(
    "0000" + "0008" + hex(new TextEncoder().encode("consumer")) + "00000002" + "ffff" + "ffff" +
      "00000001" + "0001 6d" + "0001 63" + "0001 68" + "00007530" + "00000000" + "00000001 07",
  );
  assert.deepEqual(decodeGroupValue(v0), {
    protocolType: "consumer",
    generationId: 2,
    protocolName: null,
    leaderId: null,
    currentStateTimestampMs: -1,
    members: [{
      memberId: "m",
      groupInstanceId: null,
      clientId: "c",
      clientHost: "h",
      rebalanceTimeoutMs: 30_000,
      sessionTimeoutMs: 30_000,
      subscription: new Uint8Array(0),
      assignment: new Uint8Array([7]),
    }],
  });
  assert.throws(() => decodeGroupValue(unhex("0003 0008")), WireError);
  // A hostile member count cannot allocate more than the bytes allow.
  assert.throws(
    () => decodeGroupValue(unhex("0003 0000 00000001 ffff ffff 0000000000000000 7fffffff")),
    WireError,
  );
});

Deno.test("loadGroups replays the log: the latest value per key wins, tombstones delete, bad records are skipped", () => {
  const offset = (o: number) => ({ offset: o, leaderEpoch: -1, metadata: "", commitTimestampMs: 0 });
  const { groups, skipped } = loadGroups([
    offsetCommitRecord("g", "t", 0, offset(1)),
    offsetCommitRecord("g", "t", 1, offset(2)),
    groupMetadataRecord("g", { ...GROUP, generationId: 1 }),
    offsetCommitRecord("g", "t", 0, offset(3)),
    groupMetadataRecord("g", GROUP),
    offsetTombstone("g", "t", 1),
    offsetCommitRecord("gone", "t", 0, offset(4)),
    groupMetadataRecord("gone", GROUP),
    offsetTombstone("gone", "t", 0),
    groupTombstone("gone"),
    { key: unhex("0009 0001 67"), value: null },
    { key: encodeOffsetKey("g", "u", 0), value: unhex("0003") },
  ]);
  assert.equal(skipped, 2);
  assert.deepEqual([...groups.keys()], ["g"]);
  const g = groups.get("g")!;
  assert.equal(g.metadata?.generationId, 7);
  assert.deepEqual([...g.offsets.keys()], ["t"]);
  assert.deepEqual([...g.offsets.get("t")!].map(([p, v]) => [p, v.offset]), [[0, 3]]);
});

Deno.test("groupPartition is Java's String.hashCode, abs, mod N", () => {
  assert.equal(javaStringHashCode("hello"), 99162322);
  assert.equal(javaStringHashCode("Aa"), javaStringHashCode("BB"));
  assert.equal(javaStringHashCode("polygenelubricants"), -2147483648);
  assert.equal(javaStringHashCode("my-group"), -1906497762);
  assert.equal(groupPartition("hello"), 2);
  assert.equal(groupPartition("polygenelubricants"), 0, "abs(MIN_VALUE) is 0 in Kafka's Utils.abs");
  // abs, not & 0x7fffffff (which would give 6).
  assert.equal(groupPartition("my-group"), 2);
  assert.equal(groupPartition("test-group-1", 50), 2060176936 % 50);
  assert.throws(() => groupPartition("g", 0), RangeError);
});
