/**
 * The broker: registers in the coordinator, hosts partition replicas (ReplicaManager), keeps the
 * cluster picture clients are given (MetadataCache), serves the Kafka protocol, and stands for
 * controller on the same coordinator session.
 *
 * Listeners (config.listeners): one socket per listener, plain or TLS (security/broker-listener.ts);
 * each accepted connection completes its TLS handshake on its own task (a slow or refused one
 * costs nobody else), then gets a ConnectionSession that knows its listener and principal and
 * holds SASL listeners' connections to authentication first. The registration lists every
 * advertised listener as Kafka does; Metadata answers with the listener the client came in on.
 *
 * Start order: bind every listener (so port 0 resolves), connect the coordinator session, register
 * /brokers/ids/N (ephemeral — a live broker with the same id makes this fail with a clear error)
 * and /brokers/registered/N, read the coordinator tree once (metadata cache, hosted logs and their
 * leadership), accept clients, join the controller election. Then LeaderAndIsr and UpdateMetadata
 * from the controller keep it current, and a periodic re-read of the tree catches up on anything
 * missed. close() is the clean shutdown: controlled shutdown (leaderships move away), stop
 * accepting, release parked requests, close connections, close the logs (clean marker), close the
 * session (the ephemeral nodes vanish at once).
 *
 * A coordinator session that expires (the broker was cut off, paused, or the coordinator was away
 * for longer than the session timeout) is an event, not an exit, as in Kafka: the broker keeps
 * serving meanwhile (its leaderships are safe — acks=all needs followers that take the new
 * controller's word over its own, and every change it would make is fenced by leader epoch), and
 * once the coordination layer has a new session it registers again with the same id, stands for
 * controller again, and reconciles with the tree, which makes it give up through the normal,
 * epoch-fenced path whatever leadership moved meanwhile. Only a live registration of its id with
 * another address (a second broker took the id) ends the process.
 *
 * @example
 * ```ts
 * const broker = await startBroker({ brokerId: 1, port: 0, coordinator: "127.0.0.1:2181" });
 * console.log(broker.port);
 * await broker.close();
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { ErrorCode as ZkErrorCode, KeeperError } from "../zk/protocol/mod.ts";
import { Snowflake } from "../ids/snowflake.ts";
import type { BrokerContext } from "./broker-context.ts";
import { ClusterTreeReader } from "./cluster-tree.ts";
import { ResyncGate } from "./resync-gate.ts";
import { type BrokerConfig, type BrokerSettings, resolveBrokerConfig } from "./config.ts";
import { Connection, type RequestHandler } from "./connection.ts";
import { ConnectionSession, saslOnOtherListener } from "./connection-session.ts";
import { type AcceptedConn, type BrokerListener, listenBroker } from "../security/broker-listener.ts";
import { endpointString, type Listener, usesSasl, usesTls } from "../security/listeners.ts";
import { loadServerTls, type ServerTlsOptions } from "../security/tls-options.ts";
import { ScramCredentialStore } from "../security/credential-store.ts";
import { AclAuthorizer } from "../security/acl-authorizer.ts";
import { AclCache } from "../security/acl-store.ts";
import { securityApiHandlers } from "./handlers/security-apis.ts";
import { loadClientSecurity, readSecurityProperties } from "../security/client-properties.ts";
import type { ClientSecurity } from "../client/security.ts";
import { type Coordination, NodeExistsError } from "./coordination.ts";
import { GroupService } from "./group-service.ts";
import { TransactionService } from "./transaction-service.ts";
import { transactionApiHandlers } from "./handlers/transaction-apis.ts";
import { MetadataCache } from "./metadata-cache.ts";
import { OfflineReplicaPublisher } from "./offline-replicas.ts";
import { coordinatorStateStore } from "./partition/isr-writer.ts";
import { Purgatory } from "./purgatory.ts";
import { FetchSessionCache } from "./fetch-sessions.ts";
import { ReplicaManager } from "./replica-manager.ts";
import { connectCoordination } from "./zk-coordination.ts";
import { readCoordinatorAuth } from "./coordinator-acls.ts";
import {
  type BrokerEndpoint,
  brokerIdPath,
  brokerRegisteredPath,
  decodeBrokerEndpoint,
  encodeBrokerEndpoint,
  PERSISTENT_PATHS,
} from "./zk-layout.ts";
import { ControllerAgent, type ControllerAgentOptions } from "./controller/controller-agent.ts";
import { apiVersionsHandler } from "./handlers/api-versions.ts";
import { metadataHandler } from "./handlers/metadata.ts";
import { produceHandler } from "./handlers/produce.ts";
import { fetchHandler } from "./handlers/fetch.ts";
import { listOffsetsHandler } from "./handlers/list-offsets.ts";
import { createTopicsHandler } from "./handlers/create-topics.ts";
import { deleteTopicsHandler } from "./handlers/delete-topics.ts";
import { describeConfigsHandler } from "./handlers/describe-configs.ts";
import { createPartitionsHandler } from "./handlers/create-partitions.ts";
import { initProducerIdHandler } from "./handlers/init-producer-id.ts";
import { updateMetadataHandler } from "./handlers/update-metadata.ts";
import { logLine } from "./log-lines.ts";
import { controlledShutdownHandler } from "./handlers/controlled-shutdown.ts";
import { leaderAndIsrHandler } from "./handlers/leader-and-isr.ts";
import { writeTxnMarkersHandler } from "./handlers/write-txn-markers.ts";
import { stopReplicaHandler } from "./handlers/stop-replica.ts";
import { offsetForLeaderEpochHandler } from "./handlers/offset-for-leader-epoch.ts";
import { describeLogDirsHandler } from "./handlers/describe-log-dirs.ts";
import { groupApiHandlers } from "./handlers/group-apis.ts";
import { BrokerMetrics } from "./metrics/broker-metrics.ts";
import { type MetricsServer, serveMetrics } from "../metrics/metrics-server.ts";
import { alterConfigsHandlers } from "./handlers/alter-configs.ts";
import { electLeadersHandler } from "./handlers/elect-leaders.ts";
import { partitionReassignmentHandlers } from "./handlers/partition-reassignments.ts";
import { DEFAULT_BROKER_ENTITY, effectiveBrokerConfig } from "./dynamic-broker-config.ts";
import { readEntityConfig } from "./config-entity-store.ts";
import { ConfigChangeListener } from "./config-change-listener.ts";
import { fetchBufferPool, IDLE_BUFFER_MAX_AGE_MS } from "./read-buffers.ts";

/** How long past our own session timeout to wait for a previous run's registration to expire. */
const STALE_REGISTRATION_GRACE_MS = 5_000;

