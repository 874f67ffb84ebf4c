import assert from "node:assert/strict";
import {
  DEFAULT_LOG_CONFIG,
  logConfigFromTopicConfigs,
  parsePartitionDirName,
  partitionDirName,
  resolveLogConfig,
} from "../../src/storage/mod.ts";

Deno.test("topic configs map onto LogConfig; Long.MAX_VALUE flush settings mean never", () => {
  assert.deepEqual(
    logConfigFromTopicConfigs({
      "segment.bytes": "1048576",
      "retention.ms": "-1",
      "retention.bytes": "5000000",
      "flush.messages": "9223372036854775807",
      "message.timestamp.type": "LogAppendTime",
      "cleanup.policy": "delete",
    }),
    {
      segmentBytes: 1048576,
      retentionMs: -1,
      retentionBytes: 5000000,
      flushMessages: Infinity,
      logAppendTime: true,
    },
  );
  assert.throws(() => logConfigFromTopicConfigs({ "segment.bytes": "big" }), RangeError);
  assert.throws(() => logConfigFromTopicConfigs({ "message.timestamp.type": "Now" }), RangeError);
});

Deno.test("resolveLogConfig fills Kafka's defaults and refuses out-of-range knobs", () => {
  assert.equal(resolveLogConfig().segmentBytes, 128 * 1024 * 1024);
  assert.equal(DEFAULT_LOG_CONFIG.indexIntervalBytes, 4096);
  assert.equal(resolveLogConfig().flushMs, Infinity);
  assert.throws(() => resolveLogConfig({ segmentBytes: 2 ** 31 }), /segmentBytes/);
  assert.throws(() => resolveLogConfig({ flushMessages: 0 }), /flushMessages/);
  assert.throws(() => resolveLogConfig({ retentionMs: -2 }), /retentionMs/);
});

Deno.test("partition directory names round-trip, topics with dashes included", () => {
  assert.equal(partitionDirName("orders-eu", 12), "orders-eu-12");
  assert.deepEqual(parsePartitionDirName("orders-eu-12"), { topic: "orders-eu", partition: 12 });
  assert.equal(parsePartitionDirName("orders"), null);
  assert.equal(parsePartitionDirName("-3"), null);
});
