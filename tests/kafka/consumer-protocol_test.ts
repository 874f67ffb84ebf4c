import assert from "node:assert/strict";
import {
  type Assignment,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
} from "../../src/kafka/consumer-protocol.ts";
import { WireError } from "../../src/wire/wire-error.ts";
import { bytesOf, hex, toHex, versions } from "./codec-harness.ts";

const full: Subscription = {
  version: 3,
  topics: ["orders", "payments"],
  userData: bytesOf(9, 8),
  ownedPartitions: [{ topic: "orders", partitions: [0, 2] }, { topic: "payments", partitions: [] }],
  generationId: 11,
  rackId: "rack-a",
};

Deno.test("Subscription round-trips every version it writes", () => {
  for (const v of versions(0, 3)) {
    const decoded = decodeSubscription(encodeSubscription({ ...full, version: v }));
    assert.deepEqual(decoded, {
      version: v,
      topics: full.topics,
      userData: full.userData,
      ownedPartitions: v >= 1 ? full.ownedPartitions : [],
      generationId: v >= 2 ? 11 : -1,
      rackId: v >= 3 ? "rack-a" : null,
    }, `v${v}`);
  }
  assert.deepEqual(decodeSubscription(encodeSubscription({ version: 1, topics: [], userData: null })), {
    version: 1,
    topics: [],
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
  assert.throws(() => encodeSubscription({ ...full, version: 4 }), RangeError);
});

Deno.test("Subscription v0 matches hand-derived bytes (kafkajs's shape)", () => {
  // version 0, topics ["t1"], user_data empty (not null).
  const bytes = hex("0000 00000001 0002 7431 00000000");
  const value: Subscription = { version: 0, topics: ["t1"], userData: bytesOf() };
  assert.equal(toHex(encodeSubscription(value)), toHex(bytes));
  assert.deepEqual(decodeSubscription(bytes), {
    ...value,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
});

Deno.test("Subscription v1 matches hand-derived bytes (librdkafka's shape)", () => {
  // version 1, topics ["t"], user_data null, owned [{ "t", [0] }].
  const bytes = hex("0001 00000001 0001 74 ffffffff 00000001 0001 74 00000001 00000000");
  const value: Subscription = {
    version: 1,
    topics: ["t"],
    userData: null,
    ownedPartitions: [{ topic: "t", partitions: [0] }],
  };
  assert.equal(toHex(encodeSubscription(value)), toHex(bytes));
  assert.deepEqual(decodeSubscription(bytes), { ...value, generationId: -1, rackId: null });
});

Deno.test("Subscription of a newer version parses with the newest known layout", () => {
  // v9 with v3 fields and then 3 bytes of some future field.
  const known = encodeSubscription({ ...full, version: 3 });
  const future = new Uint8Array([...known, 1, 2, 3]);
  future[1] = 9;
  assert.deepEqual(decodeSubscription(future), { ...full, version: 9 });
  assert.throws(() => decodeSubscription(hex("ffff 00000000 ffffffff")), WireError);
  assert.throws(() => decodeSubscription(hex("0000 00000005 0001")), WireError);
});

Deno.test("Assignment round-trips and matches hand-derived bytes", () => {
  const assignment: Assignment = {
    version: 1,
    assignedPartitions: [{ topic: "orders", partitions: [1, 4] }],
    userData: bytesOf(7),
  };
  for (const v of versions(0, 3)) {
    assert.deepEqual(decodeAssignment(encodeAssignment({ ...assignment, version: v })), {
      ...assignment,
      version: v,
    });
  }
  // version 0, [{ "t", [0, 1] }], user_data empty.
  const bytes = hex("0000 00000001 0001 74 00000002 00000000 00000001 00000000");
  const value: Assignment = {
    version: 0,
    assignedPartitions: [{ topic: "t", partitions: [0, 1] }],
    userData: bytesOf(),
  };
  assert.equal(toHex(encodeAssignment(value)), toHex(bytes));
  assert.deepEqual(decodeAssignment(bytes), value);
  // Zero bytes: a member that was given nothing.
  assert.deepEqual(decodeAssignment(bytesOf()), { version: 0, assignedPartitions: [], userData: null });
  assert.throws(() => decodeAssignment(hex("0000 00000001 0001")), WireError);
});
