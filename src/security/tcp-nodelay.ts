/**
 * TCP_NODELAY for the sockets Deno.listenTls accepts, which Deno 2.9 cannot set (its TlsConn has
 * no setNoDelay and listenTls takes no such option).
 *
 * Why it matters: Deno's TLS sends every 16 KiB record with a write of its own. On loopback the
 * MSS is ~64 KiB, so every record is a "small" segment to Nagle's algorithm, and the tail of a
 * response waits for the client's delayed ACK (~40 ms on Linux) whenever an earlier small
 * segment is still unacknowledged: measured here, a 70 KB response over Deno's TLS took 44 ms
 * (p50) against 0.1 ms with TCP_NODELAY, and an 8 MB one 22 ms against 13 ms. A consumer waits
 * for each fetch response before sending the next fetch, so those stalls set its rate; they
 * made the median TLS consume swing far below the best.
 *
 * How: Linux copies TCP_NODELAY from a listening socket to the sockets it accepts, so it is set
 * once, on the listener. Deno does not expose the listener's file descriptor, so it is found
 * in /proc (this process's sockets listening on the port, matched by socket inode) and set
 * with libc's setsockopt through FFI. Where any of that is unavailable (not Linux, no FFI
 * permission, no glibc), the listener keeps Nagle's algorithm and the caller says so; the
 * broker still works, only slower on TLS.
 *
 * @example
 * ```ts
 * const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
 * const result = setListenerNoDelay((listener.addr as Deno.NetAddr).port);
 * if (!result.ok) console.error(`TCP_NODELAY not set: ${result.reason}`);
 * ```
 */

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
/** /proc/net/tcp state of a listening socket. */
const TCP_LISTEN = "0A";

type Libc = {
  symbols: {
    setsockopt: (fd: number, level: number, name: number, value: Uint8Array, length: number) => number;
    getsockopt: (fd: number, level: number, name: number, value: Uint8Array, length: Uint8Array) => number;
  };
};

let libc: Libc | string | undefined;

/** libc's setsockopt/getsockopt, loaded once; a string says why they are unavailable. */
function loadLibc(): Libc | string {
  if (libc !== undefined) return libc;
  if (Deno.build.os !== "linux") return libc = `not available on ${Deno.build.os}`;
  // Ask, never prompt: a library user who granted no FFI or /proc access keeps Nagle silently
  // rather than meeting a permission prompt on connect.
  if (
    Deno.permissions.querySync({ name: "ffi" }).state !== "granted" ||
    Deno.permissions.querySync({ name: "read", path: "/proc" }).state !== "granted"
  ) {
    return libc = "needs --allow-ffi and read access to /proc";
  }
  try {
    libc = Deno.dlopen("libc.so.6", {
      setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    }) as unknown as Libc;
  } catch (error) {
    libc = `cannot load libc.so.6 (${(error as Error).message})`;
  }
  return libc;
}

/** Socket inodes of the TCP sockets (IPv4 and IPv6) whose /proc/net/tcp row `matches`. */
function socketInodes(
  matches: (localPort: number, remotePort: number, state: string) => boolean,
): Set<string> {
  const portOf = (address: string) => parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
  const inodes = new Set<string>();
  for (const file of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      continue; // no IPv6 (tcp6 absent): nothing listens there
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (matches(portOf(fields[1]), portOf(fields[2]), fields[3])) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/** This process's file descriptors that are one of `inodes`. */
function descriptorsOf(inodes: Set<string>): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
    } catch {
      continue; // closed between listing and reading: not ours any more
    }
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match && inodes.has(match[1])) found.push(Number(entry.name));
  }
  return found;
}

export type NoDelayResult = { ok: true } | { ok: false; reason: string };

/**
 * Set TCP_NODELAY on this process's sockets listening on `port`, so the connections they accept
 * have it too (Linux).
 */
export function setListenerNoDelay(port: number): NoDelayResult {
  const lib = loadLibc();
  if (typeof lib === "string") return { ok: false, reason: lib };
  let descriptors: number[];
  try {
    descriptors = descriptorsOf(socketInodes((local, _, state) => local === port && state === TCP_LISTEN));
  } catch (error) {
    return { ok: false, reason: `cannot read /proc: ${(error as Error).message}` };
  }
  if (descriptors.length === 0) return { ok: false, reason: `no listening socket on port ${port} found` };
  const one = new Uint8Array(new Int32Array([1]).buffer);
  for (const fd of descriptors) {
    if (lib.symbols.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4) !== 0) {
      return { ok: false, reason: `setsockopt failed on descriptor ${fd}` };
    }
  }
  return { ok: true };
}

/**
 * Set TCP_NODELAY on this process's connection from local `port` to remote `remotePort` (a
 * socket Deno.connectTls opened, which has no setNoDelay either).
 */
export function setConnectionNoDelay(port: number, remotePort: number): NoDelayResult {
  const lib = loadLibc();
  if (typeof lib === "string") return { ok: false, reason: lib };
  let descriptors: number[];
  try {
    descriptors = descriptorsOf(socketInodes((local, remote) => local === port && remote === remotePort));
  } catch (error) {
    return { ok: false, reason: `cannot read /proc: ${(error as Error).message}` };
  }
  const [fd] = descriptors;
  if (fd === undefined) return { ok: false, reason: `no connection from port ${port} found` };
  const one = new Uint8Array(new Int32Array([1]).buffer);
  if (lib.symbols.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, one, 4) !== 0) {
    return { ok: false, reason: `setsockopt failed on descriptor ${fd}` };
  }
  return { ok: true };
}

/**
 * Whether this process's connection from local `port` to remote `remotePort` has TCP_NODELAY
 * (undefined when it cannot tell): for tests, which check what accepted sockets inherit.
 */
export function connectionNoDelay(port: number, remotePort: number): boolean | undefined {
  const lib = loadLibc();
  if (typeof lib === "string") return undefined;
  const inodes = socketInodes((local, remote) => local === port && remote === remotePort);
  const [fd] = descriptorsOf(inodes);
  if (fd === undefined) return undefined;
  const value = new Uint8Array(4);
  const length = new Uint8Array(new Uint32Array([4]).buffer);
  if (lib.symbols.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, value, length) !== 0) return undefined;
  return new Int32Array(value.buffer)[0] !== 0;
}
