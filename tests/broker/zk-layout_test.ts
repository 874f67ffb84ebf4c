import assert from "node:assert/strict";
import {
  decodeBrokerEndpoint,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeBrokerEndpoint,
  encodePartitionState,
  encodeTopicAssignment,
  encodeTopicConfig,
  listenerAddress,
  partitionStatePath,
  validTopicName,
} from "../../src/broker/zk-layout.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("a registration with several listeners: Kafka's endpoints and protocol map, read back per listener", () => {
  const endpoint = {
    brokerId: 2,
    host: "10.0.0.2",
    port: 9094,
    rack: "r1",
    listeners: [
      { name: "CLIENT", host: "broker2.example.com", port: 9093, protocol: "SASL_SSL" },
      { name: "REPLICATION", host: "10.0.0.2", port: 9094, protocol: "SSL" },
      { name: "LOCAL", host: "::1", port: 9095, protocol: "PLAINTEXT" },
    ],
  };
  const json = JSON.parse(new TextDecoder().decode(encodeBrokerEndpoint(endpoint)));
  assert.deepEqual(json.endpoints, [
    "CLIENT://broker2.example.com:9093",
    "REPLICATION://10.0.0.2:9094",
    "LOCAL://[::1]:9095",
  ]);
  assert.deepEqual(json.listener_security_protocol_map, {
    CLIENT: "SASL_SSL",
    REPLICATION: "SSL",
    LOCAL: "PLAINTEXT",
  });
  const decoded = decodeBrokerEndpoint(2, encodeBrokerEndpoint(endpoint));
  assert.deepEqual(decoded, endpoint);
  assert.deepEqual(listenerAddress(decoded, "CLIENT"), endpoint.listeners[0]);
  assert.equal(listenerAddress(decoded, "PLAINTEXT"), undefined);
  // A registration written before listeners existed is one PLAINTEXT listener.
  const old = { brokerId: 3, host: "h", port: 1, rack: null };
  assert.deepEqual(listenerAddress(old, "PLAINTEXT"), { host: "h", port: 1 });
  assert.equal(listenerAddress(old, "CLIENT"), undefined);
  assert.throws(
    () => decodeBrokerEndpoint(2, bytes('{"host":"h","port":1,"endpoints":["nonsense"]}')),
    /not NAME:\/\/HOST:PORT/,
  );
});

Deno.test("znode formats round-trip and match Kafka's JSON field names", () => {
  const endpoint = { brokerId: 4, host: "10.0.0.4", port: 9093, rack: null };
  assert.deepEqual(decodeBrokerEndpoint(4, encodeBrokerEndpoint(endpoint)), {
    ...endpoint,
    listeners: [{ name: "PLAINTEXT", host: "10.0.0.4", port: 9093, protocol: "PLAINTEXT" }],
  });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(encodeBrokerEndpoint(endpoint))).endpoints, [
    "PLAINTEXT://10.0.0.4:9093",
  ]);
  const assignment = [[1, 2], [2, 3], [3, 1]];
  assert.deepEqual(decodeTopicAssignment("t", encodeTopicAssignment(assignment)), assignment);
  const state = { leader: 2, leaderEpoch: 7, isr: [2, 3], controllerEpoch: 1 };
  const stateBytes = encodePartitionState(state);
  assert.deepEqual(decodePartitionState("s", stateBytes), state);
  assert.deepEqual(Object.keys(JSON.parse(new TextDecoder().decode(stateBytes))).sort(), [
    "controller_epoch",
    "isr",
    "leader",
    "leader_epoch",
    "version",
  ]);
  assert.deepEqual(decodeTopicConfig("t", encodeTopicConfig({ "retention.ms": "1000" })), {
    "retention.ms": "1000",
  });
  assert.equal(partitionStatePath("orders", 3), "/brokers/topics/orders/partitions/3/state");
});

Deno.test("malformed znodes are refused with a clear error, never a crash", () => {
  assert.throws(() => decodeBrokerEndpoint(1, bytes("not json")), /not valid JSON/);
  assert.throws(() => decodeBrokerEndpoint(1, bytes('{"host":"h","port":70000}')), /out of range/);
  assert.throws(() => decodeBrokerEndpoint(1, null), /no data/);
  assert.throws(() => decodeTopicAssignment("t", bytes('{"partitions":{"0":[1],"5":[1]}}')), /out of range/);
  assert.throws(() => decodeTopicAssignment("t", bytes('{"partitions":{"0":[]}}')), /no replicas/);
  assert.throws(() => decodeTopicAssignment("t", bytes('{"partitions":[[1]]}')), /must be an object/);
  assert.throws(() =>
    decodePartitionState("s", bytes('{"leader":"1","leader_epoch":0,"isr":[],"controller_epoch":0}'))
  );
  assert.throws(() => decodeTopicConfig("t", bytes('{"config":{"a":1}}')), /must be a string/);
});

Deno.test("topic names follow Kafka's rule", () => {
  assert.ok(validTopicName("orders.v1_A-b"));
  for (const bad of ["", ".", "..", "a/b", "x".repeat(250), "sp ace"]) {
    assert.equal(validTopicName(bad), false, bad);
  }
});
