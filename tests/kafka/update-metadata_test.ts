import assert from "node:assert/strict";
import {
  readUpdateMetadataRequest,
  readUpdateMetadataResponse,
  type UpdateMetadataBroker,
  type UpdateMetadataPartitionState,
  type UpdateMetadataRequest,
  writeUpdateMetadataRequest,
  writeUpdateMetadataResponse,
} from "../../src/kafka/apis/update-metadata.ts";
import { decode, encode, hex, roundTrip, toHex, versions } from "./codec-harness.ts";

const states: UpdateMetadataPartitionState[] = [
  {
    topicName: "a",
    partitionIndex: 0,
    controllerEpoch: 3,
    leader: 1,
    leaderEpoch: 4,
    isr: [1, 2],
    zkVersion: 9,
    replicas: [1, 2, 3],
    offlineReplicas: [3],
  },
  {
    topicName: "b",
    partitionIndex: 1,
    controllerEpoch: 3,
    leader: 2,
    leaderEpoch: 0,
    isr: [2],
    zkVersion: 0,
    replicas: [2],
    offlineReplicas: [],
  },
  {
    topicName: "a",
    partitionIndex: 1,
    controllerEpoch: 3,
    leader: 2,
    leaderEpoch: 1,
    isr: [2, 3],
    zkVersion: 2,
    replicas: [2, 3, 1],
    offlineReplicas: [],
  },
];

const brokers: UpdateMetadataBroker[] = [
  { id: 1, endpoints: [{ port: 9092, host: "h1", listener: "PLAINTEXT", securityProtocol: 0 }], rack: "r1" },
  { id: 2, endpoints: [{ port: 9093, host: "h2", listener: "PLAINTEXT", securityProtocol: 0 }], rack: null },
];

/** What version v can carry of `states` / `brokers`, as the reader fills it. */
function expected(v: number): UpdateMetadataRequest {
  // v5 groups by topic, so a flat list read back from v5 comes in topic order.
  const flat = v >= 5 ? [states[0], states[2], states[1]] : states;
  const ungroupedPartitionStates = flat.map((s) => ({
    ...s,
    offlineReplicas: v >= 4 ? s.offlineReplicas : [],
  }));
  const topicStates = [
    {
      topicName: "a",
      partitionStates: [
        ungroupedPartitionStates.find((s) => s.topicName === "a" && s.partitionIndex === 0)!,
        ungroupedPartitionStates.find((s) => s.topicName === "a" && s.partitionIndex === 1)!,
      ],
    },
    { topicName: "b", partitionStates: [ungroupedPartitionStates.find((s) => s.topicName === "b")!] },
  ];
  const liveBrokers = brokers.map((b) => {
    const e = b.endpoints![0];
    return {
      id: b.id,
      v0Host: e.host,
      v0Port: e.port,
      endpoints: [{ ...e, listener: v >= 3 ? e.listener : "" }],
      rack: v >= 2 ? b.rack : null,
    };
  });
  return {
    controllerId: 1,
    controllerEpoch: 3,
    brokerEpoch: v >= 5 ? 4_294_967_299 : -1,
    ungroupedPartitionStates,
    topicStates,
    liveBrokers,
  };
}

Deno.test("UpdateMetadata round-trips every version", () => {
  for (const v of versions(0, 5)) {
    const request: UpdateMetadataRequest = {
      controllerId: 1,
      controllerEpoch: 3,
      brokerEpoch: 4_294_967_299,
      ungroupedPartitionStates: states,
      liveBrokers: brokers,
    };
    assert.deepEqual(
      roundTrip(writeUpdateMetadataRequest, readUpdateMetadataRequest, v, request),
      expected(v),
      `request v${v}`,
    );
    assert.deepEqual(
      roundTrip(writeUpdateMetadataResponse, readUpdateMetadataResponse, v, { errorCode: 41 }),
      {
        errorCode: 41,
      },
    );
  }
});

Deno.test("UpdateMetadata matches hand-derived bytes", () => {
  const state = {
    topicName: "t",
    partitionIndex: 0,
    controllerEpoch: 2,
    leader: 1,
    leaderEpoch: 3,
    isr: [1],
    zkVersion: 4,
    replicas: [1],
  };
  const stateBody = "00000000 00000002 00000001 00000003 00000001 00000001 00000004 00000001 00000001";
  // v0: controller 1 epoch 2; [("t", ...)]; brokers [(1, "h", 9092)].
  const v0 = hex(`00000001 00000002 00000001 0001 74 ${stateBody} 00000001 00000001 0001 68 00002384`);
  const request: UpdateMetadataRequest = {
    controllerId: 1,
    controllerEpoch: 2,
    ungroupedPartitionStates: [state],
    liveBrokers: [{ id: 1, v0Host: "h", v0Port: 9092 }],
  };
  assert.equal(toHex(encode(writeUpdateMetadataRequest, 0, request)), toHex(v0));
  const read0 = decode(readUpdateMetadataRequest, 0, v0);
  assert.deepEqual(read0.liveBrokers[0].endpoints, [{
    port: 9092,
    host: "h",
    listener: "",
    securityProtocol: 0,
  }]);
  assert.deepEqual(read0.topicStates, [{
    topicName: "t",
    partitionStates: [{ ...state, offlineReplicas: [] }],
  }]);
  // v5: broker epoch 7; topic states [("t", [state + offline []])];
  // brokers [(1, [(9092, "h", "PLAINTEXT", 0)], rack null)].
  const v5 = hex(`
    00000001 00000002 0000000000000007
    00000001 0001 74 00000001 ${stateBody} 00000000
    00000001 00000001 00000001 00002384 0001 68 0009 504c41494e54455854 0000 ffff`);
  const request5: UpdateMetadataRequest = {
    controllerId: 1,
    controllerEpoch: 2,
    brokerEpoch: 7,
    topicStates: [{ topicName: "t", partitionStates: [state] }],
    liveBrokers: [{
      id: 1,
      endpoints: [{ port: 9092, host: "h", listener: "PLAINTEXT", securityProtocol: 0 }],
    }],
  };
  assert.equal(toHex(encode(writeUpdateMetadataRequest, 5, request5)), toHex(v5));
  const read5 = decode(readUpdateMetadataRequest, 5, v5);
  assert.equal(read5.brokerEpoch, 7);
  assert.deepEqual(read5.ungroupedPartitionStates, [{ ...state, offlineReplicas: [] }]);
  assert.equal(read5.liveBrokers[0].rack, null);
  assert.equal(toHex(encode(writeUpdateMetadataResponse, 5, { errorCode: 0 })), "0000");
});
