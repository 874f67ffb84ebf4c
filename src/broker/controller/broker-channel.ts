/**
 * BrokerChannel: how the controller tells brokers what it decided — LeaderAndIsr (4),
 * UpdateMetadata (6) and StopReplica (5) over each broker's Kafka port — without ever waiting
 * on one of them (Kafka's controller channel manager).
 *
 * Every broker has its own queue and its own connection. The controller enqueues and moves on;
 * each queue sends its messages in order, one at a time, each with a timeout. A broker that is
 * slow or unreachable delays only its own messages. When a message cannot be delivered (the
 * connection fails, the request times out, the broker answers an error) or the queue overflows,
 * the queue is emptied and the controller is told (onUndelivered): it then re-sends that broker
 * everything on a later run, so a broker that missed announcements catches up from the next one
 * (and from its own periodic reconcile with the coordinator). Every request carries the
 * controller id and epoch, so a broker refuses an older controller's words.
 *
 * @example
 * ```ts
 * const channel = new BrokerChannel({ controllerId: 1, controllerEpoch: 7, requestTimeoutMs: 10_000,
 *   onUndelivered: (id) => resendEverythingTo(id), log: console.error });
 * channel.leaderAndIsr(endpoint, states, liveBrokers); // returns at once
 * await channel.idle([2, 3], 5_000);                   // optionally wait for delivery
 * ```
 */
import { Connection } from "../../client/connection.ts";
import type { ClientSecurity } from "../../client/security.ts";
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  type LeaderAndIsrPartitionState,
  readLeaderAndIsrResponse,
  writeLeaderAndIsrRequest,
} from "../../kafka/apis/leader-and-isr.ts";
import { readStopReplicaResponse, writeStopReplicaRequest } from "../../kafka/apis/stop-replica.ts";
import {
  readUpdateMetadataResponse,
  SecurityProtocol,
  type UpdateMetadataPartitionState,
  writeUpdateMetadataRequest,
} from "../../kafka/apis/update-metadata.ts";
import type { BrokerEndpoint } from "../zk-layout.ts";

export interface BrokerChannelOptions {
  controllerId: number;
  controllerEpoch: number;
  /** Per request and per connect. */
  requestTimeoutMs: number;
  /** Messages waiting per broker before its queue gives up (default 64). */
  maxQueuedPerBroker?: number;
  /** A broker missed a message: it needs everything re-sent. */
  onUndelivered: (brokerId: number) => void;
  log: (message: string) => void;
  /** How to reach brokers' inter-broker listener; undefined = PLAINTEXT. */
  security?: ClientSecurity;
}

/**
 * Extra time a request gets per partition it carries: a broker applying 10,000 new partitions on
 * a busy machine is working, not lost, and a timeout would only make it redo everything.
 */
const TIMEOUT_MS_PER_PARTITION = 5;

/** One request to one broker: sends it and resolves to the answer's error code. */
interface Message {
  what: string;
  send: (connection: Connection) => Promise<number>;
}

export class BrokerChannel {
  readonly #options: BrokerChannelOptions;
  readonly #queues = new Map<number, BrokerQueue>();
  #closed = false;

  constructor(options: BrokerChannelOptions) {
    this.#options = options;
  }

  #queue(endpoint: BrokerEndpoint): BrokerQueue | null {
    if (this.#closed) return null;
    let queue = this.#queues.get(endpoint.brokerId);
    if (!queue) this.#queues.set(endpoint.brokerId, queue = new BrokerQueue(endpoint, this.#options));
    queue.useEndpoint(endpoint);
    return queue;
  }

