/**
 * The broker's znode layout in the coordinator (or a real ZooKeeper): paths and JSON formats.
 * Formats follow Kafka's own ZooKeeper layout where one exists, so the tree reads familiar in
 * zkCli. Everything read back is validated: a znode is untrusted input like any socket.
 *
 *   /brokers/ids/N                            ephemeral: the live broker's endpoints, Kafka's v5 shape:
 *        {"version":5,"host":…,"port":…,"endpoints":["CLIENT://h:9093",…],
 *         "listener_security_protocol_map":{"CLIENT":"SASL_SSL",…},"rack":…,"jmx_port":-1,…}
 *        "host"/"port" name the inter-broker listener's address (Kafka: the PLAINTEXT one, or
 *        null/-1): every broker of a cluster uses one inter-broker listener name, so readers that
 *        only need to reach a broker (controller channels, replica fetchers) use them directly
 *   /brokers/registered/N                     persistent: every broker that ever registered
 *   /brokers/topics/<name>                    {"version":2,"partitions":{"0":[1,2,3],...},
 *        "adding_replicas":{"0":[3]},"removing_replicas":{"0":[1]}}  (a reassignment in progress:
 *        the partition's replicas are target + old, as Kafka's KIP-455 layout keeps them)
 *   /brokers/topics/<name>/partitions/<p>/state
 *        {"version":1,"leader":1,"leader_epoch":0,"isr":[1,2,3],"controller_epoch":0}
 *        written with the znode version (compare-and-set) by whoever changes leadership
 *   /config/topics/<name>                     {"version":1,"config":{"retention.ms":"..."}}
 *   /config/brokers/<id>|<default>            dynamic broker configs, same format
 *   /config/changes/config_change_NNN         persistent sequential, written after a config entity
 *        changed: {"version":2,"entity_path":"topics/<name>"}; every broker watches the children of
 *        /config/changes (one watch, not one per topic) and re-reads the entities named
 *   /controller, /controller_epoch            the controller's ephemeral node and its epoch
 *   /isr_change_notification/isr_change_NNN   persistent sequential, written by a leader after it
 *        changed an ISR itself: {"version":1,"partitions":[{"topic":"t","partition":0}]}; the
 *        controller reads and deletes them and tells every broker the new states (UpdateMetadata)
 */

export const BROKER_IDS_PATH = "/brokers/ids";
export const BROKER_REGISTERED_PATH = "/brokers/registered";
export const TOPICS_PATH = "/brokers/topics";
export const TOPIC_CONFIGS_PATH = "/config/topics";
export const BROKER_CONFIGS_PATH = "/config/brokers";
export const CONFIG_CHANGES_PATH = "/config/changes";
/** Prefix of the sequential notification nodes under CONFIG_CHANGES_PATH (Kafka's name). */
export const CONFIG_CHANGE_PREFIX = `${CONFIG_CHANGES_PATH}/config_change_`;
export const CONTROLLER_PATH = "/controller";
export const CONTROLLER_EPOCH_PATH = "/controller_epoch";
export const ISR_CHANGE_NOTIFICATION_PATH = "/isr_change_notification";
/** Prefix of the sequential notification nodes under ISR_CHANGE_NOTIFICATION_PATH. */
export const ISR_CHANGE_PREFIX = `${ISR_CHANGE_NOTIFICATION_PATH}/isr_change_`;
/** Ephemeral /brokers/offline_replicas/N: broker N's replicas whose logs are offline (disk faults). */
export const OFFLINE_REPLICAS_PATH = "/brokers/offline_replicas";

/** Persistent parents the broker creates at start (idempotently). */
export const PERSISTENT_PATHS = [
  "/brokers",
  BROKER_IDS_PATH,
  BROKER_REGISTERED_PATH,
  TOPICS_PATH,
  "/config",
  TOPIC_CONFIGS_PATH,
  BROKER_CONFIGS_PATH,
  CONFIG_CHANGES_PATH,
  ISR_CHANGE_NOTIFICATION_PATH,
  OFFLINE_REPLICAS_PATH,
];