/** Pause after a failed accept (e.g. no file descriptors left) before the next. */
const ACCEPT_RETRY_DELAY_MS = 100;

/** A TLS handshake slower than this fails (that connection only). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** How often each log's roll/retention/flush/checkpoint chores run. */
const MAINTENANCE_INTERVAL_MS = 1000;

/** A fetch session unused this long may give its slot to a new one (Kafka's min.incremental.fetch.session.eviction.ms). */
const FETCH_SESSION_EVICTION_MS = 120_000;

export type BrokerOptions = BrokerSettings;

/** One bound listener: its configuration, what it advertises, and its socket. */
interface BoundListener {
  listener: Listener;
  advertised: Listener;
  socket: BrokerListener;
}

/** A broker id already held by a live broker. */
export class BrokerIdInUseError extends Error {
  constructor(readonly brokerId: number) {
    super(
      `Broker id ${brokerId} is already registered by a live broker: pick another --id or stop that broker`,
    );
  }
}

export interface RunningBroker {
  readonly config: BrokerConfig;
  /** The bound port of the first listener (the only one without --listeners). */
  readonly port: number;
  /** Bound port of every listener, by name. */
  readonly ports: ReadonlyMap<string, number>;
  /** What each listener advertises (`NAME://host:port`), in --listeners order. */
  readonly advertised: readonly string[];
  /** The port GET /metrics is served on (config.httpPort resolved), or null when off. */
  readonly httpPort: number | null;
  /**
   * Resolves when the broker stopped: null after close(), or the reason it had to stop (after a
   * session expiry, another live broker had registered its id with another address).
   */
  readonly closed: Promise<string | null>;
  /** Clean shutdown. */
  close(): Promise<void>;
}

