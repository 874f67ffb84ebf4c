/**
 * Connection against a scripted in-test server on 127.0.0.1 (a real TCP socket): version
 * negotiation, pipelining with its bound, timeouts, a bad correlation id, an unreachable port.
 */
import assert from "node:assert/strict";
import { Connection } from "../../src/client/connection.ts";
import {
  BrokerUnreachableError,
  ConnectionClosedError,
  RequestTimeoutError,
} from "../../src/client/errors.ts";
import { ApiKey } from "../../src/kafka/api-keys.ts";
import { readRequestHeader, type RequestHeader, writeResponseHeader } from "../../src/kafka/header.ts";
import { writeApiVersionsResponse } from "../../src/kafka/apis/api-versions.ts";
import { FrameDecoder, Reader, Writer } from "../../src/wire/mod.ts";
import { eventually, freePort } from "../helpers/program.ts";

/** `hold`: keep this response back and send it in one write with the next one not held. */
type Handler = (
  header: RequestHeader,
  respond: (body: (w: Writer) => void, hold?: boolean) => void,
  body: Reader,
) => void;

/** A fake broker: answers ApiVersions with `ranges`, hands other requests to `handler`. */
function fakeBroker(ranges: { apiKey: number; minVersion: number; maxVersion: number }[], handler: Handler) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const seen: RequestHeader[] = [];
  (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      (async () => {
        const decoder = new FrameDecoder(1 << 20);
        const buffer = new Uint8Array(65536);
        let held: Uint8Array[] = [];
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) break;
            for (const frame of decoder.push(buffer.slice(0, n))) {
              const reader = new Reader(frame);
              const header = readRequestHeader(reader);
              seen.push(header);
              const respond = (body: (w: Writer) => void, hold = false) => {
                const w = new Writer().int32(0);
                writeResponseHeader(w, header.apiKey, header.apiVersion, header.correlationId);
                body(w);
                w.setInt32At(0, w.length - 4);
                held.push(w.toBytes());
                if (hold) return;
                const out = new Writer();
                for (const bytes of held) out.raw(bytes);
                held = [];
                conn.write(out.toBytes()).catch(() => {});
              };
              if (header.apiKey === ApiKey.ApiVersions) {
                respond((w) =>
                  writeApiVersionsResponse(w, header.apiVersion, {
                    errorCode: 0,
                    apiKeys: ranges,
                    throttleTimeMs: 0,
                  })
                );
              } else handler(header, respond, reader);
            }
          }
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    seen,
    close() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}

const echoInt = (value: number) => (w: Writer) => w.int32(value);
const readInt = (r: Reader) => r.int32();

Deno.test("negotiates min(our max, broker max) and refuses APIs without an overlap", async () => {
  const broker = fakeBroker([
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 12 },
    { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 6 },
    { apiKey: ApiKey.Produce, minVersion: 9, maxVersion: 11 },
  ], () => {});
  const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port });
  try {
    assert.equal(broker.seen[0].apiVersion, 3);
    assert.equal(connection.versionFor(ApiKey.Metadata), 8); // ours tops out at 8
    assert.equal(connection.versionFor(ApiKey.Fetch), 6); // theirs tops out at 6
    assert.throws(() => connection.versionFor(ApiKey.Produce), /UNSUPPORTED_VERSION.*Produce/);
    assert.throws(() => connection.versionFor(ApiKey.CreateTopics), /does not offer CreateTopics/);
  } finally {
    connection.close();
    broker.close();
  }
});

Deno.test("pipelines requests up to the in-flight bound and matches responses in order", async () => {
  const held: (() => void)[] = [];
  const broker = fakeBroker(
    [{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }],
    (header, respond) => {
      held.push(() => respond(echoInt(header.correlationId)));
    },
  );
  const connection = await Connection.connect({
    host: "127.0.0.1",
    port: broker.port,
    maxInFlightRequests: 3,
  });
  try {
    const results = Array.from(
      { length: 7 },
      () => connection.request(ApiKey.Metadata, 0, () => {}, readInt),
    );
    await eventually("three requests at the broker", () => held.length === 3);
    assert.equal(connection.inFlight, 3);
    // Nothing more is written until a slot frees up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(held.length, 3);
    let done = 0;
    for (const result of results) result.then(() => done++);
    while (done < results.length) {
      const next = held.shift();
      if (next) next();
      else await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(connection.inFlight <= 3);
    }
    const ids = await Promise.all(results);
    assert.equal(new Set(ids).size, 7);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  } finally {
    connection.close();
    broker.close();
  }
});

/**
 * A connection to a fake broker that notes the order numbered requests arrive in; `hold(n)` says
 * whether the answer to request n waits to go out in one write with the next answer.
 */
async function numberedRequests(
  maxInFlightRequests: number,
  hold: (number: number) => boolean = () => false,
) {
  const arrived: number[] = [];
  const broker = fakeBroker(
    [{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }],
    (_header, respond, body) => {
      const number = body.int32();
      arrived.push(number);
      respond(echoInt(0), hold(number));
    },
  );
  const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port, maxInFlightRequests });
  const request = (number: number, onAnswer = () => {}) =>
    connection.request(ApiKey.Metadata, 0, (w) => w.int32(number), (r) => {
      onAnswer();
      return r.int32();
    });
  return {
    arrived,
    request,
    close() {
      connection.close();
      broker.close();
    },
  };
}

