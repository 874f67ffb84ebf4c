/**
 * socketReader (src/wire/socket-read.ts): conn.read's contract over a real loopback socket, the
 * runtime's read op for plain TCP on this Deno (conn.read itself never called), and conn.read
 * where the op cannot serve.
 */
import assert from "node:assert/strict";
import { readsThroughOp, socketReader } from "../../src/wire/socket-read.ts";
import { oldSpaceGrowth } from "../helpers/old-space.ts";

/** A connected pair on 127.0.0.1, closed at the end of `use`. */
async function withPair(use: (client: Deno.TcpConn, server: Deno.TcpConn) => Promise<void>) {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept() as Deno.TcpConn;
  try {
    await use(client, server);
  } finally {
    for (const conn of [client, server]) {
      try {
        conn.close();
      } catch { /* closed by the test */ }
    }
  }
}

Deno.test("socketReader: this Deno's read op serves plain TCP, so its reads skip Conn.read's per-read Set", () => {
  // If a Deno upgrade takes the op away, reads fall back to conn.read and this says so.
  assert.equal(readsThroughOp, true);
});

Deno.test("socketReader reads what was sent, returns 0 for an empty buffer and null at end of stream, without conn.read", async () => {
  await withPair(async (client, server) => {
    server.read = () => Promise.reject(new Error("conn.read must not be called"));
    const read = socketReader(server);
    const sent = new Uint8Array(100_000).map((_, i) => i % 251);
    const writing = (async () => {
      for (let at = 0; at < sent.length;) at += await client.write(sent.subarray(at));
      client.closeWrite();
    })();
    const got = new Uint8Array(sent.length);
    let filled = 0;
    assert.equal(await read(new Uint8Array(0)), 0);
    while (filled < sent.length) {
      const count = await read(got.subarray(filled, Math.min(got.length, filled + 7_000)));
      assert.ok(count !== null && count > 0, `read ${count} after ${filled} bytes`);
      filled += count;
    }
    await writing;
    assert.deepEqual(got, sent);
    assert.equal(await read(new Uint8Array(10)), null);
    assert.equal(await read(new Uint8Array(10)), null); // and stays there
  });
});

Deno.test("socketReader uses conn.read for a connection the op cannot serve (TLS, or no resource id)", async () => {
  const calls: number[] = [];
  const fake = (extra: object) =>
    ({
      ...extra,
      read: (buffer: Uint8Array) => {
        calls.push(buffer.length);
        return Promise.resolve(null);
      },
    }) as unknown as Deno.Conn;
  assert.equal(await socketReader(fake({}))(new Uint8Array(3)), null);
  assert.equal(await socketReader(fake({ handshake: () => Promise.resolve({}) }))(new Uint8Array(5)), null);
  assert.deepEqual(calls, [3, 5]);
});

Deno.test("socketReader: a read on a closed connection fails as conn.read's does", async () => {
  await withPair(async (_client, server) => {
    const read = socketReader(server);
    server.close();
    await assert.rejects(read(new Uint8Array(10)), Deno.errors.BadResource);
  });
});

/**
 * The reason socketReader exists: reads on a long-lived connection must not become old-space
 * garbage. conn.read is the control that shows the churn being avoided.
 */
Deno.test("20,000 reads on an old connection add nothing to the old space through socketReader (conn.read: ~120 bytes each)", async () => {
  const src = new URL("../../src/", import.meta.url).href;
  const grownWith = (reader: "socketReader" | "conn.read") =>
    oldSpaceGrowth(
      `import { socketReader } from "${src}wire/socket-read.ts";
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      const server = await listener.accept();
      const read = ${reader === "socketReader" ? "socketReader(server)" : "(buffer) => server.read(buffer)"};
      const one = new Uint8Array(1);
      const buffer = new Uint8Array(16);
      async function churn(rounds) {
        for (let i = 0; i < rounds; i++) {
          await client.write(one);
          if ((await read(buffer)) !== 1) throw new Error("short read");
        }
      }`,
    );
  const control = await grownWith("conn.read");
  assert.ok(control > 1024 * 1024, `the control (conn.read) grew the old space by only ${control} bytes`);
  const grown = await grownWith("socketReader");
  assert.ok(grown < 256 * 1024, `the old space grew by ${grown} bytes in 20,000 reads`);
});
