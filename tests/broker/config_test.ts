import assert from "node:assert/strict";
import { resolveBrokerConfig } from "../../src/broker/config.ts";

Deno.test("broker config fills defaults from the id", () => {
  const config = resolveBrokerConfig({ brokerId: 4 });
  assert.equal(config.dataDir, "./vltava-data/broker-4");
  assert.equal(config.advertisedHost, "127.0.0.1");
  assert.equal(config.port, 9092);
  assert.equal(config.autoCreateTopics, false);
  assert.equal(resolveBrokerConfig({ brokerId: 1, host: "0.0.0.0" }).advertisedHost, "0.0.0.0");
  assert.equal(resolveBrokerConfig({ brokerId: 1, port: undefined }).port, 9092);
});

Deno.test("broker config refuses out-of-range values naming the setting", () => {
  assert.throws(() => resolveBrokerConfig({ brokerId: 1024 }), /broker id/);
  assert.throws(() => resolveBrokerConfig({ brokerId: 1, port: 70000 }), /port/);
  assert.throws(() => resolveBrokerConfig({ brokerId: 1, maxFrameBytes: 10 }), /max-frame-bytes/);
  assert.throws(() => resolveBrokerConfig({ brokerId: 1, fsync: "sometimes" as "always" }), /fsync/);
});