export const brokerIdPath = (brokerId: number) => `${BROKER_IDS_PATH}/${brokerId}`;
export const brokerRegisteredPath = (brokerId: number) => `${BROKER_REGISTERED_PATH}/${brokerId}`;
export const offlineReplicasPath = (brokerId: number) => `${OFFLINE_REPLICAS_PATH}/${brokerId}`;
export const topicPath = (topic: string) => `${TOPICS_PATH}/${topic}`;
export const partitionsPath = (topic: string) => `${TOPICS_PATH}/${topic}/partitions`;
export const partitionPath = (topic: string, partition: number) => `${partitionsPath(topic)}/${partition}`;
export const partitionStatePath = (topic: string, partition: number) =>
  `${partitionPath(topic, partition)}/state`;
export const topicConfigPath = (topic: string) => `${TOPIC_CONFIGS_PATH}/${topic}`;

/** One advertised listener of a broker. */
export interface AdvertisedListener {
  /** Listener name, e.g. "PLAINTEXT" or "CLIENT". */
  name: string;
  host: string;
  port: number;
  /** Kafka's security protocol name (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL). */
  protocol: string;
}

/** A broker's registration: where other brokers reach it, and every listener it advertises. */
export interface BrokerEndpoint {
  brokerId: number;
  /** The inter-broker listener's address. */
  host: string;
  port: number;
  rack: string | null;
  /** Every advertised listener; absent means one PLAINTEXT listener at host:port. */
  listeners?: AdvertisedListener[];
}

/** The address a broker advertises on `listener`, or undefined when it has no such listener. */
export function listenerAddress(
  endpoint: BrokerEndpoint,
  listener: string,
): { host: string; port: number } | undefined {
  if (endpoint.listeners === undefined) {
    return listener === "PLAINTEXT" ? { host: endpoint.host, port: endpoint.port } : undefined;
  }
  return endpoint.listeners.find((candidate) => candidate.name === listener);
}

/** partition -> replica broker ids (first = preferred leader). */
export type ReplicaAssignment = number[][];

/** Leadership of one partition. */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  controllerEpoch: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A value as the UTF-8 JSON a znode holds. */
export function toBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** A znode holding a JSON object; `what` names the znode in errors. */
export function parseObject(bytes: Uint8Array | null, what: string): Record<string, unknown> {
  if (bytes === null) throw new Error(`${what}: no data`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    // The parser's message adds nothing; say which znode is bad.
    throw new Error(`${what}: not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

function intField(object: Record<string, unknown>, key: string, what: string): number {
  const value = object[key];
  if (!Number.isSafeInteger(value)) throw new Error(`${what}: "${key}" must be an integer`);
  return value as number;
}

function intArray(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((item) => Number.isSafeInteger(item))) {
    throw new Error(`${what}: expected an array of integers`);
  }
  return value as number[];
}

export function encodeBrokerEndpoint(endpoint: BrokerEndpoint): Uint8Array {
  const listeners = endpoint.listeners ??
    [{ name: "PLAINTEXT", host: endpoint.host, port: endpoint.port, protocol: "PLAINTEXT" }];
  return toBytes({
    version: 5,
    host: endpoint.host,
    port: endpoint.port,
    endpoints: listeners.map((listener) => `${listener.name}://${bracketed(listener.host)}:${listener.port}`),
    listener_security_protocol_map: Object.fromEntries(
      listeners.map((listener) => [listener.name, listener.protocol]),
    ),
    rack: endpoint.rack ?? undefined,
    jmx_port: -1,
    timestamp: String(Date.now()),
  });
}

function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

const ENDPOINT = /^([^:/\s]+):\/\/(\[[0-9a-fA-F:.%]*\]|[^:/\s]*):(\d{1,5})$/;

