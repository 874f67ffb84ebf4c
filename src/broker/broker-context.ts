/**
 * What every API handler may use: configuration, the cluster picture, the hosted partitions,
 * the purgatory, the coordinator session and the producer id generator. Handlers are
 * functions of (context, request) so that each API lives in its own module.
 */
import type { Snowflake } from "../ids/snowflake.ts";
import type { ClusterMetadata } from "./cluster-metadata.ts";
import type { BrokerConfig } from "./config.ts";
import type { Coordination } from "./coordination.ts";
import type { Purgatory } from "./purgatory.ts";
import type { ReplicaManager } from "./replica-manager.ts";

export interface BrokerContext {
  config: BrokerConfig;
  /** The port actually bound (config.port may be 0). */
  port: number;
  metadata: ClusterMetadata;
  replicas: ReplicaManager;
  purgatory: Purgatory;
  coordination: Coordination;
  producerIds: Snowflake;
  /** Cluster id reported in Metadata. */
  clusterId: string;
}
