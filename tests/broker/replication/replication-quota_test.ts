/**
 * Replication throttles: the byte-rate bucket holds throttled bytes to the rate over time (with a
 * burst of at most one second), throttled-replica lists name exactly their partition:broker
 * pairs, and the dynamic broker configs refuse what is not one of them.
 */
import assert from "node:assert/strict";
import {
  ByteRateQuota,
  ReplicationQuotas,
  throttledReplicas,
  throttledReplicasProblem,
} from "../../../src/broker/replication/replication-quota.ts";
import {
  brokerEntityName,
  effectiveBrokerConfig,
  validateBrokerConfigs,
} from "../../../src/broker/dynamic-broker-config.ts";

Deno.test("a throttled sender averages the rate: it waits after each read until the bytes are paid for", () => {
  const quota = new ByteRateQuota();
  assert.equal(quota.delayMs(0), 0, "no limit: never waits");
  assert.equal(quota.available(0), Infinity);
  quota.setRate(1000, 0);
  let now = 0;
  let sent = 0;
  // A sender that reads 300 bytes whenever allowed, for 10 simulated seconds, in 1 ms steps.
  for (; now < 10_000; now++) {
    if (quota.delayMs(now) > 0) continue;
    quota.record(300, now);
    sent += 300;
  }
  // 10 s at 1000 B/s, plus the first second's burst and at most one read over.
  assert.ok(sent >= 10_000 && sent <= 11_300, `sent ${sent} bytes in 10 s at 1000 B/s`);
  quota.record(5000, now);
  assert.equal(quota.available(now), 0);
  assert.equal(quota.delayMs(now) > 4000, true, "a big read is paid for before the next");
  quota.setRate(null, now);
  assert.equal(quota.delayMs(now), 0, "lifting the limit lets bytes flow at once");
});

Deno.test("throttled replica lists name partition:broker pairs, or every replica with *", () => {
  const some = throttledReplicas("0:1, 1:2");
  assert.equal(some(0, 1), true);
  assert.equal(some(1, 2), true);
  assert.equal(some(0, 2), false);
  assert.equal(throttledReplicas("*")(7, 9), true);
  assert.equal(throttledReplicas(undefined)(0, 1), false);
  assert.equal(throttledReplicas("")(0, 1), false);
  assert.equal(throttledReplicasProblem("0:1,1:2"), null);
  assert.match(throttledReplicasProblem("0:1,x")!, /partition:broker pairs/);
});

Deno.test("dynamic broker configs: only the throttle rates, positive integers; a broker's own over the default", () => {
  assert.equal(validateBrokerConfigs({ "leader.replication.throttled.rate": "10000000" }), null);
  assert.match(validateBrokerConfigs({ "log.dirs": "/tmp" })!, /log.dirs is not a dynamic broker config/);
  assert.match(validateBrokerConfigs({ "follower.replication.throttled.rate": "0" })!, /integer >= 1/);
  assert.deepEqual(
    effectiveBrokerConfig({ "leader.replication.throttled.rate": "5" }, {
      "leader.replication.throttled.rate": "9",
      "follower.replication.throttled.rate": "7",
    }),
    { "leader.replication.throttled.rate": "5", "follower.replication.throttled.rate": "7" },
  );
  assert.equal(brokerEntityName(""), "<default>");
  assert.equal(brokerEntityName("3"), "3");
  assert.equal(brokerEntityName("x"), null);
  const quotas = new ReplicationQuotas();
  quotas.apply({ "leader.replication.throttled.rate": "5" });
  assert.equal(quotas.leader.rate, 5);
  assert.equal(quotas.follower.rate, null);
  quotas.apply({});
  assert.equal(quotas.leader.rate, null);
});