/** Start a broker in this process; resolves once it serves clients. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const config = resolveBrokerConfig(options);
  config.interBrokerSecurity ??= await loadInterBrokerSecurity(config);
  const tls = config.listeners.listeners.some((listener) => usesTls(listener.protocol))
    ? await loadServerTls(config.tls)
    : undefined;
  await Deno.mkdir(config.dataDir, { recursive: true });
  const bound = await bindListeners(config, tls);
  const registration = registrationOf(config, bound);
  let coordination: Coordination | undefined;
  try {
    const auth = config.coordinatorAuth === undefined
      ? undefined
      : await readCoordinatorAuth(config.coordinatorAuth);
    coordination = await connectCoordination(
      config.coordinator,
      config.sessionTimeoutMs,
      undefined,
      { auth, log: (message) => logLine(`broker ${config.brokerId}: ${message}`) },
    );
    await register(coordination, registration, config.sessionTimeoutMs);
  } catch (error) {
    for (const { socket } of bound) socket.close();
    await coordination?.close();
    if (error instanceof KeeperError && error.code === ZkErrorCode.noAuth) {
      // The other brokers protect the tree (--coordinator-auth): say what this one lacks.
      throw new Error(
        `the coordinator refuses this broker's writes (NOAUTH on ${
          error.path ?? "/"
        }): the cluster's znodes are ` +
          "protected; start it with the brokers' --coordinator-auth USER:PASSWORD (or @FILE)",
      );
    }
    throw error;
  }
  return await Broker.start(config, bound, registration, coordination);
}

/**
 * The client settings brokers use to reach each other's inter-broker listener (Kafka's client
 * keys in --inter-broker-config); they must speak that listener's protocol.
 */
async function loadInterBrokerSecurity(config: BrokerConfig): Promise<ClientSecurity | undefined> {
  const name = config.listeners.interBrokerListener;
  const protocol = config.listeners.listeners.find((listener) => listener.name === name)!.protocol;
  const security = config.interBrokerConfig === undefined
    ? undefined
    : await loadClientSecurity(await readSecurityProperties(config.interBrokerConfig));
  const configured = security?.protocol ?? "PLAINTEXT";
  if (configured !== protocol) {
    throw new RangeError(
      config.interBrokerConfig === undefined
        ? `The inter-broker listener ${name} is ${protocol}: give --inter-broker-config FILE with security.protocol=${protocol} and the settings brokers log in with`
        : `${config.interBrokerConfig} says security.protocol=${configured} but the inter-broker listener ${name} is ${protocol}`,
    );
  }
  return security;
}

/** Bind every listener; port 0 resolves here, and what it advertises follows. */
async function bindListeners(
  config: BrokerConfig,
  tls: ServerTlsOptions | undefined,
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const [i, listener] of config.listeners.listeners.entries()) {
      const socket = await listenBroker({
        host: listener.host,
        port: listener.port,
        tls: usesTls(listener.protocol) ? tls : undefined,
        handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
        onHandshakeError: (remote, message) =>
          logLine(`broker ${config.brokerId}: ${listener.name} ${remote}: TLS handshake refused: ${message}`),
        onNagleKept: (reason) =>
          logLine(
            `broker ${config.brokerId}: ${listener.name}: TCP_NODELAY not set (${reason}): TLS responses may wait for delayed ACKs`,
          ),
      });
      const advertised = config.listeners.advertised[i];
      bound.push({
        listener,
        socket,
        advertised: advertised.port === 0 ? { ...advertised, port: socket.addr.port } : advertised,
      });
    }
  } catch (error) {
    for (const { socket } of bound) socket.close();
    if ((error as Error).name === "AddrInUse") {
      const listener = config.listeners.listeners[bound.length];
      throw new ListenerInUseError(endpointString(listener));
    }
    throw error;
  }
  return bound;
}

/** A listener's address is taken by another process. */
export class ListenerInUseError extends Error {
  constructor(readonly endpoint: string) {
    super(`${endpoint} is in use: pick another port (--port, or --listeners)`);
  }
}

/** The registration: every advertised listener; host/port of the inter-broker one. */
function registrationOf(config: BrokerConfig, bound: BoundListener[]): BrokerEndpoint {
  const interBroker = bound.find((b) => b.listener.name === config.listeners.interBrokerListener);
  if (interBroker === undefined) throw new Error("the inter-broker listener is not bound"); // resolveListeners checked it
  return {
    brokerId: config.brokerId,
    host: interBroker.advertised.host,
    port: interBroker.advertised.port,
    rack: config.rack ?? null,
    listeners: bound.map(({ advertised }) => ({
      name: advertised.name,
      host: advertised.host,
      port: advertised.port,
      protocol: advertised.protocol,
    })),
  };
}

