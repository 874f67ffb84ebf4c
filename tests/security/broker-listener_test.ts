/**
 * Broker listeners over real sockets: plain TCP, TLS without client certificates (Deno's TLS),
 * and TLS that requests or requires them (node:tls). Refused handshakes cost only that client.
 */
import assert from "node:assert/strict";
import { type AcceptedConn, type BrokerListener, listenBroker } from "../../src/security/broker-listener.ts";
import type { ClientAuth } from "../../src/security/tls-options.ts";
import { connectionNoDelay } from "../../src/security/tcp-nodelay.ts";
import { openTransport } from "../../src/client/security.ts";
import { subjectDistinguishedName } from "../../src/security/x509-subject.ts";
import { makeTestCertificates, type TestCertificates } from "../helpers/test-certs.ts";

/** Accept connections, record each one's certificate subject, echo bytes back until EOF. */
function serveEcho(listener: BrokerListener, seen: (string | null)[]): Promise<void> {
  const serveOne = async (conn: AcceptedConn) => {
    try {
      await conn.handshake(5_000);
      seen.push(conn.peerCertificate ? subjectDistinguishedName(conn.peerCertificate) : null);
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        let written = 0;
        while (written < n) written += await conn.write(buffer.subarray(written, n));
      }
    } catch {
      // A client that fails its handshake or resets: only this connection ends.
    } finally {
      conn.close();
    }
  };
  return (async () => {
    for (;;) {
      let conn: AcceptedConn;
      try {
        conn = await listener.accept();
      } catch {
        return; // closed
      }
      serveOne(conn);
    }
  })();
}

async function echo(conn: Deno.Conn, payload: Uint8Array): Promise<Uint8Array> {
  const writing = (async () => {
    let written = 0;
    while (written < payload.length) written += await conn.write(payload.subarray(written));
  })();
  writing.catch(() => {}); // a refused client fails both ways; the read reports it
  const received = new Uint8Array(payload.length);
  let filled = 0;
  while (filled < payload.length) {
    const n = await conn.read(received.subarray(filled));
    if (n === null) throw new Error(`EOF after ${filled} bytes`);
    filled += n;
  }
  await writing;
  return received;
}

function connectTls(port: number, certs: TestCertificates, client?: { cert: string; key: string }) {
  return Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [certs.ca], ...(client ?? {}) });
}

/** Does a TLS client get its bytes echoed, or is it refused? */
async function roundTrips(connecting: Promise<Deno.TlsConn>): Promise<boolean> {
  try {
    const conn = await connecting;
    try {
      const answer = await echo(conn, new TextEncoder().encode("ping"));
      return new TextDecoder().decode(answer) === "ping";
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

async function withListener(
  certs: TestCertificates,
  clientAuth: ClientAuth | undefined,
  body: (port: number, seen: (string | null)[], refusals: string[]) => Promise<void>,
) {
  const refusals: string[] = [];
  const listener = await listenBroker({
    host: "127.0.0.1",
    port: 0,
    tls: clientAuth === undefined
      ? undefined
      : { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, clientAuth },
    onHandshakeError: (_remote, message) => refusals.push(message),
  });
  const seen: (string | null)[] = [];
  const serving = serveEcho(listener, seen);
  try {
    await body(listener.addr.port, seen, refusals);
  } finally {
    listener.close();
    await serving;
  }
}

Deno.test({
  name:
    "Plain and TLS (no client auth) listeners carry bytes both ways; a plaintext client on TLS fails alone",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using certs = await makeTestCertificates();
    await withListener(certs, undefined, async (port, seen) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      assert.equal(new TextDecoder().decode(await echo(conn, new TextEncoder().encode("plain"))), "plain");
      conn.close();
      assert.deepEqual(seen, [null]);
    });
    await withListener(certs, "none", async (port, seen) => {
      // A plaintext client speaking Kafka bytes to the TLS port is refused...
      const plain = await Deno.connect({ hostname: "127.0.0.1", port });
      await plain.write(new Uint8Array([0, 0, 0, 10, 0, 18, 0, 3, 0, 0, 0, 1, 0, 0]));
      const n = await plain.read(new Uint8Array(16)).catch(() => null);
      assert.ok(n === null || n > 0, "the server answers with a TLS alert or closes");
      plain.close();
      // ...and the next TLS client is served, 4 MiB through and back.
      const conn = await connectTls(port, certs);
      const payload = crypto.getRandomValues(new Uint8Array(65536)).map((_, i) => i);
      const big = new Uint8Array(4 * 1024 * 1024);
      for (let at = 0; at < big.length; at += payload.length) big.set(payload, at);
      assert.deepEqual(await echo(conn, big), big);
      conn.close();
      assert.deepEqual(seen.at(-1), null);
    });
  },
});

Deno.test({
  name: "TLS with client auth required: the verified certificate reaches the connection; others are refused",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using certs = await makeTestCertificates({ clients: ["alice"] });
    await withListener(certs, "required", async (port, seen, refusals) => {
      assert.equal(await roundTrips(connectTls(port, certs)), false, "no client certificate");
      assert.equal(
        await roundTrips(connectTls(port, certs, certs.foreignClient)),
        false,
        "another CA's certificate",
      );
      assert.equal(await roundTrips(connectTls(port, certs, certs.clients.alice)), true);
      assert.deepEqual(seen, ["CN=alice,O=Vltava Test"]);
      assert.ok(refusals.length >= 2, `refusals reported: ${refusals.join(" | ")}`);
      // Large transfers go through the node:tls adapter's bounded buffer in both directions.
      const conn = await connectTls(port, certs, certs.clients.alice);
      const big = crypto.getRandomValues(new Uint8Array(65536));
      const payload = new Uint8Array(3 * 1024 * 1024);
      for (let at = 0; at < payload.length; at += big.length) payload.set(big, at);
      assert.deepEqual(await echo(conn, payload), payload);
      conn.close();
    });
  },
});

