/**
 * Broker listeners as Kafka configures them: `--listeners NAME://HOST:PORT,…`, the
 * name → security protocol map (`--listener-security-protocol-map CLIENT:SASL_SSL,…`), what
 * each listener tells clients to connect to (`--advertised-listeners`), and the listener
 * brokers use among themselves (`--inter-broker-listener`). Kafka's rules:
 * - a listener name is upper-cased; names equal to a protocol (PLAINTEXT, SSL, SASL_PLAINTEXT,
 *   SASL_SSL) map to it unless the map says otherwise; any other name must be in the map;
 * - an empty host (`PLAINTEXT://:9092`) binds every interface; `[::1]` is an IPv6 host;
 * - names and ports are unique; port 0 means "pick one" (the broker advertises what it got);
 * - advertised listeners name existing listeners and never the meta-address 0.0.0.0; those
 *   not given advertise the listener's own address (a wildcard host becomes `advertisedHost`).
 * `--host`/`--port` remain the PLAINTEXT shorthand. Every mistake is a TypeError whose message
 * says what to write instead (the CLI turns it into a usage error).
 *
 * @example
 * ```ts
 * const config = resolveListeners({ listeners: "CLIENT://:9093,REPLICATION://:9094",
 *   protocolMap: "CLIENT:SASL_SSL,REPLICATION:SSL", interBrokerListener: "REPLICATION",
 *   advertisedHost: "broker1.example.com" });
 * endpointString(config.advertised[0]); // "CLIENT://broker1.example.com:9093"
 * ```
 */

export const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = typeof SECURITY_PROTOCOLS[number];

export function isSecurityProtocol(value: string): value is SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(value);
}

/** Does this protocol wrap the connection in TLS? */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === "SSL" || protocol === "SASL_SSL";
}

/** Does this protocol require a SASL exchange before any other request? */
export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
}

/** One `NAME://HOST:PORT` entry. */
export interface ListenerAddress {
  name: string;
  /** "" = every interface. */
  host: string;
  port: number;
}

export interface Listener extends ListenerAddress {
  protocol: SecurityProtocol;
}

export interface ListenerConfig {
  /** Where to bind, in the order given. */
  listeners: Listener[];
  /** What to tell clients, one per listener, same order and names. */
  advertised: Listener[];
  /** The listener brokers connect to each other through. */
  interBrokerListener: string;
}

export interface ListenerOptions {
  /** `--listeners`; when absent, `host`/`port` make one PLAINTEXT listener. */
  listeners?: string;
  host?: string;
  port?: number;
  /** `--listener-security-protocol-map`. */
  protocolMap?: string;
  /** `--advertised-listeners`. */
  advertisedListeners?: string;
  /** The host advertised for a listener bound to every interface (`--advertised-host`). */
  advertisedHost?: string;
  /** `--inter-broker-listener`. */
  interBrokerListener?: string;
}

const ENTRY = /^([^:/\s]+):\/\/(\[[0-9a-fA-F:.%]*\]|[0-9a-zA-Z\-%._]*):(\d{1,5})$/;
const NAME = /^[A-Z0-9_]+$/;

/** Parse `NAME://HOST:PORT[,…]` (`flag` names the option in errors). */
export function parseListenerList(text: string, flag: string): ListenerAddress[] {
  const entries = text.split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    throw new TypeError(`${flag} is empty: give NAME://HOST:PORT, e.g. PLAINTEXT://:9092`);
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    const match = ENTRY.exec(entry);
    if (!match) {
      throw new TypeError(`${flag}: "${entry}" is not NAME://HOST:PORT (e.g. SASL_SSL://0.0.0.0:9093)`);
    }
    const name = match[1].toUpperCase();
    if (!NAME.test(name)) {
      throw new TypeError(`${flag}: listener name "${match[1]}" may use only letters, digits and _`);
    }
    if (seen.has(name)) throw new TypeError(`${flag}: listener ${name} is given twice`);
    seen.add(name);
    const port = Number(match[3]);
    if (port > 65535) throw new TypeError(`${flag}: port ${port} of ${name} is above 65535`);
    return { name, host: match[2].replace(/^\[(.*)\]$/, "$1"), port };
  });
}