async function register(
  coordination: Coordination,
  registration: BrokerEndpoint,
  sessionTimeoutMs: number,
): Promise<void> {
  for (const path of PERSISTENT_PATHS) await coordination.ensurePath(path);
  const endpoint = encodeBrokerEndpoint(registration);
  const { brokerId, host, port } = registration;
  const path = brokerIdPath(brokerId);
  const deadline = Date.now() + sessionTimeoutMs + STALE_REGISTRATION_GRACE_MS;
  for (let attempt = 0;; attempt++) {
    try {
      await coordination.createEphemeral(path, endpoint);
      break;
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
    const holder = await registrationHolder(coordination, path, host, port);
    // Ours already: an earlier attempt of this session created it but its answer was lost.
    if (holder === "this-session") break;
    // The node names our own address: it is this broker's previous life (its port is ours now, so
    // that process is gone) whose session has not expired yet. Wait for it; anything else is a
    // live broker with the same id.
    if (holder === "other" || Date.now() > deadline) throw new BrokerIdInUseError(brokerId);
    if (attempt === 0 && holder === "previous-run") {
      logLine(`broker ${brokerId}: waiting for the session of its previous run to expire`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await coordination.put(brokerRegisteredPath(brokerId), endpoint);
}

/**
 * Who holds the registration node: this session, a previous run of this broker (a session that
 * has not expired yet, with our own address), another broker, or nobody (vanished meanwhile).
 */
async function registrationHolder(
  coordination: Coordination,
  path: string,
  host: string,
  port: number,
): Promise<"this-session" | "previous-run" | "other" | "none"> {
  const client = coordination.client;
  let node;
  try {
    node = await client.getData(path);
  } catch (error) {
    if (error instanceof KeeperError && error.code === ZkErrorCode.noNode) return "none";
    throw error;
  }
  if (node.stat.ephemeralOwner === client.sessionId) return "this-session";
  try {
    const existing = decodeBrokerEndpoint(0, node.data ?? new Uint8Array());
    return existing.host === host && existing.port === port ? "previous-run" : "other";
  } catch {
    // Unreadable registration: not provably ours, so it counts as another broker's.
    return "other";
  }
}

/** The controller candidacy's settings from the broker's. */
function agentOptions(config: BrokerConfig, zk: Coordination["client"]): ControllerAgentOptions {
  return {
    brokerId: config.brokerId,
    zk,
    security: config.interBrokerSecurity,
    autoLeaderRebalance: config.autoLeaderRebalance
      ? {
        intervalMs: config.leaderImbalanceCheckIntervalMs,
        percentage: config.leaderImbalancePerBrokerPercentage,
      }
      : null,
  };
}

class Broker implements RunningBroker {
  readonly config: BrokerConfig;
  readonly port: number;
  readonly ports: ReadonlyMap<string, number>;
  readonly advertised: readonly string[];
  readonly closed: Promise<string | null>;
  readonly #listeners: BoundListener[];
  readonly #registration: BrokerEndpoint;
  /** SCRAM credentials (SASL listeners, DescribeUserScramCredentials), cached by watches. */
  readonly #credentials: ScramCredentialStore;
  /** Keeps the authorizer's ACLs current (`--authorizer acl`); null without an authorizer. */
  readonly #acls: AclCache | null;
  /** Accepted connections still in their TLS handshake (they count against maxConnections). */
  #handshaking = 0;
  readonly #context: BrokerContext;
  readonly #offline: OfflineReplicaPublisher;
  /** The tree reader of the current coordinator session (a new one after an expiry). */
  #tree: ClusterTreeReader;
  readonly #resync: ResyncGate;
  readonly #connections = new Set<Connection>();
  /** Open connections by listener name, from accept to close (the vltava_connections gauge). */
  readonly #openByListener = new Map<string, number>();
  readonly #handlers: Map<number, RequestHandler>;
  #accepting: Promise<void[]> = Promise.resolve([]);
  /** Periodic chores: each log's maintenance, and the reconcile against the coordinator tree. */
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #maintaining: Promise<void> | null = null;
  #reconciling: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #resolveClosed!: (reason: string | null) => void;
  #fatalReason: string | null = null;
  /** Controller candidacy (and controllership) on the current session; null until started. */
  #agent: ControllerAgent | null = null;
  /** Registering again on a new session, once it expired; null when not. */
  #rejoining: Promise<void> | null = null;
  /** GET /metrics, when config.httpPort is set. */
  #metricsServer: MetricsServer | null = null;
  /** Applies config changes live (one watch on /config/changes). */
  readonly #configChanges: ConfigChangeListener;

  private constructor(
    config: BrokerConfig,
    listeners: BoundListener[],
    registration: BrokerEndpoint,
    credentials: ScramCredentialStore,
    acls: AclCache | null,
    context: BrokerContext,
    tree: ClusterTreeReader,
    offline: OfflineReplicaPublisher,
  ) {
    this.config = config;
    this.port = listeners[0].socket.addr.port;
    this.ports = new Map(listeners.map(({ listener, socket }) => [listener.name, socket.addr.port]));
    this.advertised = listeners.map(({ advertised }) => endpointString(advertised));
    this.#listeners = listeners;
    this.#registration = registration;
    this.#credentials = credentials;
    this.#acls = acls;
    this.#context = context;
    this.#tree = tree;
    this.#resync = new ResyncGate(() => this.#treeReader().latestZxid(), config.metadataReconcileIntervalMs);
    this.#offline = offline;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#configChanges = new ConfigChangeListener({
      coordination: context.coordination,
      onChange: async (entity) => {
        if (entity.type === "brokers") {
          // Another broker's own entry changes nothing here.
          if (entity.name === DEFAULT_BROKER_ENTITY || entity.name === String(config.brokerId)) {
            await this.#applyDynamicConfig();
          }
          return;
        }
        const configs = await this.#treeReader().readConfigs(entity.name);
        context.replicas.applyTopicConfigs(entity.name, configs);
      },
      log: (message) => this.#log(message),
    });
    this.#handlers = new Map<number, RequestHandler>([
      [ApiKey.ApiVersions, apiVersionsHandler((apiKey) => this.#handlers.has(apiKey))],
      [ApiKey.Metadata, metadataHandler(context)],
      [ApiKey.Produce, produceHandler(context)],
      [ApiKey.Fetch, fetchHandler(context)],
      [ApiKey.ListOffsets, listOffsetsHandler(context)],
      [ApiKey.CreateTopics, createTopicsHandler(context)],
      [ApiKey.DeleteTopics, deleteTopicsHandler(context)],
      [ApiKey.DescribeConfigs, describeConfigsHandler(context)],
      [ApiKey.CreatePartitions, createPartitionsHandler(context)],
      [ApiKey.InitProducerId, initProducerIdHandler(context)],
      [ApiKey.LeaderAndIsr, leaderAndIsrHandler(context)],
      [ApiKey.StopReplica, stopReplicaHandler(context)],
      [ApiKey.UpdateMetadata, updateMetadataHandler(context)],
      [ApiKey.ControlledShutdown, controlledShutdownHandler(context.controller, context)],
      [ApiKey.ElectLeaders, electLeadersHandler(context.controller, context)],
      [ApiKey.OffsetForLeaderEpoch, offsetForLeaderEpochHandler(context)],
      [ApiKey.WriteTxnMarkers, writeTxnMarkersHandler(context)],
      [ApiKey.DescribeLogDirs, describeLogDirsHandler(context)],
      ...groupApiHandlers(context.groups, context, context.transactions),
      ...transactionApiHandlers(context.transactions, context),
      ...securityApiHandlers(context),
      [ApiKey.SaslHandshake, saslOnOtherListener],
      [ApiKey.SaslAuthenticate, saslOnOtherListener],
      ...alterConfigsHandlers(context),
      ...partitionReassignmentHandlers(context.controller, context),
    ]);
    const metrics = context.metrics;
    if (metrics) {
      for (const [apiKey, handler] of this.#handlers) {
        this.#handlers.set(apiKey, metrics.instrument(apiKey, handler));
      }
    }
  }

  /** The port GET /metrics is served on, or null when off. */
  get httpPort(): number | null {
    return this.#metricsServer?.port ?? null;
  }

  static async start(
    config: BrokerConfig,
    listeners: BoundListener[],
    registration: BrokerEndpoint,
    coordination: Coordination,
  ): Promise<Broker> {
    const log = (message: string) => logLine(`broker ${config.brokerId}: ${message}`);
    let credentials: ScramCredentialStore;
    let acls: AclCache | null = null;
    const authorizer = config.authorizer === "acl"
      ? new AclAuthorizer({
        superUsers: config.superUsers,
        allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound,
      })
      : undefined;
    try {
      credentials = await ScramCredentialStore.start(coordination, log);
      if (authorizer !== undefined) acls = await AclCache.start(coordination, authorizer, log);
    } catch (error) {
      for (const { socket } of listeners) socket.close();
      await coordination.close();
      throw error;
    }
    const tree = new ClusterTreeReader(coordination.client, { log });
    const readConfigs = (topic: string) => self.#treeReader().readConfigs(topic);
    const metadata = new MetadataCache({ interBrokerListener: config.listeners.interBrokerListener });
    const purgatory = new Purgatory(config.maxPurgatoryWaiters);
    // Fetch sessions and partitions know of each other: a session hears of its partitions' changes
    // (through the purgatory) and vouches for a follower it leaves out as unchanged.
    const fetchSessions: FetchSessionCache = new FetchSessionCache({
      maxSessions: config.maxFetchSessions,
      evictionMs: FETCH_SESSION_EVICTION_MS,
      watches: {
        watch: (key, watcher) => purgatory.watch(key, watcher),
        unwatch: (key, watcher) => purgatory.unwatch(key, watcher),
        wake: (key) => purgatory.wake(key),
        followerStillAt: (replicaId, entry, atMs) =>
          replicas.get(entry.topic, entry.partition)?.followerStillAt(replicaId, atMs),
      },
    });
    const offline = new OfflineReplicaPublisher(coordination, config.brokerId, log);
    const replicas = new ReplicaManager({
      config,
      metadata,
      purgatory,
      stateStore: coordinatorStateStore(coordination, log),
      readTopicConfigs: readConfigs,
      onOfflineReplicas: (partitions) => offline.publish(partitions),
      followerSeenAt: (replicaId, topic, partition) => fetchSessions.stillAt(replicaId, topic, partition),
      log,
    });
    const groups = new GroupService({ config, metadata, replicas, coordination });
    replicas.addObserver(groups);
    const producerIds = new Snowflake(config.brokerId);
    const transactions = new TransactionService({
      config,
      metadata,
      replicas,
      coordination,
      producerIds,
      security: config.interBrokerSecurity,
    });
    replicas.addObserver(transactions);
    const metrics = new BrokerMetrics({
      replicas,
      purgatory,
      groups,
      metadata,
      controller: () => self.#agent?.controller ?? null,
      connections: () => self.#openByListener,
    });
    replicas.addObserver(metrics);
    const context: BrokerContext = {
      config,
      port: listeners[0].socket.addr.port,
      metadata,
      replicas,
      purgatory,
      fetchSessions,
      buffers: fetchBufferPool(config.fetchMaxBytes),
      coordination,
      groups,
      transactions,
      producerIds,
      clusterId: "vltava",
      controller: () => self.#agent?.controller ?? null,
      metrics,
      authorizer,
      credentials,
    };
    const self = new Broker(config, listeners, registration, credentials, acls, context, tree, offline);
    coordination.client.sessionEvents.subscribe((event) => {
      if (event.type === "disconnected" && !self.#closing) {
        log("lost the connection to the coordinator; re-attaching the session");
      }
    });
    coordination.onSessionChange((change) => {
      if (self.#closing) return;
      if (change === "expired") {
        log(
          "coordinator session expired (its registration is gone): serving on, and registering again " +
            "as soon as a new session is up",
        );
      } else {
        self.#rejoining ??= self.#rejoin().finally(() => self.#rejoining = null);
      }
    });
    try {
      // Before the first read of the tree, so no change falls between that read and the watch.
      await self.#configChanges.start();
      await self.#applyDynamicConfig();
      await self.#reconcile();
    } catch (error) {
      await self.close();
      throw error;
    }
    if (config.httpPort !== undefined) {
      try {
        self.#metricsServer = serveMetrics({
          hostname: config.host,
          port: config.httpPort,
          render: () => metrics.render(),
        });
      } catch (error) {
        await self.close();
        throw new Error(
          `Cannot serve metrics on ${config.host}:${config.httpPort}: ${(error as Error).message}`,
        );
      }
    }
    self.#accepting = Promise.all(listeners.map((bound) => self.#acceptLoop(bound)));
    self.#timers.push(setInterval(() => {
      self.#maintaining ??= replicas.maintain().finally(() => self.#maintaining = null);
      self.#context.buffers?.dropIdleOlderThan(IDLE_BUFFER_MAX_AGE_MS);
    }, MAINTENANCE_INTERVAL_MS));
    self.#timers.push(setInterval(() => {
      self.#reconciling ??= self.#reconcileIfChanged()
        // The next interval tries again; meanwhile LeaderAndIsr and UpdateMetadata keep flowing.
        .catch((error) => log(`reconcile with the coordinator failed: ${(error as Error).message}`))
        .finally(() => self.#reconciling = null);
    }, config.metadataReconcileIntervalMs));
    try {
      self.#agent = await ControllerAgent.start(agentOptions(config, coordination.client));
    } catch (error) {
      await self.close();
      throw error;
    }
    return self;
  }

  /** The tree reader over the current session. */
  #treeReader(): ClusterTreeReader {
    const client = this.#context.coordination.client;
    if (this.#tree.client !== client) {
      this.#tree = new ClusterTreeReader(client, { log: (message) => this.#log(message) });
    }
    return this.#tree;
  }

  /** Read this broker's dynamic config (its own entries over the default's) and apply it. */
  async #applyDynamicConfig(): Promise<void> {
    const coordination = this.#context.coordination;
    const [own, defaults] = await Promise.all([
      readEntityConfig(coordination, { type: "brokers", name: String(this.config.brokerId) }),
      readEntityConfig(coordination, { type: "brokers", name: DEFAULT_BROKER_ENTITY }),
    ]);
    const effective = effectiveBrokerConfig(own.config, defaults.config);
    const before = JSON.stringify([
      this.#context.replicas.quotas.leader.rate,
      this.#context.replicas.quotas.follower.rate,
    ]);
    this.#context.replicas.quotas.apply(effective);
    const after = JSON.stringify([
      this.#context.replicas.quotas.leader.rate,
      this.#context.replicas.quotas.follower.rate,
    ]);
    if (before !== after) this.#log(`dynamic config: ${JSON.stringify(effective)}`);
  }

  #log(message: string): void {
    logLine(`broker ${this.config.brokerId}: ${message}`);
  }

  /**
   * A new session after an expiry: register again, stand for controller on it, and reconcile.
   * Failures (the coordinator went away again) are retried on this session until it is replaced,
   * whose own renewal starts this again; a live broker holding our id ends the process.
   */
  async #rejoin(): Promise<void> {
    const coordination = this.#context.coordination;
    const session = coordination.client;
    const started = Date.now();
    for (let attempt = 1; !this.#closing && coordination.client === session; attempt++) {
      try {
        await register(coordination, this.#registration, this.config.sessionTimeoutMs);
        // Watches died with the old session: read the users again and follow them anew.
        await this.#credentials.reload();
        await this.#acls?.reload();
        this.#offline.republish();
        const previous = this.#agent;
        this.#agent = null;
        // It lost its candidacy with the old session; closing it only stops its timers.
        await previous?.close();
        if (this.#closing || coordination.client !== session) return;
        this.#agent = await ControllerAgent.start(agentOptions(this.config, session));
        await this.#configChanges.restart();
        await this.#reconcile();
        this.#log(
          `registered again on a new coordinator session ${Date.now() - started} ms after it came up`,
        );
        return;
      } catch (error) {
        if (error instanceof BrokerIdInUseError) {
          this.#fatalReason = error.message;
          void this.close();
          return;
        }
        this.#log(`registering again failed (attempt ${attempt}), retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)));
      }
    }
  }

  /**
   * The periodic reconcile: read the tree again only if it changed since the last full read began,
   * or that one is ten intervals old (ResyncGate). An idle cluster's
   * broker then reads one node per interval instead of every partition state.
   */
  async #reconcileIfChanged(): Promise<void> {
    if (await this.#resync.due()) await this.#reconcile();
  }

  /** Read the coordinator tree and bring the metadata cache and the hosted partitions in line. */
  async #reconcile(): Promise<void> {
    const mark = await this.#resync.mark();
    const view = await this.#treeReader().read();
    if (this.#closing) return;
    this.#context.metadata.replaceFromTree(view);
    await this.#context.replicas.reconcile(view);
    this.#resync.completed(mark);
  }

  async #acceptLoop({ listener, socket }: BoundListener): Promise<void> {
    for (;;) {
      let conn: AcceptedConn;
      try {
        conn = await socket.accept();
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return; // listener closed
        // E.g. out of file descriptors: keep the listener, back off, try again.
        this.#log(`${listener.name}: accept failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_DELAY_MS));
        continue;
      }
      if (this.#connections.size + this.#handshaking >= this.config.maxConnections) {
        conn.close();
        continue;
      }
      this.#handshaking++;
      this.#openByListener.set(listener.name, (this.#openByListener.get(listener.name) ?? 0) + 1);
      void this.#serve(listener, conn).finally(() =>
        this.#openByListener.set(listener.name, this.#openByListener.get(listener.name)! - 1)
      );
    }
  }

  /** Finish the TLS handshake (if any), then serve the connection with its session. */
  async #serve(listener: Listener, conn: AcceptedConn): Promise<void> {
    const address = conn.remoteAddr as Deno.NetAddr;
    try {
      await conn.handshake(TLS_HANDSHAKE_TIMEOUT_MS);
    } catch (error) {
      // A plaintext client on a TLS port, a bad certificate, a timeout: only this connection ends.
      this.#log(
        `${listener.name} ${address.hostname}:${address.port}: TLS handshake failed: ${
          (error as Error).message
        }`,
      );
      conn.close();
      return;
    } finally {
      this.#handshaking--;
    }
    if (this.#closing) {
      conn.close();
      return;
    }
    const session = new ConnectionSession({
      listener,
      remoteHost: address.hostname,
      peerCertificate: conn.peerCertificate,
      sasl: usesSasl(listener.protocol)
        ? {
          enabledMechanisms: this.config.saslEnabledMechanisms,
          lookup: this.#credentials.lookup,
          failedAuthenticationDelayMs: this.config.failedAuthenticationDelayMs,
          onFailure: (detail) => {
            this.#context.metrics?.failedAuthentication(listener.name);
            this.#log(
              `${listener.name} ${address.hostname}:${address.port}: authentication failed: ${detail}`,
            );
          },
        }
        : undefined,
      handlers: (apiKey) => this.#handlers.get(apiKey),
    });
    const connection = new Connection(conn, {
      maxFrameBytes: this.config.maxFrameBytes,
      maxInFlightRequests: this.config.maxInFlightRequests,
      handlerFor: (apiKey) => session.handlerFor(apiKey),
      session,
      onProtocolError: (remote, message) => this.#log(`${listener.name} ${remote}: ${message}`),
      framePool: this.#context.buffers,
    });
    this.#connections.add(connection);
    await connection.serve().finally(() => this.#connections.delete(connection));
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    // Leaderships move away while this broker still serves, so clients only see NOT_LEADER.
    // With an expired session there is no registration left to shut down gracefully. Fetching
    // stops first, so the leaders never add this broker back to the ISRs the controller takes
    // it out of (replica-manager.ts, stopFollowing).
    if (this.#fatalReason === null) {
      await this.#context.replicas.stopFollowing();
      await this.#agent?.controlledShutdown();
    }
    for (const { socket } of this.#listeners) socket.close(); // idempotent
    await this.#accepting;
    await this.#metricsServer?.close();
    for (const timer of this.#timers) clearInterval(timer);
    await this.#maintaining;
    await this.#reconciling;
    await this.#rejoining;
    await this.#configChanges.close();
    this.#offline.close();
    this.#context.purgatory.close();
    for (const connection of this.#connections) connection.close();
    this.#context.metadata.close();
    this.#context.groups.close();
    this.#context.transactions.close();
    this.#credentials.close();
    this.#acls?.close();
    await this.#context.replicas.close();
    await this.#agent?.close();
    await this.#context.coordination.close();
    this.#resolveClosed(this.#fatalReason);
  }
}
