/**
 * The config change listener against a real coordinator: notifications written after start()
 * reach onChange in order, what was there before does not, a notification it cannot read is
 * skipped without stopping the rest, and notifications past their expiry are deleted.
 */
import assert from "node:assert/strict";
import { ConfigChangeListener, NOTIFICATION_EXPIRY_MS } from "../../src/broker/config-change-listener.ts";
import { alterEntityConfig, readEntityConfig } from "../../src/broker/config-entity-store.ts";
import { connectCoordination } from "../../src/broker/zk-coordination.ts";
import {
  CONFIG_CHANGE_PREFIX,
  CONFIG_CHANGES_PATH,
  type ConfigEntity,
  PERSISTENT_PATHS,
} from "../../src/broker/zk-layout.ts";
import { eventually } from "../helpers/program.ts";
import { startTestCoordinator } from "../integration/broker-harness.ts";

Deno.test("config changes reach every listener through one watch, in order; old ones expire", async () => {
  await using coordinator = await startTestCoordinator();
  const coordination = await connectCoordination(coordinator.connectString, 10_000);
  const seen: string[] = [];
  const logs: string[] = [];
  let nowMs = Date.now();
  const listener = new ConfigChangeListener({
    coordination,
    onChange: (entity: ConfigEntity) => {
      seen.push(`${entity.type}/${entity.name}`);
      return Promise.resolve();
    },
    log: (message) => logs.push(message),
    now: () => nowMs,
  });
  try {
    for (const path of PERSISTENT_PATHS) await coordination.ensurePath(path);
    const topic = (name: string): ConfigEntity => ({ type: "topics", name });
    assert.equal(
      await alterEntityConfig(coordination, topic("before"), () => ({ "retention.ms": "1" })),
      null,
    );
    await listener.start();

    assert.equal(
      await alterEntityConfig(coordination, topic("a"), (current) => ({ ...current, "retention.ms": "5" })),
      null,
    );
    await coordination.createSequential(CONFIG_CHANGE_PREFIX, new TextEncoder().encode("{broken"));
    assert.equal(
      await alterEntityConfig(coordination, topic("b"), () => ({ "cleanup.policy": "compact" })),
      null,
    );
    await eventually("both changes seen", () => seen.length === 2);
    assert.deepEqual(seen, ["topics/a", "topics/b"]);
    assert.equal(logs.length, 1);
    assert.match(logs[0], /skipping .*not valid JSON/);
    assert.deepEqual((await readEntityConfig(coordination, topic("a"))).config, { "retention.ms": "5" });

    // A refused change writes nothing and announces nothing.
    const before = (await coordination.getChildren(CONFIG_CHANGES_PATH))!.length;
    assert.equal(await alterEntityConfig(coordination, topic("a"), () => "no"), "no");
    assert.equal((await coordination.getChildren(CONFIG_CHANGES_PATH))!.length, before);

    // A quarter of an hour later (on the listener's clock) the next round deletes every
    // notification it saw, this round's own included.
    nowMs = Date.now() + NOTIFICATION_EXPIRY_MS + 60_000;
    await alterEntityConfig(coordination, topic("c"), () => ({}));
    await eventually("old notifications deleted", async () => {
      const left = (await coordination.getChildren(CONFIG_CHANGES_PATH))!;
      return left.length === 0;
    });
    assert.deepEqual(seen, ["topics/a", "topics/b", "topics/c"]);
  } finally {
    await listener.close();
    await coordination.close();
  }
});
