/**
 * Broker configuration: every knob with its default and its bound, in one place. The CLI
 * (`vltava broker start`) and startBroker() both go through resolveBrokerConfig, so a bad value
 * is refused the same way whichever door it came through.
 *
 * Listeners come in as Kafka's flags (`--listeners`, `--listener-security-protocol-map`,
 * `--advertised-listeners`, `--inter-broker-listener`) and leave resolved (security/listeners.ts);
 * without `--listeners`, host/port/advertisedHost make the one PLAINTEXT listener they always did.
 */
import { type ListenerConfig, resolveListeners, usesSasl, usesTls } from "../security/listeners.ts";
import { isSaslMechanism, SASL_MECHANISMS, type SaslMechanismName } from "../security/sasl.ts";
import type { ServerTlsFiles } from "../security/tls-options.ts";
import type { ClientSecurity } from "../client/security.ts";
import { DEFAULT_OFFSETS_TOPIC_PARTITIONS } from "./groups/group-partition.ts";
import { DEFAULT_TRANSACTION_STATE_PARTITIONS } from "./transactions/txn-records.ts";

/** When the broker fsyncs appended batches. */
export type FsyncPolicy = "always" | "never";

export interface BrokerConfig {
  /** Broker id, 0..1023 (it is also the Snowflake node id of the producer ids it mints). */
  brokerId: number;
  /** Kafka's broker.rack: where the broker sits (rack, zone); replicas of a partition spread over racks. */
  rack?: string;
  /** Interface of the PLAINTEXT shorthand listener (when no `--listeners`). */
  host: string;
  /** Port of the PLAINTEXT shorthand listener; 0 picks a free one. */
  port: number;
  /** Host advertised for the shorthand listener and for listeners bound to every interface. */
  advertisedHost: string;
  /** Where to listen, what to advertise, and which listener brokers use among themselves. */
  listeners: ListenerConfig;
  /** PEM files of TLS listeners (SSL, SASL_SSL) and whether client certificates are asked for. */
  tls: ServerTlsFiles;
  /** Kafka's sasl.enabled.mechanisms, for SASL_PLAINTEXT and SASL_SSL listeners. */
  saslEnabledMechanisms: SaslMechanismName[];
  /** connection.failed.authentication.delay.ms: a failed login's answer is held back this long. */
  failedAuthenticationDelayMs: number;
  /** `--authorizer acl` turns ACL enforcement on; "none" lets every principal do everything. */
  authorizer: "none" | "acl";
  /** Principals allowed everything (`--super-users User:admin;User:broker`). */
  superUsers: string[];
  /** Kafka's allow.everyone.if.no.acl.found (default false). */
  allowEveryoneIfNoAclFound: boolean;
  /** `--inter-broker-config`: a Kafka client properties file for broker-to-broker connections. */
  interBrokerConfig?: string;
  /** Loaded from interBrokerConfig by startBroker: how replica fetchers and the controller connect. */
  interBrokerSecurity?: ClientSecurity;
  /** ZooKeeper connect string, `host:port[,host:port...][/chroot]`. */
  coordinator: string;
  /**
   * `--coordinator-auth`: `USER:PASSWORD` or `@FILE` holding that line. The broker's coordinator
   * session authenticates with it (digest) and protects every znode it creates
   * (coordinator-acls.ts, Kafka's zookeeper.set.acl).
   */
  coordinatorAuth?: string;
  /** Where partition logs live. */
  dataDir: string;
  /** Partitions of an auto-created topic or a CreateTopics request with -1. */
  numPartitions: number;
  /** Replication factor of an auto-created topic or a CreateTopics request with -1. */
  defaultReplicationFactor: number;
  /** Create unknown topics on Metadata / Produce. */
  autoCreateTopics: boolean;
  /** Largest partition count of one topic (creation and CreatePartitions beyond it are refused). */
  maxPartitionsPerTopic: number;
  fsync: FsyncPolicy;
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). */
  maxFrameBytes: number;
  /** Requests read but unanswered per connection before it stops reading. */
  maxInFlightRequests: number;
  /** Open client connections; more are accepted and closed at once. */
  maxConnections: number;
  /** Default largest batch (topic config max.message.bytes overrides it). */
  maxMessageBytes: number;
  /** Parked long-poll fetches (and later acks=all produces). */
  maxPurgatoryWaiters: number;
  /** Incremental fetch sessions kept (Kafka's max.incremental.fetch.session.cache.slots); 0 = none. */
  maxFetchSessions: number;
  /** Upper bound on a Fetch max_wait_ms and a Produce timeout_ms we honour. */
  maxWaitMs: number;
  /**
   * fetch.max.bytes: record bytes one Fetch response carries at most, whatever max_bytes and
   * partition_max_bytes the client asks for (one whole batch more when the first is larger).
   * Bounds the memory a fetch holds.
   */
  fetchMaxBytes: number;
  /** Coordinator session timeout; the broker's liveness in the cluster. */
  sessionTimeoutMs: number;
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms: how long this broker's follower fetches park at a leader with nothing new. */
  replicaFetchWaitMaxMs: number;
  /** How often the broker re-reads the coordinator tree to catch up on anything it missed. */
  metadataReconcileIntervalMs: number;
  /**
   * How fast the start-up check reads the log bytes an open trusted without a CRC walk (after a
   * clean shutdown); 0 trusts them as Kafka does. A follower fetches only once its log is checked.
   */
  logVerifyBytesPerSecond: number;
  /** offsets.topic.num.partitions: partitions of `__consumer_offsets`. */
  offsetsTopicPartitions: number;
  /** offsets.topic.replication.factor: upper bound (the live broker count caps it). */
  offsetsTopicReplicationFactor: number;
  /** offsets.topic.segment.bytes: segment size of the compacted offsets topic. */
  offsetsTopicSegmentBytes: number;
  /** offsets.commit.timeout.ms: how long a commit waits for the offsets partition's ISR. */
  offsetsCommitTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms. */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms. */
  groupMaxSessionTimeoutMs: number;
  /** producer.id.expiration.ms: a partition forgets an idempotent producer idle this long. */
  producerIdExpirationMs: number;
  /** transaction.state.log.num.partitions: partitions of `__transaction_state`. */
  transactionStateTopicPartitions: number;
  /** transaction.state.log.replication.factor: upper bound (the live broker count caps it). */
  transactionStateReplicationFactor: number;
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an id idle this long with no transaction open is forgotten. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often expired ones are aborted. */
  transactionAbortIntervalMs: number;
  /** Testing only: hold the markers of each new commit/abort decision this long (0: off). */
  transactionMarkerDelayMs: number;
  /** Port of the HTTP server for GET /metrics (on `host`); undefined: no server. 0 picks a free one. */
  httpPort?: number;
  /** auto.leader.rebalance.enable: the controller moves leaders back to preferred replicas. */
  autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms: how often the controller checks. */
  leaderImbalanceCheckIntervalMs: number;
  /** leader.imbalance.per.broker.percentage: a broker's not-led preferred share that triggers it. */
  leaderImbalancePerBrokerPercentage: number;
}

