import assert from "node:assert/strict";
import { RetryPolicy, withRetries } from "../../src/client/retry.ts";
import { BrokerUnreachableError } from "../../src/client/errors.ts";
import { ErrorCode, KafkaError } from "../../src/kafka/errors.ts";

Deno.test("backoff grows exponentially to the cap, with bounded jitter", () => {
  const low = new RetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 1000 }, () => 0);
  const high = new RetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 1000 }, () => 1);
  assert.deepEqual([1, 2, 3, 4, 5, 10].map((a) => low.backoffMs(a)), [80, 160, 320, 640, 800, 800]);
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => high.backoffMs(a)), [120, 240, 480, 960, 1200]);
});

Deno.test("only retriable errors are retried, and only `retries` times", async () => {
  const policy = new RetryPolicy({ retries: 3 });
  const noSleep = () => Promise.resolve();
  let calls = 0;
  const result = await withRetries(policy, (attempt) => {
    calls++;
    if (attempt < 2) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return Promise.resolve("ok");
  }, noSleep);
  assert.equal(result, "ok");
  assert.equal(calls, 3);

  calls = 0;
  await assert.rejects(
    withRetries(policy, () => {
      calls++;
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS);
    }, noSleep),
    /TOPIC_ALREADY_EXISTS/,
  );
  assert.equal(calls, 1);

  calls = 0;
  await assert.rejects(
    withRetries(policy, () => {
      calls++;
      throw new BrokerUnreachableError("127.0.0.1:1");
    }, noSleep),
    BrokerUnreachableError,
  );
  assert.equal(calls, 4);
});

Deno.test("a deadline stops retries even with attempts left", () => {
  const policy = new RetryPolicy({ retries: 100, deadlineMs: 1000 });
  const error = new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
  assert.equal(policy.shouldRetry(error, 1, 0, 500), true);
  assert.equal(policy.shouldRetry(error, 1, 0, 1500), false);
});