Deno.test("a freed slot goes to the oldest waiting request, not to one made in the same turn", async () => {
  const { arrived, request, close } = await numberedRequests(1);
  try {
    const later: Promise<number>[] = [];
    // 0 takes the one slot and 1 waits for it. Answering 0 frees the slot and, in the same turn,
    // makes request 2 (as a producer sends its next batches when one is answered): 2 must queue
    // behind 1, or a later batch of a partition overtakes an earlier one.
    const first = request(0, () => later.push(request(2)));
    const second = request(1);
    await Promise.all([first, second]);
    await Promise.all(later);
    assert.deepEqual(arrived, [0, 1, 2]);
  } finally {
    close();
  }
});

Deno.test("a slot handed to a waiting request stays ahead of one made while the waiter wakes", async () => {
  // The answers to 0 and 1 go out in one write, so the client handles both in one turn.
  const { arrived, request, close } = await numberedRequests(2, (number) => number === 0);
  try {
    const later: Promise<number>[] = [];
    // 0 and 1 take both slots and 2 waits. The answer to 0 hands its slot to 2; the answer to 1,
    // in the same turn, frees the other, and request 3 is made then, before 2 has woken: 3 must
    // still go after 2 (a producer's next batch of a partition behind its earlier one).
    const answered = [request(0), request(1, () => later.push(request(3)))];
    const third = request(2);
    await Promise.all([...answered, third]);
    await Promise.all(later);
    assert.deepEqual(arrived, [0, 1, 2, 3]);
  } finally {
    close();
  }
});

Deno.test("a request that fails to encode gives its slot back", async () => {
  const broker = fakeBroker(
    [{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }],
    (header, respond) => respond(echoInt(header.correlationId)),
  );
  const connection = await Connection.connect({
    host: "127.0.0.1",
    port: broker.port,
    maxInFlightRequests: 1,
  });
  try {
    await assert.rejects(
      connection.request(ApiKey.Metadata, 0, () => {
        throw new RangeError("bad field");
      }, readInt),
      /bad field/,
    );
    assert.equal(connection.inFlight, 0);
    // With the slot lost this request would wait forever: fail after 5 s instead of hanging.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([
      connection.request(ApiKey.Metadata, 0, () => {}, readInt),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("the next request never got a slot")), 5_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.ok(Number.isInteger(answered) && answered > 0);
  } finally {
    connection.close();
    broker.close();
  }
});

Deno.test("a request without an answer times out and fails the others on the connection", async () => {
  const broker = fakeBroker([{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }], () => {});
  const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port });
  try {
    const slow = connection.request(ApiKey.Metadata, 0, () => {}, readInt, 100);
    const other = connection.request(ApiKey.Metadata, 0, () => {}, readInt, 60_000);
    await assert.rejects(slow, RequestTimeoutError);
    await assert.rejects(other, RequestTimeoutError);
    assert.equal(connection.closed, true);
    await assert.rejects(connection.request(ApiKey.Metadata, 0, () => {}, readInt), RequestTimeoutError);
  } finally {
    broker.close();
  }
});

Deno.test("a short timeout behind a long one still fails the connection on time", async () => {
  const broker = fakeBroker([{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }], () => {});
  const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port });
  try {
    const started = performance.now();
    const patient = connection.request(ApiKey.Metadata, 0, () => {}, readInt, 60_000);
    const hasty = connection.request(ApiKey.Metadata, 0, () => {}, readInt, 100);
    await assert.rejects(hasty, /Metadata request to .* got no response within 100 ms/);
    await assert.rejects(patient, RequestTimeoutError);
    // Bounded, not timed: the 60 s request's deadline did not hold up the 100 ms one.
    assert.ok(performance.now() - started < 30_000, "failed at the short deadline");
  } finally {
    broker.close();
  }
});

Deno.test("a response with the wrong correlation id closes the connection", async () => {
  const liar = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await liar.accept();
    await conn.read(new Uint8Array(1024));
    const w = new Writer().int32(0).int32(999_999).int16(0).int32(0).int32(0);
    w.setInt32At(0, w.length - 4);
    await conn.write(w.toBytes());
    await conn.read(new Uint8Array(1024)).catch(() => null);
    conn.close();
  })();
  await assert.rejects(
    Connection.connect({ host: "127.0.0.1", port: (liar.addr as Deno.NetAddr).port }),
    (error: Error) => error instanceof BrokerUnreachableError && /correlation id 999999/.test(error.message),
  );
  await served;
  liar.close();
});

Deno.test("a response frame announcing 2 GiB closes the connection before anything is allocated", async () => {
  const liar = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await liar.accept();
    await conn.read(new Uint8Array(1024));
    await conn.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]));
    await conn.read(new Uint8Array(1024)).catch(() => null);
    conn.close();
  })();
  await assert.rejects(
    Connection.connect({
      host: "127.0.0.1",
      port: (liar.addr as Deno.NetAddr).port,
      maxResponseBytes: 1 << 20,
    }),
    (error: Error) =>
      error instanceof BrokerUnreachableError && /frame length 2147483647 outside/.test(error.message),
  );
  await served;
  liar.close();
});

Deno.test("an unreachable broker is one clear error, and a closed connection fails pending requests", async () => {
  const port = freePort();
  await assert.rejects(
    Connection.connect({ host: "127.0.0.1", port }),
    (error: Error) => error instanceof BrokerUnreachableError && error.message.includes(`127.0.0.1:${port}`),
  );
  const broker = fakeBroker([{ apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 8 }], () => {});
  const connection = await Connection.connect({ host: "127.0.0.1", port: broker.port });
  const pending = connection.request(ApiKey.Metadata, 0, () => {}, readInt);
  await eventually("request at the broker", () => broker.seen.length === 2);
  broker.close();
  await assert.rejects(pending, ConnectionClosedError);
});
