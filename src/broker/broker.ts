/**
 * The broker: registers in the coordinator, follows the cluster metadata, hosts partition logs
 * and serves the Kafka protocol.
 *
 * Start order: bind the port (so port 0 resolves), connect the coordinator session, register
 * /brokers/ids/N (ephemeral — a live broker with the same id makes this fail with a clear error)
 * and /brokers/registered/N, read the metadata and open the hosted logs, then accept clients.
 * close() is the clean shutdown: stop accepting, release parked requests, close connections,
 * close the logs (clean marker), close the session (the ephemeral node vanishes at once).
 *
 * @example
 * ```ts
 * const broker = await startBroker({ brokerId: 1, port: 0, coordinator: "127.0.0.1:2181" });
 * console.log(broker.port);
 * await broker.close();
 * ```
 */
import { ApiKey } from "../kafka/api-keys.ts";
import { Snowflake } from "../ids/snowflake.ts";
import type { BrokerContext } from "./broker-context.ts";
import { ClusterMetadata } from "./cluster-metadata.ts";
import { type BrokerConfig, resolveBrokerConfig } from "./config.ts";
import { Connection, type RequestHandler } from "./connection.ts";
import { type Coordination, NodeExistsError } from "./coordination.ts";
import { InterimLog } from "./interim-log.ts";
import { Purgatory } from "./purgatory.ts";
import { ReplicaManager } from "./replica-manager.ts";
import { connectZooKeeper } from "./zookeeper-coordination.ts";
import { brokerIdPath, brokerRegisteredPath, encodeBrokerEndpoint, PERSISTENT_PATHS } from "./zk-layout.ts";
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

export type BrokerOptions = Partial<BrokerConfig> & { brokerId: number };

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
  /** The bound port. */
  readonly port: number;
  /** Resolves when the broker stopped (close() or a fatal loss of its session). */
  readonly closed: Promise<void>;
  /** Clean shutdown. */
  close(): Promise<void>;
}

/** Start a broker in this process; resolves once it serves clients. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const config = resolveBrokerConfig(options);
  await Deno.mkdir(config.dataDir, { recursive: true });
  const listener = Deno.listen({ hostname: config.host, port: config.port });
  const port = (listener.addr as Deno.NetAddr).port;
  let coordination: Coordination | undefined;
  try {
    coordination = await connectZooKeeper(config.coordinator, config.sessionTimeoutMs);
    await register(coordination, config, port);
  } catch (error) {
    listener.close();
    await coordination?.close();
    throw error;
  }
  return await Broker.start(config, listener, port, coordination);
}

async function register(coordination: Coordination, config: BrokerConfig, port: number): Promise<void> {
  for (const path of PERSISTENT_PATHS) await coordination.ensurePath(path);
  const endpoint = encodeBrokerEndpoint({
    brokerId: config.brokerId,
    host: config.advertisedHost,
    port,
    rack: null,
  });
  try {
    await coordination.createEphemeral(brokerIdPath(config.brokerId), endpoint);
  } catch (error) {
    if (error instanceof NodeExistsError) throw new BrokerIdInUseError(config.brokerId);
    throw error;
  }
  await coordination.put(brokerRegisteredPath(config.brokerId), endpoint);
}

class Broker implements RunningBroker {
  readonly config: BrokerConfig;
  readonly port: number;
  readonly closed: Promise<void>;
  readonly #listener: Deno.Listener;
  readonly #context: BrokerContext;
  readonly #connections = new Set<Connection>();
  readonly #handlers: Map<number, RequestHandler>;
  #accepting: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;
  #resolveClosed!: () => void;

  private constructor(config: BrokerConfig, listener: Deno.Listener, port: number, context: BrokerContext) {
    this.config = config;
    this.port = port;
    this.#listener = listener;
    this.#context = context;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    this.#handlers = new Map<number, RequestHandler>([
      [ApiKey.ApiVersions, apiVersionsHandler()],
      [ApiKey.Metadata, metadataHandler(context)],
      [ApiKey.Produce, produceHandler(context)],
      [ApiKey.Fetch, fetchHandler(context)],
      [ApiKey.ListOffsets, listOffsetsHandler(context)],
      [ApiKey.CreateTopics, createTopicsHandler(context)],
      [ApiKey.DeleteTopics, deleteTopicsHandler(context)],
      [ApiKey.DescribeConfigs, describeConfigsHandler(context)],
      [ApiKey.CreatePartitions, createPartitionsHandler(context)],
      [ApiKey.InitProducerId, initProducerIdHandler(context)],
    ]);
  }

  static async start(
    config: BrokerConfig,
    listener: Deno.Listener,
    port: number,
    coordination: Coordination,
  ): Promise<Broker> {
    const metadata = new ClusterMetadata(coordination);
    const logsDir = config.dataDir;
    const replicas = new ReplicaManager(
      config.brokerId,
      (topic, partition) =>
        InterimLog.open(`${logsDir}/${topic}-${partition}`, {
          fsync: config.fsync,
          maxBatchBytes: Math.max(config.maxMessageBytes, config.maxFrameBytes),
        }),
      (topic, partition) =>
        Deno.remove(`${logsDir}/${topic}-${partition}`, { recursive: true }).catch(() => {}),
    );
    metadata.onChange((snapshot) => replicas.apply(snapshot));
    const context: BrokerContext = {
      config,
      port,
      metadata,
      replicas,
      purgatory: new Purgatory(config.maxPurgatoryWaiters),
      coordination,
      producerIds: new Snowflake(config.brokerId),
      clusterId: "vltava",
    };
    const broker = new Broker(config, listener, port, context);
    coordination.onExpired(() => {
      console.error(`broker ${config.brokerId}: coordinator session expired; shutting down`);
      void broker.close();
    });
    try {
      await metadata.refresh();
    } catch (error) {
      await broker.close();
      throw error;
    }
    broker.#accepting = broker.#acceptLoop();
    return broker;
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.#connections.size >= this.config.maxConnections) {
        conn.close();
        continue;
      }
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch { /* not TCP */ }
      const connection = new Connection(conn, {
        maxFrameBytes: this.config.maxFrameBytes,
        maxInFlightRequests: this.config.maxInFlightRequests,
        handlerFor: (apiKey) => this.#handlers.get(apiKey),
        onProtocolError: (remote, message) =>
          console.error(`broker ${this.config.brokerId}: ${remote}: ${message}`),
      });
      this.#connections.add(connection);
      connection.serve().finally(() => this.#connections.delete(connection));
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    await this.#accepting;
    this.#context.purgatory.close();
    for (const connection of this.#connections) connection.close();
    this.#context.metadata.close();
    await this.#context.replicas.close();
    await this.#context.coordination.close();
    this.#resolveClosed();
  }
}
