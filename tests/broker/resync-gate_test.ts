/**
 * ResyncGate: a periodic full read of the tree is due when none completed yet, when the
 * coordinator's zxid moved since the last one began (also by a change during that read), or when
 * the last one is older than the quiet bound; and not otherwise. A read that never completed
 * counts for nothing.
 */
import assert from "node:assert/strict";
import { ResyncGate } from "../../src/broker/resync-gate.ts";

function fixture() {
  const coordinator = { zxid: 100, asked: 0 };
  const clock = { nowMs: 0 };
  const gate = new ResyncGate(
    () => Promise.resolve((coordinator.asked++, coordinator.zxid)),
    1_000, // asked every second: a full read at least every 10 s
    () => clock.nowMs,
  );
  return { coordinator, clock, gate };
}

Deno.test("a resync reads again only when the coordinator's zxid moved, or the last read is old", async () => {
  const { coordinator, clock, gate } = fixture();
  assert.equal(await gate.due(), true, "no full read yet");

  const mark = await gate.mark();
  gate.completed(mark);
  clock.nowMs = 1_000;
  assert.equal(await gate.due(), false, "nothing changed");

  coordinator.zxid = 101; // a write anywhere in the tree
  assert.equal(await gate.due(), true, "the tree changed since the read began");
  gate.completed(await gate.mark());
  assert.equal(await gate.due(), false);

  // Quiet, but the last full read is as old as the bound: it is due anyway, without asking.
  const asked = coordinator.asked;
  clock.nowMs = 1_000 + 10_000;
  assert.equal(await gate.due(), true);
  assert.equal(coordinator.asked, asked, "the age alone decides");
});

Deno.test("a change during a full read, or a read that failed, brings another read", async () => {
  const { coordinator, gate } = fixture();
  const mark = await gate.mark(); // taken before reading
  coordinator.zxid = 105; // changed while the read was under way: it may have missed it
  gate.completed(mark);
  assert.equal(await gate.due(), true);

  const next = await gate.mark();
  gate.completed(next);
  assert.equal(await gate.due(), false);
  coordinator.zxid = 106;
  await gate.mark(); // this read fails: never completed
  assert.equal(await gate.due(), true, "the failed read counts for nothing");
});
