/**
 * Connect strings as ZooKeeper clients write them: `host:port[,host:port…][/chroot]`.
 * A host without a port gets 2181; IPv6 literals go in brackets (`[::1]:2181`).
 *
 * @example
 * ```ts
 * parseConnectString("a:2181,b:2182/app");
 * // { hosts: [{ host: "a", port: 2181 }, { host: "b", port: 2182 }], chroot: "/app" }
 * ```
 */
import { validatePath } from "./paths.ts";

/** One server address. */
export interface HostPort {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** A parsed connect string. */
export interface ConnectString {
  /** Servers in the order they are tried. */
  hosts: HostPort[];
  /** "" when there is no chroot, else a valid absolute path without a trailing slash. */
  chroot: string;
}

const DEFAULT_PORT = 2181;

/** Parse a connect string; throws TypeError with the offending part. */
export function parseConnectString(text: string): ConnectString {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const hostPart = slash < 0 ? trimmed : trimmed.slice(0, slash);
  let chroot = slash < 0 ? "" : trimmed.slice(slash);
  if (chroot === "/") chroot = "";
  if (chroot !== "") validatePath(chroot);
  const hosts = hostPart.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
    .map(parseHostPort);
  if (hosts.length === 0) throw new TypeError(`Connect string has no host: "${text}"`);
  return { hosts, chroot };
}

function parseHostPort(entry: string): HostPort {
  const match = /^(\[[^\]]+\]|[^:\[\]]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!match) throw new TypeError(`Bad host in connect string: "${entry}" (expected HOST:PORT)`);
  const host = match[1].startsWith("[") ? match[1].slice(1, -1) : match[1];
  const port = match[2] === undefined ? DEFAULT_PORT : Number(match[2]);
  if (port < 1 || port > 65535) throw new TypeError(`Bad port in connect string: "${entry}"`);
  return { host, port };
}
