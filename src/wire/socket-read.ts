/**
 * Reading a plain TCP Deno.Conn without the bookkeeping Deno adds to every read.
 *
 * Deno's `Conn.read` puts each read's promise into a Set (so that `ref()`/`unref()` can reach
 * reads in flight) and takes it out again when the read ends. A connection that lives long has
 * that Set in V8's old space, and when a hash table shrinks V8 makes its new table in the old
 * one's generation: every read left about 120 bytes in old space that only a mark-compact frees.
 * A leader at 5,000 records/s (three brokers, acks=all) grew its old space by 0.25 MB/s and ran a
 * mark-compact every 25-30 s, each about 15-20 ms of its event loop, in the end-to-end tail
 * (V8's sampling heap profiler, counting what outlived the young generation: 7.5 MB in 60 s from
 * that Set's delete, half of all it sampled). Reading through the runtime's read op, which
 * `Conn.read` wraps, the same leader grew it by 0.01 MB/s. Nothing here unrefs a connection, so
 * the Set had nothing to do.
 *
 * The op and the resource id are the runtime's internals (`Deno[Deno.internal].core.read`, the
 * `Deno.internal.rid` property). Where a Deno lacks them, or for a TLS connection, the reader is
 * `conn.read` itself; tests/wire/socket-read_test.ts says which one this Deno gets.
 *
 * @example
 * ```ts
 * const read = socketReader(conn);
 * const count = await read(buffer); // null at end of stream, like conn.read
 * ```
 */

type ReadOp = (rid: number, buffer: Uint8Array) => Promise<number>;

/** The runtime's read op, or undefined where this Deno does not expose it. */
const coreRead: ReadOp | undefined = (() => {
  const internal = (Deno as unknown as Record<symbol, { core?: { read?: unknown } } | undefined>)[
    (Deno as unknown as { internal: symbol }).internal
  ];
  const read = internal?.core?.read;
  return typeof read === "function" ? read as ReadOp : undefined;
})();

/** The runtime's resource id of a connection, or undefined where it has none we can read. */
function resourceIdOf(conn: Deno.Conn): number | undefined {
  for (const symbol of Object.getOwnPropertySymbols(conn)) {
    if (symbol.description !== "Deno.internal.rid") continue;
    const rid = (conn as unknown as Record<symbol, unknown>)[symbol];
    return typeof rid === "number" ? rid : undefined;
  }
  return undefined;
}

/** A read function for `conn` with `conn.read`'s contract: bytes read, or null at end of stream. */
export type SocketRead = (buffer: Uint8Array) => Promise<number | null>;

/** True when `socketReader` reads plain TCP connections through the runtime's op on this Deno. */
export const readsThroughOp = coreRead !== undefined;

/**
 * The reader for `conn`: the runtime's read op for a plain TCP connection where this Deno has it,
 * else `conn.read`.
 */
export function socketReader(conn: Deno.Conn): SocketRead {
  const rid = coreRead !== undefined && !("handshake" in conn) ? resourceIdOf(conn) : undefined;
  if (rid === undefined) return (buffer) => conn.read(buffer);
  const read = coreRead!;
  return async (buffer) => {
    if (buffer.length === 0) return 0; // the op's 0 would mean end of stream
    const count = await read(rid, buffer);
    return count === 0 ? null : count;
  };
}