/** Parse `NAME:PROTOCOL[,…]`. */
export function parseProtocolMap(text: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const entry of text.split(",").map((item) => item.trim()).filter((item) => item.length > 0)) {
    const [rawName, rawProtocol, ...rest] = entry.split(":");
    const protocol = rawProtocol?.toUpperCase() ?? "";
    if (rest.length > 0 || !rawName || !isSecurityProtocol(protocol)) {
      throw new TypeError(
        `--listener-security-protocol-map: "${entry}" is not NAME:PROTOCOL with PROTOCOL one of ${
          SECURITY_PROTOCOLS.join(", ")
        }`,
      );
    }
    const name = rawName.toUpperCase();
    if (map.has(name)) throw new TypeError(`--listener-security-protocol-map: ${name} is mapped twice`);
    map.set(name, protocol);
  }
  return map;
}

/** Kafka's EndPoint.connectionString: `NAME://host:port`, IPv6 hosts in brackets. */
export function endpointString(listener: ListenerAddress): string {
  const host = listener.host.includes(":") ? `[${listener.host}]` : listener.host;
  return `${listener.name}://${host}:${listener.port}`;
}

const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::"]);

/** Apply Kafka's rules to the listener flags; throws TypeError on any inconsistency. */
export function resolveListeners(options: ListenerOptions): ListenerConfig {
  const map = parseProtocolMap(options.protocolMap ?? "");
  const addresses = options.listeners !== undefined
    ? parseListenerList(options.listeners, "--listeners")
    : [{ name: "PLAINTEXT", host: options.host ?? "127.0.0.1", port: options.port ?? 9092 }];
  const protocolOf = (name: string): SecurityProtocol => {
    const mapped = map.get(name);
    if (mapped !== undefined) return mapped;
    if (isSecurityProtocol(name)) return name;
    throw new TypeError(
      `Listener ${name} has no security protocol: add it to --listener-security-protocol-map, e.g. ${name}:SASL_SSL`,
    );
  };
  const listeners = addresses.map((address) => ({ ...address, protocol: protocolOf(address.name) }));
  const ports = new Map<number, string>();
  for (const listener of listeners) {
    const other = ports.get(listener.port);
    if (listener.port !== 0 && other !== undefined) {
      throw new TypeError(`Listeners ${other} and ${listener.name} both use port ${listener.port}`);
    }
    ports.set(listener.port, listener.name);
  }
  const byName = new Map(listeners.map((listener) => [listener.name, listener]));
  const advertisedGiven = new Map<string, ListenerAddress>();
  if (options.advertisedListeners !== undefined) {
    for (const address of parseListenerList(options.advertisedListeners, "--advertised-listeners")) {
      if (!byName.has(address.name)) {
        throw new TypeError(
          `--advertised-listeners names ${address.name}, which is not in --listeners (${
            [...byName.keys()].join(", ")
          })`,
        );
      }
      if (WILDCARD_HOSTS.has(address.host)) {
        throw new TypeError(
          `--advertised-listeners: ${address.name} must advertise a host clients can reach, not "${address.host}"`,
        );
      }
      advertisedGiven.set(address.name, address);
    }
  }
  const advertisedHost = options.advertisedHost ?? "127.0.0.1";
  const advertised = listeners.map((listener) => {
    const given = advertisedGiven.get(listener.name);
    if (given !== undefined) return { ...given, protocol: listener.protocol };
    return { ...listener, host: WILDCARD_HOSTS.has(listener.host) ? advertisedHost : listener.host };
  });
  return {
    listeners,
    advertised,
    interBrokerListener: interBrokerListenerOf(listeners, options.interBrokerListener),
  };
}

function interBrokerListenerOf(listeners: Listener[], requested: string | undefined): string {
  const names = listeners.map((listener) => listener.name);
  if (requested !== undefined) {
    const name = requested.toUpperCase();
    if (!names.includes(name)) {
      throw new TypeError(
        `--inter-broker-listener ${requested} is not one of the listeners (${names.join(", ")})`,
      );
    }
    return name;
  }
  if (names.includes("PLAINTEXT")) return "PLAINTEXT";
  if (names.length === 1) return names[0];
  throw new TypeError(
    `Several listeners and none is PLAINTEXT: name the one brokers use with --inter-broker-listener (${
      names.join(", ")
    })`,
  );
}