Deno.test({
  name:
    "TLS with client auth requested: no certificate is anonymous, a valid one is used, a foreign one refused",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using certs = await makeTestCertificates({ clients: ["bob"] });
    await withListener(certs, "requested", async (port, seen, refusals) => {
      assert.equal(await roundTrips(connectTls(port, certs)), true);
      assert.equal(await roundTrips(connectTls(port, certs, certs.clients.bob)), true);
      assert.equal(await roundTrips(connectTls(port, certs, certs.foreignClient)), false);
      assert.deepEqual(seen, [null, "CN=bob,O=Vltava Test"]);
      assert.ok(refusals.some((message) => /client certificate refused/.test(message)), refusals.join(" | "));
    });
  },
});

Deno.test({
  name: "A Deno TLS listener's accepted sockets have TCP_NODELAY (responses never wait for a delayed ACK)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using certs = await makeTestCertificates();
    const kept: string[] = [];
    const listener = await listenBroker({
      host: "127.0.0.1",
      port: 0,
      tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, clientAuth: "none" },
      onNagleKept: (reason) => kept.push(reason),
    });
    try {
      assert.deepEqual(kept, []);
      const connecting = connectTls(listener.addr.port, certs);
      const accepted = await listener.accept();
      const client = await connecting;
      try {
        await Promise.all([accepted.handshake(5_000), client.handshake()]);
        const clientPort = (client.localAddr as Deno.NetAddr).port;
        assert.equal(connectionNoDelay(listener.addr.port, clientPort), true);
        // The check can fail: the client's own socket (Deno.connectTls) keeps Nagle's algorithm.
        assert.equal(connectionNoDelay(clientPort, listener.addr.port), false);
      } finally {
        client.close();
        accepted.close();
      }
    } finally {
      listener.close();
    }
  },
});

Deno.test({
  name: "A client presenting a certificate (Deno.connectTls) gets TCP_NODELAY on its socket too",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using certs = await makeTestCertificates({ clients: ["alice"] });
    await withListener(certs, "required", async (port, seen) => {
      const alice = certs.clients.alice;
      const conn = await openTransport("127.0.0.1", port, "SSL", {
        ca: certs.ca,
        cert: alice.cert,
        key: alice.key,
      });
      try {
        assert.equal(new TextDecoder().decode(await echo(conn, new TextEncoder().encode("ping"))), "ping");
        assert.equal(connectionNoDelay((conn.localAddr as Deno.NetAddr).port, port), true);
        assert.equal(seen.length, 1);
      } finally {
        conn.close();
      }
    });
  },
});