  /** Tell a broker which partitions it leads or follows. */
  leaderAndIsr(
    endpoint: BrokerEndpoint,
    states: LeaderAndIsrPartitionState[],
    liveBrokers: BrokerEndpoint[],
  ): void {
    const { controllerId, controllerEpoch } = this.#options;
    const leaders = new Set(states.map((state) => state.leader));
    const liveLeaders = liveBrokers.filter((broker) => leaders.has(broker.brokerId)).map((broker) => ({
      brokerId: broker.brokerId,
      hostName: broker.host,
      port: broker.port,
    }));
    this.#queue(endpoint)?.enqueue({
      what: `LeaderAndIsr (${states.length} partitions)`,
      send: async (connection) => {
        const version = connection.versionFor(ApiKey.LeaderAndIsr);
        const response = await connection.request(
          ApiKey.LeaderAndIsr,
          version,
          (writer) =>
            writeLeaderAndIsrRequest(writer, version, {
              controllerId,
              controllerEpoch,
              ungroupedPartitionStates: states,
              liveLeaders,
            }),
          (reader) => readLeaderAndIsrResponse(reader, version),
          this.#options.requestTimeoutMs + states.length * TIMEOUT_MS_PER_PARTITION,
        );
        return response.errorCode;
      },
    });
  }

  /** Push live brokers and partition states to a broker's metadata cache. */
  updateMetadata(
    endpoint: BrokerEndpoint,
    states: UpdateMetadataPartitionState[],
    liveBrokers: BrokerEndpoint[],
  ): void {
    const { controllerId, controllerEpoch } = this.#options;
    this.#queue(endpoint)?.enqueue({
      what: `UpdateMetadata (${states.length} partitions)`,
      send: async (connection) => {
        const version = connection.versionFor(ApiKey.UpdateMetadata);
        const response = await connection.request(
          ApiKey.UpdateMetadata,
          version,
          (writer) =>
            writeUpdateMetadataRequest(writer, version, {
              controllerId,
              controllerEpoch,
              brokerEpoch: -1,
              ungroupedPartitionStates: states,
              liveBrokers: liveBrokers.map((broker) => ({
                id: broker.brokerId,
                endpoints: (broker.listeners ??
                  [{ name: "PLAINTEXT", host: broker.host, port: broker.port, protocol: "PLAINTEXT" }])
                  .map((listener) => ({
                    port: listener.port,
                    host: listener.host,
                    listener: listener.name,
                    securityProtocol: securityProtocolId(listener.protocol),
                  })),
                rack: broker.rack,
              })),
            }),
          (reader) => readUpdateMetadataResponse(reader, version),
          this.#options.requestTimeoutMs + states.length * TIMEOUT_MS_PER_PARTITION,
        );
        return response.errorCode;
      },
    });
  }

  /** Tell a broker to stop replicating (and with deletePartitions, to delete) partitions. */
  stopReplica(
    endpoint: BrokerEndpoint,
    partitions: { topicName: string; partitionIndex: number }[],
    deletePartitions: boolean,
  ): void {
    const { controllerId, controllerEpoch } = this.#options;
    this.#queue(endpoint)?.enqueue({
      what: `StopReplica (${partitions.length} partitions)`,
      send: async (connection) => {
        const version = connection.versionFor(ApiKey.StopReplica);
        const response = await connection.request(
          ApiKey.StopReplica,
          version,
          (writer) =>
            writeStopReplicaRequest(writer, version, {
              controllerId,
              controllerEpoch,
              brokerEpoch: -1,
              deletePartitions,
              ungroupedPartitions: partitions,
            }),
          (reader) => readStopReplicaResponse(reader, version),
          this.#options.requestTimeoutMs + partitions.length * TIMEOUT_MS_PER_PARTITION,
        );
        return response.errorCode;
      },
    });
  }

  /** Resolves once the given brokers' queues are empty (or timeoutMs passed). */
  async idle(brokerIds: Iterable<number>, timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits = [...brokerIds].map((id) => this.#queues.get(id)?.idle() ?? Promise.resolve());
    await Promise.race([
      Promise.all(waits),
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  /** Forget the queues of brokers that are no longer live (their messages are moot). */
  retain(liveBrokerIds: ReadonlySet<number>): void {
    for (const [id, queue] of this.#queues) {
      if (liveBrokerIds.has(id)) continue;
      this.#queues.delete(id);
      queue.close();
    }
  }

  /** Close every queue and connection; queued messages are dropped. */
  close(): void {
    this.#closed = true;
    for (const queue of this.#queues.values()) queue.close();
    this.#queues.clear();
  }
}

/** One broker's messages, sent in order over one connection. */
class BrokerQueue {
  #endpoint: BrokerEndpoint;
  readonly #options: BrokerChannelOptions;
  #messages: Message[] = [];
  #connection: Connection | null = null;
  #sending = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(endpoint: BrokerEndpoint, options: BrokerChannelOptions) {
    this.#endpoint = endpoint;
    this.#options = options;
  }

  /** The broker may have re-registered at another address: reconnect there. */
  useEndpoint(endpoint: BrokerEndpoint): void {
    if (endpoint.host === this.#endpoint.host && endpoint.port === this.#endpoint.port) return;
    this.#endpoint = endpoint;
    this.#connection?.close();
    this.#connection = null;
  }

  enqueue(message: Message): void {
    if (this.#closed) return;
    if (this.#messages.length >= (this.#options.maxQueuedPerBroker ?? 64)) {
      this.#giveUp(`queue full (${this.#messages.length} messages waiting)`);
      return;
    }
    this.#messages.push(message);
    if (!this.#sending) void this.#drain();
  }

  idle(): Promise<void> {
    if (!this.#sending && this.#messages.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (!this.#closed && this.#messages.length > 0) {
      const message = this.#messages[0];
      try {
        const errorCode = await message.send(await this.#connect());
        if (this.#closed) break;
        if (errorCode !== 0) {
          this.#giveUp(`${message.what}: error ${errorCode}`);
          continue;
        }
        this.#messages.shift();
      } catch (error) {
        if (this.#closed) break;
        this.#connection?.close();
        this.#connection = null;
        this.#giveUp(`${message.what} failed: ${(error as Error).message}`);
      }
    }
    this.#sending = false;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Drop everything queued and ask the controller to send this broker everything again later. */
  #giveUp(reason: string): void {
    this.#messages = [];
    this.#options.log(`to broker ${this.#endpoint.brokerId}: ${reason}; it will be sent everything again`);
    this.#options.onUndelivered(this.#endpoint.brokerId);
  }

  async #connect(): Promise<Connection> {
    if (this.#connection && !this.#connection.closed) return this.#connection;
    this.#connection = await Connection.connect({
      host: this.#endpoint.host,
      port: this.#endpoint.port,
      clientId: `controller-${this.#options.controllerId}`,
      connectTimeoutMs: this.#options.requestTimeoutMs,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      security: this.#options.security,
    });
    return this.#connection;
  }

  close(): void {
    this.#closed = true;
    this.#messages = [];
    this.#connection?.close();
    this.#connection = null;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

/** Kafka's security protocol ids (UpdateMetadata endpoints). */
function securityProtocolId(name: string): number {
  switch (name) {
    case "SSL":
      return SecurityProtocol.Ssl;
    case "SASL_PLAINTEXT":
      return SecurityProtocol.SaslPlaintext;
    case "SASL_SSL":
      return SecurityProtocol.SaslSsl;
    default:
      return SecurityProtocol.Plaintext;
  }
}