export const DEFAULT_BROKER_CONFIG: Omit<
  BrokerConfig,
  "brokerId" | "advertisedHost" | "dataDir" | "listeners"
> = {
  host: "127.0.0.1",
  port: 9092,
  tls: {},
  saslEnabledMechanisms: [...SASL_MECHANISMS],
  failedAuthenticationDelayMs: 100,
  authorizer: "none",
  superUsers: [],
  allowEveryoneIfNoAclFound: false,
  coordinator: "127.0.0.1:2181",
  numPartitions: 1,
  defaultReplicationFactor: 1,
  autoCreateTopics: false,
  maxPartitionsPerTopic: 10_000,
  fsync: "never",
  maxFrameBytes: 104_857_600,
  maxInFlightRequests: 100,
  maxConnections: 10_000,
  maxMessageBytes: 1_048_588,
  maxPurgatoryWaiters: 10_000,
  maxFetchSessions: 1_000,
  maxWaitMs: 300_000,
  fetchMaxBytes: 57_671_680, // Kafka's default: 55 MiB
  sessionTimeoutMs: 10_000,
  replicaLagTimeMaxMs: 10_000,
  replicaFetchWaitMaxMs: 500,
  metadataReconcileIntervalMs: 30_000,
  logVerifyBytesPerSecond: 128 * 1024 * 1024,
  offsetsTopicPartitions: DEFAULT_OFFSETS_TOPIC_PARTITIONS,
  offsetsTopicReplicationFactor: 3,
  // Kafka: 100 MiB; smaller here so the cleaner gets closed segments (and loading replays less).
  offsetsTopicSegmentBytes: 8 * 1024 * 1024,
  offsetsCommitTimeoutMs: 5_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  producerIdExpirationMs: 86_400_000,
  transactionStateTopicPartitions: DEFAULT_TRANSACTION_STATE_PARTITIONS,
  transactionStateReplicationFactor: 3,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000, // Kafka's default: 7 days
  transactionAbortIntervalMs: 10_000,
  transactionMarkerDelayMs: 0,
  autoLeaderRebalance: true,
  leaderImbalanceCheckIntervalMs: 300_000,
  leaderImbalancePerBrokerPercentage: 10,
};

