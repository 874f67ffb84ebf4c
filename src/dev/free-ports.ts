/**
 * Ports for processes started a moment later (dev's brokers and /metrics, tests' clusters), picked
 * below the kernel's ephemeral range. The kernel's own pick (port 0) and every outgoing connection
 * take ports from that range, so a port found free there can be taken by a connection before the
 * child binds it (a broker then fails at start-up: CI saw it happen); below it only an explicit
 * bind takes a port.
 *
 * @example
 * ```ts
 * const base = freePortRun(3, "127.0.0.1"); // base, base + 1, base + 2 were all free just now
 * ```
 */

/** Linux's default start of the ephemeral range (net.ipv4.ip_local_port_range). */
const LINUX_EPHEMERAL_START = 32_768;
/** The lowest port picked: well above the well-known and commonly configured ones. */
const LOWEST = 10_000;

/** Where the kernel's ephemeral ports start; Linux's default where that cannot be read. */
export function ephemeralPortsStart(): number {
  try {
    const start = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[0],
    );
    return Number.isInteger(start) && start > LOWEST + 1_000 ? start : LINUX_EPHEMERAL_START;
  } catch {
    return LINUX_EPHEMERAL_START; // not Linux, or /proc not readable: Linux's default is the best guess
  }
}

/**
 * The first of `count` consecutive ports on `host` that were all free a moment ago, below the
 * ephemeral range; throws when 200 random tries found none.
 */
export function freePortRun(count: number, host: string): number {
  const low = LOWEST;
  const high = ephemeralPortsStart() - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low));
    const listeners: Deno.Listener[] = [];
    try {
      for (let port = base; port < base + count; port++) {
        listeners.push(Deno.listen({ hostname: host, port }));
      }
      return base;
    } catch {
      // One of them is taken: try another run.
    } finally {
      for (const listener of listeners) listener.close();
    }
  }
  throw new Error(`no ${count} consecutive free ports between ${low} and ${high + count}`);
}
