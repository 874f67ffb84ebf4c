import assert from "node:assert/strict";
import { BadVersionError, type Coordination } from "../../../src/broker/coordination.ts";
import { writeIsr } from "../../../src/broker/partition/isr-writer.ts";
import {
  decodePartitionState,
  encodePartitionState,
  type PartitionState,
} from "../../../src/broker/zk-layout.ts";

/** One versioned znode; `race` runs once just before the first setData (a concurrent writer). */
function fakeCoordination(initial: PartitionState, race?: (write: (state: PartitionState) => void) => void) {
  let data = encodePartitionState(initial);
  let version = 0;
  let raced = false;
  const write = (state: PartitionState) => {
    data = encodePartitionState(state);
    version++;
  };
  const coordination = {
    getData: () => Promise.resolve({ data, version }),
    setData: (_path: string, next: Uint8Array, expected: number) => {
      if (!raced && race) {
        raced = true;
        race(write);
      }
      if (expected !== version) return Promise.reject(new BadVersionError(_path));
      data = next;
      version++;
      return Promise.resolve();
    },
  } as unknown as Coordination;
  return { coordination, state: () => decodePartitionState("state", data) };
}

const base: PartitionState = { leader: 1, leaderEpoch: 4, isr: [1, 2, 3], controllerEpoch: 2 };

Deno.test("the ISR is written with leader, leader epoch and controller epoch kept", async () => {
  const fake = fakeCoordination(base);
  const shrink = (isr: readonly number[]) => isr.filter((id) => id !== 2);
  assert.deepEqual(await writeIsr(fake.coordination, "t", 0, 1, 4, shrink), {
    kind: "written",
    isr: [1, 3],
    changed: true,
    version: 1,
  });
  assert.deepEqual(fake.state(), { ...base, isr: [1, 3] });
});

Deno.test("a lost race with the same leadership is retried on the new version, merging its ISR", async () => {
  // The controller drops dead broker 3 while the leader adds broker 4 back.
  const base4 = { ...base, isr: [1, 2, 3] };
  const fake = fakeCoordination(base4, (write) => write({ ...base4, isr: [1, 2], controllerEpoch: 3 }));
  const outcome = await writeIsr(fake.coordination, "t", 0, 1, 4, (isr) => [...isr, 4]);
  // Version 1 was the controller's write; the leader's retry made version 2.
  assert.deepEqual(outcome, { kind: "written", isr: [1, 2, 4], changed: true, version: 2 });
  assert.deepEqual(fake.state(), { ...base, controllerEpoch: 3, isr: [1, 2, 4] });
});

Deno.test("a lost race against a new leader epoch gives up and reports the new state", async () => {
  const moved = { leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 3 };
  const fake = fakeCoordination(base, (write) => write(moved));
  assert.deepEqual(await writeIsr(fake.coordination, "t", 0, 1, 4, (isr) => isr.filter((id) => id !== 3)), {
    kind: "fenced",
    state: moved,
  });
  assert.deepEqual(fake.state(), moved, "the controller's state is left alone");
});