export function decodeBrokerEndpoint(brokerId: number, bytes: Uint8Array | null): BrokerEndpoint {
  const what = `Broker ${brokerId} registration`;
  const object = parseObject(bytes, what);
  const host = object.host;
  if (typeof host !== "string" || host.length === 0) throw new Error(`${what}: "host" must be a string`);
  const port = intField(object, "port", what);
  if (port < 1 || port > 65535) throw new Error(`${what}: port ${port} out of range`);
  const rack = typeof object.rack === "string" ? object.rack : null;
  const endpoint: BrokerEndpoint = { brokerId, host, port, rack };
  if (object.endpoints === undefined) return endpoint;
  if (!Array.isArray(object.endpoints)) throw new Error(`${what}: "endpoints" must be an array`);
  const map = object.listener_security_protocol_map;
  const protocols = typeof map === "object" && map !== null && !Array.isArray(map)
    ? map as Record<string, unknown>
    : {};
  endpoint.listeners = object.endpoints.map((text): AdvertisedListener => {
    const match = typeof text === "string" ? ENDPOINT.exec(text) : null;
    if (match === null) throw new Error(`${what}: endpoint ${JSON.stringify(text)} is not NAME://HOST:PORT`);
    const name = match[1];
    const protocol = protocols[name] ?? name; // Kafka: a listener named after a protocol uses it
    if (typeof protocol !== "string") throw new Error(`${what}: protocol of ${name} must be a string`);
    return { name, host: match[2].replace(/^\[(.*)\]$/, "$1"), port: Number(match[3]), protocol };
  });
  return endpoint;
}

/** A partition's reassignment in progress: replicas being added, and being removed at the end. */
export interface Reassignment {
  adding: number[];
  removing: number[];
}

export function encodeTopicAssignment(
  assignment: ReplicaAssignment,
  reassignments: ReadonlyMap<number, Reassignment> = new Map(),
): Uint8Array {
  const partitions: Record<string, number[]> = {};
  assignment.forEach((replicas, partition) => partitions[String(partition)] = replicas);
  const adding: Record<string, number[]> = {};
  const removing: Record<string, number[]> = {};
  for (const [partition, reassignment] of reassignments) {
    adding[String(partition)] = reassignment.adding;
    removing[String(partition)] = reassignment.removing;
  }
  return toBytes({ version: 2, partitions, adding_replicas: adding, removing_replicas: removing });
}

/** The reassignments in progress recorded in a topic's assignment node (partition → sets). */
export function decodeReassignments(topic: string, bytes: Uint8Array | null): Map<number, Reassignment> {
  const what = `Topic ${topic} assignment`;
  const object = parseObject(bytes, what);
  const field = (key: string): Record<string, unknown> => {
    const value = object[key] ?? {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error(`${what}: "${key}" must be an object`);
    }
    return value as Record<string, unknown>;
  };
  const adding = field("adding_replicas");
  const removing = field("removing_replicas");
  const result = new Map<number, Reassignment>();
  for (const key of new Set([...Object.keys(adding), ...Object.keys(removing)])) {
    const partition = Number(key);
    if (!Number.isSafeInteger(partition) || partition < 0) {
      throw new Error(`${what}: partition "${key}" out of range`);
    }
    result.set(partition, {
      adding: intArray(adding[key] ?? [], `${what} adding_replicas ${key}`),
      removing: intArray(removing[key] ?? [], `${what} removing_replicas ${key}`),
    });
  }
  return result;
}

/** Partitions must be numbered 0..n-1 with non-empty replica lists. */
export function decodeTopicAssignment(topic: string, bytes: Uint8Array | null): ReplicaAssignment {
  const what = `Topic ${topic} assignment`;
  const partitions = parseObject(bytes, what).partitions;
  if (typeof partitions !== "object" || partitions === null || Array.isArray(partitions)) {
    throw new Error(`${what}: "partitions" must be an object`);
  }
  const entries = Object.entries(partitions as Record<string, unknown>);
  const assignment: ReplicaAssignment = new Array(entries.length);
  for (const [key, replicas] of entries) {
    const partition = Number(key);
    if (!Number.isInteger(partition) || partition < 0 || partition >= entries.length) {
      throw new Error(`${what}: partition "${key}" out of range`);
    }
    const list = intArray(replicas, `${what} partition ${key}`);
    if (list.length === 0) throw new Error(`${what}: partition ${key} has no replicas`);
    assignment[partition] = list;
  }
  return assignment;
}