const MAX_BROKER_ID = 1023;

/** The listener flags as given (Kafka's syntax), resolved by resolveBrokerConfig. */
export interface ListenerFlags {
  /** `--listeners NAME://HOST:PORT,…`; absent: PLAINTEXT on host:port. */
  listeners?: string;
  listenerSecurityProtocolMap?: string;
  advertisedListeners?: string;
  interBrokerListener?: string;
}

/** What startBroker and the CLI hand in: any setting, listeners as flags. */
export type BrokerSettings = Partial<Omit<BrokerConfig, "listeners">> & ListenerFlags & { brokerId: number };

/** A rack name as --rack takes it: 1 to 255 printable ASCII characters, no spaces. */
export function validRackName(rack: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(rack);
}

/** Fill defaults and check bounds; throws RangeError naming the bad setting. */
export function resolveBrokerConfig(options: BrokerSettings): BrokerConfig {
  const { listeners, listenerSecurityProtocolMap, advertisedListeners, interBrokerListener, ...rest } =
    options;
  const host = options.host ?? DEFAULT_BROKER_CONFIG.host;
  const port = options.port ?? DEFAULT_BROKER_CONFIG.port;
  const advertisedHost = options.advertisedHost ?? host;
  let listenerConfig: ListenerConfig;
  try {
    listenerConfig = resolveListeners({
      listeners,
      host,
      port,
      protocolMap: listenerSecurityProtocolMap,
      // The shorthand listener advertises --advertised-host, as it always did.
      advertisedListeners: advertisedListeners ??
        (listeners === undefined && options.advertisedHost !== undefined
          ? `PLAINTEXT://${advertisedHost.includes(":") ? `[${advertisedHost}]` : advertisedHost}:${port}`
          : undefined),
      advertisedHost,
      interBrokerListener,
    });
  } catch (error) {
    throw new RangeError((error as Error).message);
  }
  const config: BrokerConfig = {
    ...DEFAULT_BROKER_CONFIG,
    ...withoutUndefined(rest),
    brokerId: options.brokerId,
    advertisedHost,
    listeners: listenerConfig,
    dataDir: options.dataDir ?? `./vltava-data/broker-${options.brokerId}`,
  };
  const protocols = listenerConfig.listeners.map((listener) => listener.protocol);
  if (protocols.some(usesTls) && (config.tls.certFile === undefined || config.tls.keyFile === undefined)) {
    throw new RangeError("A TLS listener (SSL or SASL_SSL) needs --tls-cert and --tls-key (PEM files)");
  }
  if ((config.tls.clientAuth ?? "none") !== "none" && config.tls.caFile === undefined) {
    throw new RangeError(
      `--tls-client-auth ${config.tls.clientAuth} needs --tls-ca, the CA that signs client certificates`,
    );
  }
  if (protocols.some(usesSasl) && config.saslEnabledMechanisms.length === 0) {
    throw new RangeError(
      `A SASL listener needs at least one of --sasl-enabled-mechanisms ${SASL_MECHANISMS.join(",")}`,
    );
  }
  for (const mechanism of config.saslEnabledMechanisms) {
    if (!isSaslMechanism(mechanism)) {
      throw new RangeError(
        `--sasl-enabled-mechanisms: ${JSON.stringify(mechanism)} is not one of ${SASL_MECHANISMS.join(", ")}`,
      );
    }
  }
  if (config.authorizer !== "none" && config.authorizer !== "acl") {
    throw new RangeError(`--authorizer must be "acl" (or left out for none): got "${config.authorizer}"`);
  }
  for (const principal of config.superUsers) {
    if (!/^User:.+/.test(principal)) {
      throw new RangeError(
        `--super-users: "${principal}" is not a principal like User:admin (separate them with ;)`,
      );
    }
  }
  checkInt("failed-authentication-delay-ms", config.failedAuthenticationDelayMs, 0, 60_000);
  checkInt("broker id", config.brokerId, 0, MAX_BROKER_ID);
  if (config.rack !== undefined && !validRackName(config.rack)) {
    throw new RangeError(
      `--rack: ${JSON.stringify(config.rack)} is not a rack name (1 to 255 printable characters, no spaces)`,
    );
  }
  checkInt("port", config.port, 0, 65535);
  if (config.httpPort !== undefined) checkInt("http-port", config.httpPort, 0, 65535);
  checkInt("num-partitions", config.numPartitions, 1, 100_000);
  checkInt("default-replication-factor", config.defaultReplicationFactor, 1, 1000);
  checkInt("max-partitions-per-topic", config.maxPartitionsPerTopic, 1, 100_000);
  checkInt("max-frame-bytes", config.maxFrameBytes, 1024, 2 ** 31 - 1);
  checkInt("max-in-flight-requests", config.maxInFlightRequests, 1, 100_000);
  checkInt("max-connections", config.maxConnections, 1, 1_000_000);
  checkInt("max-message-bytes", config.maxMessageBytes, 1024, config.maxFrameBytes);
  checkInt("max-purgatory-waiters", config.maxPurgatoryWaiters, 0, 10_000_000);
  checkInt("max-fetch-sessions", config.maxFetchSessions, 0, 1_000_000);
  checkInt("max-wait-ms", config.maxWaitMs, 0, 3_600_000);
  checkInt("fetch-max-bytes", config.fetchMaxBytes, 1024, 2 ** 30);
  checkInt("session-timeout-ms", config.sessionTimeoutMs, 1000, 600_000);
  checkInt("replica-lag-time-max-ms", config.replicaLagTimeMaxMs, 100, 3_600_000);
  // As Kafka requires: a follower that parks longer than the lag bound would drop out of the ISR.
  checkInt("replica-fetch-wait-max-ms", config.replicaFetchWaitMaxMs, 0, config.replicaLagTimeMaxMs);
  checkInt("metadata-reconcile-interval-ms", config.metadataReconcileIntervalMs, 1_000, 3_600_000);
  checkInt("log-verify-bytes-per-second", config.logVerifyBytesPerSecond, 0, 2 ** 40);
  checkInt("offsets-topic-partitions", config.offsetsTopicPartitions, 1, 1_000);
  checkInt("offsets-topic-replication-factor", config.offsetsTopicReplicationFactor, 1, 1000);
  checkInt("offsets-topic-segment-bytes", config.offsetsTopicSegmentBytes, 1024, 2 ** 31 - 1);
  checkInt("offsets-commit-timeout-ms", config.offsetsCommitTimeoutMs, 1, 3_600_000);
  checkInt(
    "leader-imbalance-check-interval-seconds",
    config.leaderImbalanceCheckIntervalMs / 1000,
    1,
    86_400,
  );
  checkInt("leader-imbalance-per-broker-percentage", config.leaderImbalancePerBrokerPercentage, 0, 100);
  checkInt("group-initial-rebalance-delay-ms", config.groupInitialRebalanceDelayMs, 0, 3_600_000);
  checkInt("group-min-session-timeout-ms", config.groupMinSessionTimeoutMs, 1, 3_600_000);
  checkInt(
    "group-max-session-timeout-ms",
    config.groupMaxSessionTimeoutMs,
    config.groupMinSessionTimeoutMs,
    3_600_000,
  );
  checkInt("producer-id-expiration-ms", config.producerIdExpirationMs, 1_000, 2 ** 31 - 1);
  checkInt("transaction-state-partitions", config.transactionStateTopicPartitions, 1, 1_000);
  checkInt("transaction-state-replication-factor", config.transactionStateReplicationFactor, 1, 1000);
  checkInt("transaction-max-timeout-ms", config.transactionMaxTimeoutMs, 1, 2 ** 31 - 1);
  checkInt("transactional-id-expiration-ms", config.transactionalIdExpirationMs, 1, 2 ** 31 - 1);
  checkInt("transaction-abort-interval-ms", config.transactionAbortIntervalMs, 10, 3_600_000);
  checkInt("transaction-marker-delay-ms", config.transactionMarkerDelayMs, 0, 3_600_000);
  if (config.fsync !== "always" && config.fsync !== "never") {
    throw new RangeError(`fsync must be "always" or "never": got "${config.fsync}"`);
  }
  if (config.host.length === 0 || config.advertisedHost.length === 0) {
    throw new RangeError("Host must not be empty");
  }
  if (config.coordinator.trim().length === 0) {
    throw new RangeError("Coordinator connect string must not be empty");
  }
  return config;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}: got ${value}`);
  }
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
