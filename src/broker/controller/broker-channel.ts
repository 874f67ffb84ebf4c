/**
 * BrokerChannel: the controller's connections to the brokers, over their Kafka port, for the
 * broker-to-broker requests LeaderAndIsr (4), UpdateMetadata (6) and StopReplica (5). One
 * connection per broker, opened on first use and dropped on any failure (the next request opens
 * a new one). Every request carries the controller id and epoch, and has a timeout, so a broker
 * that hangs delays the controller by at most requestTimeoutMs and never blocks it.
 */
import { Connection } from "../../client/connection.ts";
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
  log: (message: string) => void;
}

export class BrokerChannel {
  readonly #options: BrokerChannelOptions;
  readonly #connections = new Map<number, { endpoint: BrokerEndpoint; connection: Promise<Connection> }>();

  constructor(options: BrokerChannelOptions) {
    this.#options = options;
  }

  async #connection(endpoint: BrokerEndpoint): Promise<Connection> {
    const cached = this.#connections.get(endpoint.brokerId);
    if (cached && cached.endpoint.host === endpoint.host && cached.endpoint.port === endpoint.port) {
      const connection = await cached.connection.catch(() => null);
      if (connection && !connection.closed) return connection;
    }
    this.#drop(endpoint.brokerId);
    const connection = Connection.connect({
      host: endpoint.host,
      port: endpoint.port,
      clientId: `controller-${this.#options.controllerId}`,
      connectTimeoutMs: this.#options.requestTimeoutMs,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      maxInFlightRequests: 4,
    });
    this.#connections.set(endpoint.brokerId, { endpoint, connection });
    return await connection;
  }

  #drop(brokerId: number): void {
    const cached = this.#connections.get(brokerId);
    this.#connections.delete(brokerId);
    cached?.connection.then((connection) => connection.close(), () => {});
  }

  /** Run one request; failures are logged and reported as false. */
  async #send(
    endpoint: BrokerEndpoint,
    what: string,
    request: (connection: Connection) => Promise<number>,
  ): Promise<boolean> {
    try {
      const errorCode = await request(await this.#connection(endpoint));
      if (errorCode !== 0) this.#options.log(`${what} to broker ${endpoint.brokerId}: error ${errorCode}`);
      return errorCode === 0;
    } catch (error) {
      this.#drop(endpoint.brokerId);
      this.#options.log(`${what} to broker ${endpoint.brokerId} failed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Tell a broker which partitions it leads or follows. */
  leaderAndIsr(
    endpoint: BrokerEndpoint,
    states: LeaderAndIsrPartitionState[],
    liveBrokers: BrokerEndpoint[],
  ): Promise<boolean> {
    const { controllerId, controllerEpoch } = this.#options;
    const leaders = new Set(states.map((state) => state.leader));
    const liveLeaders = liveBrokers.filter((broker) => leaders.has(broker.brokerId)).map((broker) => ({
      brokerId: broker.brokerId,
      hostName: broker.host,
      port: broker.port,
    }));
    return this.#send(endpoint, "LeaderAndIsr", async (connection) => {
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
      );
      return response.errorCode;
    });
  }

  /** Push the cluster view (live brokers, partition states) to a broker. */
  updateMetadata(
    endpoint: BrokerEndpoint,
    states: UpdateMetadataPartitionState[],
    liveBrokers: BrokerEndpoint[],
  ): Promise<boolean> {
    const { controllerId, controllerEpoch } = this.#options;
    return this.#send(endpoint, "UpdateMetadata", async (connection) => {
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
              endpoints: [{
                port: broker.port,
                host: broker.host,
                listener: "PLAINTEXT",
                securityProtocol: SecurityProtocol.Plaintext,
              }],
              rack: broker.rack,
            })),
          }),
        (reader) => readUpdateMetadataResponse(reader, version),
      );
      return response.errorCode;
    });
  }

  /** Tell a broker to stop replicating (and with deletePartitions, to delete) partitions. */
  stopReplica(
    endpoint: BrokerEndpoint,
    partitions: { topicName: string; partitionIndex: number }[],
    deletePartitions: boolean,
  ): Promise<boolean> {
    const { controllerId, controllerEpoch } = this.#options;
    return this.#send(endpoint, "StopReplica", async (connection) => {
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
      );
      return response.errorCode;
    });
  }

  /** Close every connection. */
  close(): void {
    for (const brokerId of [...this.#connections.keys()]) this.#drop(brokerId);
  }
}