export function encodePartitionState(state: PartitionState): Uint8Array {
  return toBytes({
    version: 1,
    leader: state.leader,
    leader_epoch: state.leaderEpoch,
    isr: state.isr,
    controller_epoch: state.controllerEpoch,
  });
}

export function decodePartitionState(what: string, bytes: Uint8Array | null): PartitionState {
  const object = parseObject(bytes, what);
  return {
    leader: intField(object, "leader", what),
    leaderEpoch: intField(object, "leader_epoch", what),
    isr: intArray(object.isr, `${what} isr`),
    controllerEpoch: intField(object, "controller_epoch", what),
  };
}

export function encodeTopicConfig(config: Record<string, string>): Uint8Array {
  return encodeConfigEntity(config);
}

export function decodeTopicConfig(topic: string, bytes: Uint8Array | null): Record<string, string> {
  return decodeConfigEntity(`Topic ${topic} config`, bytes);
}

/** Kafka's config entity znode (`/config/<type>/<name>`): {"version":1,"config":{"key":"value",...}}. */
export function encodeConfigEntity(config: Record<string, string>): Uint8Array {
  return toBytes({ version: 1, config });
}

/** Read a config entity znode; every value must be a string (`what` names it in errors). */
export function decodeConfigEntity(what: string, bytes: Uint8Array | null): Record<string, string> {
  const config = parseObject(bytes, what).config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`${what}: "config" must be an object`);
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (typeof value !== "string") throw new Error(`${what}: "${key}" must be a string`);
    result[key] = value;
  }
  return result;
}

/** A config entity: its type ("topics", "brokers") and name, as in /config/<type>/<name>. */
export interface ConfigEntity {
  type: "topics" | "brokers";
  name: string;
}

export const configEntityPath = (entity: ConfigEntity) => `/config/${entity.type}/${entity.name}`;

/** Kafka's config change notification (version 2): which entity changed. */
export function encodeConfigChange(entity: ConfigEntity): Uint8Array {
  return toBytes({ version: 2, entity_path: `${entity.type}/${entity.name}` });
}

/** Decode encodeConfigChange's bytes; `what` names the node in errors. */
export function decodeConfigChange(what: string, bytes: Uint8Array | null): ConfigEntity {
  const entityPath = parseObject(bytes, what).entity_path;
  if (typeof entityPath !== "string") throw new Error(`${what}: "entity_path" must be a string`);
  const slash = entityPath.indexOf("/");
  const type = entityPath.slice(0, slash);
  const name = entityPath.slice(slash + 1);
  if (slash < 0 || (type !== "topics" && type !== "brokers") || name.length === 0) {
    throw new Error(`${what}: unknown entity "${entityPath}"`);
  }
  return { type, name };
}

/**
 * A list of partitions `{"version":1,"partitions":[{"topic":…,"partition":…},…]}`: the body of an
 * ISR change notification (partitions whose ISR a leader changed) and of a broker's offline
 * replicas node.
 */
export function encodePartitionList(partitions: readonly { topic: string; partition: number }[]): Uint8Array {
  return toBytes({
    version: 1,
    partitions: partitions.map(({ topic, partition }) => ({ topic, partition })),
  });
}

/** Decode encodePartitionList's bytes; `what` names the node in errors. */
export function decodePartitionList(
  what: string,
  bytes: Uint8Array | null,
): { topic: string; partition: number }[] {
  const partitions = parseObject(bytes, what).partitions;
  if (!Array.isArray(partitions)) throw new Error(`${what}: "partitions" must be an array`);
  return partitions.map((entry) => {
    if (typeof entry !== "object" || entry === null || typeof entry.topic !== "string") {
      throw new Error(`${what}: each entry needs a "topic" string`);
    }
    return { topic: entry.topic, partition: intField(entry, "partition", what) };
  });
}

/** Kafka's topic name rule: 1..249 of [a-zA-Z0-9._-], not "." or "..". */
export function validTopicName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && /^[a-zA-Z0-9._-]+$/.test(name) && name !== "." &&
    name !== "..";
}
