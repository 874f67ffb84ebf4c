/**
 * The broker's coordination layer outlives an expired session: it opens a new one on its own,
 * says so ("expired", then "renewed"), and every operation goes to the new session from then on.
 */
import assert from "node:assert/strict";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import type { SessionChange } from "../../src/broker/coordination.ts";
import { startTestCoordinator } from "../integration/broker-harness.ts";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { eventually } from "../helpers/program.ts";

Deno.test("an expired session is replaced by a new one, announced, and used from then on", async () => {
  await using coordinator = await startTestCoordinator();
  const lines: string[] = [];
  const coordination = await connectCoordination(
    coordinator.connectString,
    4_000,
    10_000,
    { log: (l) => lines.push(l) },
  );
  try {
    const changes: SessionChange[] = [];
    coordination.onSessionChange((change) => changes.push(change));
    await coordination.createEphemeral("/mine", new TextEncoder().encode("old"));
    const old = coordination.client;

    // Expire it the way ZooKeeper's tests do: attach to the same session and close it.
    const thief = await ZooKeeperClient.connect(coordinator.connectString, {
      sessionId: old.sessionId,
      sessionPassword: old.sessionPassword,
    });
    await thief.close();
    await eventually("a new session", () => changes.length === 2, 30_000);
    assert.deepEqual(changes, ["expired", "renewed"]);
    assert.notEqual(coordination.client, old);
    assert.equal(coordination.client.state, "connected");
    assert.notEqual(coordination.client.sessionId, old.sessionId);

    // The old session's ephemeral node went with it; the new session can make it again.
    assert.equal(await coordination.getData("/mine"), null);
    await coordination.createEphemeral("/mine", new TextEncoder().encode("new"));
    const stat = await coordination.client.exists("/mine");
    assert.equal(stat?.ephemeralOwner, coordination.client.sessionId);
  } finally {
    await coordination.close();
  }
  assert.deepEqual(lines, [], "nothing went wrong along the way");
});
