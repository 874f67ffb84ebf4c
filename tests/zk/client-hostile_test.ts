/**
 * The client against a server that breaks the protocol: every byte from the socket is untrusted, so
 * bad frames cost that connection only, with a clear error, never the process.
 */
import assert from "node:assert/strict";
import { ZooKeeperClient } from "../../src/zk/client/mod.ts";
import { encodeConnectResponse, encodeReply, ErrorCode, KeeperError } from "../../src/zk/protocol/mod.ts";

/** A one-connection-at-a-time fake server; `reply` decides what to write for each received chunk. */
function fakeServer(reply: (chunkIndex: number) => Uint8Array | undefined) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        for (let index = 0;; index++) {
          const read = await conn.read(buffer).catch(() => null);
          if (read === null) return;
          const bytes = reply(index);
          if (bytes) await conn.write(bytes).catch(() => {});
        }
      })();
    }
  })().catch(() => {});
  return {
    connectString: `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    [Symbol.dispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
    },
  };
}

const handshake = encodeConnectResponse({
  protocolVersion: 0,
  timeOutMs: 10_000,
  sessionId: 0x1234n,
  passwd: new Uint8Array(16),
});

Deno.test("zk client: an oversized frame from the server is refused, not allocated", async () => {
  using server = fakeServer(() => new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
  const error = await ZooKeeperClient.connect(server.connectString, { connectTimeoutMs: 1_500 }).catch((e) =>
    e
  );
  assert.ok(error instanceof KeeperError);
  assert.equal(error.code, ErrorCode.connectionLoss);
  assert.match(error.message, /Frame length 2147483647 outside 0\.\.4194304/);
});

Deno.test("zk client: a reply out of order drops the connection and fails the request", async () => {
  // Chunk 0 is the ConnectRequest; chunk 1 the first request, answered with a wrong xid.
  using server = fakeServer((index) => index === 0 ? handshake : encodeReply(999, 5, 0));
  await using zk = await ZooKeeperClient.connect(server.connectString, { connectTimeoutMs: 5_000 });
  assert.equal(zk.sessionId, 0x1234n);
  const disconnected = zk.sessionEvents.next();
  const error = await zk.delete("/x").catch((e) => e);
  assert.ok(error instanceof KeeperError);
  assert.equal(error.code, ErrorCode.connectionLoss);
  assert.match(error.message, /Reply xid 999 does not match the oldest request \(1\)/);
  const event = await disconnected;
  assert.equal(event?.type, "disconnected");
});

Deno.test("zk client: a truncated reply body drops the connection with a clear error", async () => {
  // getData's reply must carry data and a 68-byte Stat; this one stops after the header.
  using server = fakeServer((index) => {
    if (index === 0) return handshake;
    const reply = encodeReply(1, 5, 0);
    const truncated = new Uint8Array(reply.length + 2);
    truncated.set(reply);
    new DataView(truncated.buffer).setInt32(0, reply.length - 4 + 2);
    return truncated;
  });
  await using zk = await ZooKeeperClient.connect(server.connectString, { connectTimeoutMs: 5_000 });
  const error = await zk.getData("/x").catch((e) => e);
  assert.ok(error instanceof KeeperError);
  assert.equal(error.code, ErrorCode.connectionLoss);
});
