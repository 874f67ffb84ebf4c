/**
 * The follower's side of a fetch session (KIP-227): a ReplicaFetcher follows three partitions from
 * a scripted leader that keeps a session. Idle rounds name no partition; a partition that got
 * records is named again with its new position, alone; a removed one is forgotten; and when the
 * leader loses the session, the next fetch is full and names every partition followed — one
 * left out there would never fetch again, and its replica would fall out of the ISR for good.
 */
import assert from "node:assert/strict";
import { ReplicaFetcher } from "../../../src/broker/replication/replica-fetcher.ts";
import { asFollowed, fetcherOptions, followedPartition } from "./fetcher-fixture.ts";
import { ApiKey } from "../../../src/kafka/api-keys.ts";
import { readFetchRequest, writeFetchResponse } from "../../../src/kafka/apis/fetch.ts";
import { ErrorCode } from "../../../src/kafka/errors.ts";
import { scriptedBroker } from "../../helpers/scripted-broker.ts";
import { eventually } from "../../helpers/program.ts";

interface SeenFetch {
  sessionId: number;
  sessionEpoch: number;
  /** "partition@fetchOffset" for each partition the request names. */
  named: string[];
  forgotten: number[];
}

const SESSION_ID = 7;

Deno.test("a follower's fetch session names only what changed, and everything after the leader lost it", async () => {
  const seen: SeenFetch[] = [];
  /** Partitions the leader has one new batch for (answered once, then cleared). */
  const newRecords = new Set<number>();
  let loseSession = false;
  const leader = scriptedBroker((header, reader) => {
    assert.equal(header.apiKey, ApiKey.Fetch);
    const request = readFetchRequest(reader, header.apiVersion);
    const named = request.topics.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.fetchOffset}`));
    const forgotten = (request.forgottenTopicsData ?? []).flatMap((t) => t.partitions);
    const { sessionId = 0, sessionEpoch = -1 } = request;
    seen.push({ sessionId, sessionEpoch, named, forgotten });
    if (loseSession && sessionEpoch !== 0) {
      loseSession = false;
      return (w) =>
        writeFetchResponse(w, header.apiVersion, {
          throttleTimeMs: 0,
          errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
          sessionId: 0,
          responses: [],
        });
    }
    const answered = [...newRecords];
    newRecords.clear();
    return (w) =>
      writeFetchResponse(w, header.apiVersion, {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: SESSION_ID,
        responses: answered.length === 0 ? [] : [{
          topic: "t",
          partitions: answered.map((partition) => ({
            partitionIndex: partition,
            errorCode: 0,
            highWatermark: 100,
            lastStableOffset: 100,
            logStartOffset: 0,
            abortedTransactions: null,
            records: new Uint8Array(10),
          })),
        }],
      });
  });
  const fetcher = new ReplicaFetcher(fetcherOptions(leader.port));
  const partitions = [followedPartition(0, 5), followedPartition(1, 5), followedPartition(2, 5)];
  const sorted = (named: string[]) => [...named].sort();
  /** The requests after the first `from`, once at least `count` more have been seen. */
  const after = async (from: number, count: number) => {
    await eventually(`${count} more fetches`, () => seen.length >= from + count, 10_000);
    return seen.slice(from);
  };
  try {
    for (const p of partitions) fetcher.add(asFollowed(p), 0);

    // The first fetch is full and opens a session; idle rounds then name nothing.
    await eventually("a full fetch naming all three", () => seen.some((f) => f.named.length === 3), 10_000);
    const full = seen.find((f) => f.named.length === 3)!;
    assert.deepEqual([full.sessionId, full.sessionEpoch], [0, 0]);
    assert.deepEqual(sorted(full.named), ["0@5", "1@5", "2@5"]);
    const idle = (await after(seen.indexOf(full) + 1, 3)).slice(0, 3);
    for (const f of idle) {
      assert.equal(f.sessionId, SESSION_ID);
      assert.deepEqual(f.named, [], "an idle round names no partition");
    }

    // Records for partition 1: the next fetch names it alone, at its new log end.
    let mark = seen.length;
    newRecords.add(1);
    await eventually("partition 1 to append", () => partitions[1].logEndOffset === 6, 10_000);
    const moved = (await after(mark, 3)).filter((f) => f.named.length > 0);
    assert.deepEqual(moved.map((f) => f.named), [["1@6"]]);

    // A partition no longer followed is forgotten by the next fetch.
    mark = seen.length;
    fetcher.remove("t:2");
    const forgetting = (await after(mark, 3)).filter((f) => f.forgotten.length > 0);
    assert.deepEqual(forgetting.map((f) => f.forgotten), [[2]]);

    // The leader lost the session (restarted, evicted it): the next fetch is full, in a new
    // session, and names every partition still followed at its position.
    mark = seen.length;
    loseSession = true;
    const restart = (await after(mark, 4)).find((f) => f.sessionEpoch === 0);
    assert.ok(restart, "a full fetch after the session was lost");
    assert.equal(restart.sessionId, 0);
    assert.deepEqual(sorted(restart.named), ["0@5", "1@6"]);
  } finally {
    await fetcher.close();
    leader.close();
  }
});
