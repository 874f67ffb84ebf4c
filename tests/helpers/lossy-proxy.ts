/**
 * Test helper: a TCP proxy in front of a real broker that loses the answer to a Produce request.
 * The broker listens on 127.0.0.1:PORT and advertises 127.0.0.2 (`--advertised-host`), the proxy
 * listens on 127.0.0.2:PORT, so every client connection (bootstrap and the ones Metadata names)
 * goes through it. Frames are forwarded unchanged; after `loseNextProduceAnswer()` the next
 * Produce request is delivered to the broker but its response is dropped and the client's
 * connection closed: a response lost in the network, the case idempotence is for.
 *
 * @example
 * ```ts
 * await using proxy = lossyProxy(brokerPort);
 * proxy.loseNextProduceAnswer();
 * ```
 */
import { ApiKey } from "../../src/kafka/api-keys.ts";

export interface LossyProxy extends AsyncDisposable {
  /** "127.0.0.2:PORT", for bootstrap. */
  readonly address: string;
  loseNextProduceAnswer(): void;
  /** Produce answers lost so far. */
  readonly lost: number;
}

export const PROXY_HOST = "127.0.0.2";

/** Split a byte stream into size-prefixed frames (bounded by what the test sends). */
class Frames {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= 4) {
      const size = new DataView(joined.buffer, at, 4).getInt32(0);
      if (joined.length - at < 4 + size) break;
      frames.push(joined.slice(at, at + 4 + size));
      at += 4 + size;
    }
    this.#buffer = joined.slice(at);
    return frames;
  }
}

export function lossyProxy(brokerPort: number): LossyProxy {
  const listener = Deno.listen({ hostname: PROXY_HOST, port: brokerPort });
  const connections = new Set<Deno.Conn>();
  let armed = false;
  let lost = 0;

  const serve = async (client: Deno.Conn) => {
    let broker: Deno.Conn;
    try {
      broker = await Deno.connect({ hostname: "127.0.0.1", port: brokerPort });
    } catch {
      client.close();
      return;
    }
    connections.add(client).add(broker);
    // Correlation ids of Produce requests whose answers are to be lost.
    const doomed = new Set<number>();
    const close = () => {
      for (const conn of [client, broker]) {
        connections.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    };
    const upstream = (async () => {
      const frames = new Frames();
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const count = await client.read(buffer).catch(() => null);
        if (count === null) break;
        for (const frame of frames.push(buffer.subarray(0, count))) {
          const view = new DataView(frame.buffer);
          if (armed && view.getInt16(4) === ApiKey.Produce) {
            armed = false;
            doomed.add(view.getInt32(8));
          }
          await broker.write(frame).catch(() => 0);
        }
      }
    })();
    const downstream = (async () => {
      const frames = new Frames();
      const buffer = new Uint8Array(64 * 1024);
      for (;;) {
        const count = await broker.read(buffer).catch(() => null);
        if (count === null) break;
        for (const frame of frames.push(buffer.subarray(0, count))) {
          if (doomed.has(new DataView(frame.buffer).getInt32(4))) {
            lost++;
            return; // the answer is dropped and the connection closed
          }
          await client.write(frame).catch(() => 0);
        }
      }
    })();
    await Promise.race([upstream, downstream]);
    close();
  };

  const accepting = (async () => {
    for await (const client of listener) void serve(client);
  })().catch(() => {/* the listener was closed */});

  return {
    address: `${PROXY_HOST}:${brokerPort}`,
    loseNextProduceAnswer: () => armed = true,
    get lost() {
      return lost;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of connections) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      await accepting;
    },
  };
}
