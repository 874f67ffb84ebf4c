/**
 * What every API handler may use: configuration, the metadata cache, the hosted partitions,
 * the purgatory, the coordinator session, the group and transaction services, the producer id generator and the
 * controller (when this broker is it). Handlers are functions of (context, request) so that each
 * API lives in its own module.
 */
import type { Snowflake } from "../ids/snowflake.ts";
import type { AclAuthorizer } from "../security/acl-authorizer.ts";
import type { ScramCredentialStore } from "../security/credential-store.ts";
import type { BrokerConfig } from "./config.ts";
import type { Coordination } from "./coordination.ts";
import type { Controller } from "./controller/controller.ts";
import type { GroupService } from "./group-service.ts";
import type { TransactionService } from "./transaction-service.ts";
import type { BrokerMetrics } from "./metrics/broker-metrics.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import type { Purgatory } from "./purgatory.ts";
import type { FetchSessionCache } from "./fetch-sessions.ts";
import type { ReplicaManager } from "./replica-manager.ts";
import type { BufferPool } from "../buffer-pool.ts";

export interface BrokerContext {
  config: BrokerConfig;
  /** The port actually bound (config.port may be 0). */
  port: number;
  metadata: MetadataCache;
  /** The hosted partitions and the entry point for leadership news. */
  replicas: ReplicaManager;
  purgatory: Purgatory;
  /** Incremental fetch sessions (KIP-227) of the fetchers of partitions led here. */
  fetchSessions: FetchSessionCache;
  /**
   * Idle buffers for fetch reads (ReadBuffers) and produce requests (FrameDecoder); absent: each
   * read and request allocates its own.
   */
  buffers?: BufferPool;
  coordination: Coordination;
  groups: GroupService;
  /** The transaction coordinator of the `__transaction_state` partitions this broker leads. */
  transactions: TransactionService;
  producerIds: Snowflake;
  /** Cluster id reported in Metadata. */
  clusterId: string;
  /** The running controller when this broker is it, else null. */
  controller: () => Controller | null;
  /** Metrics hooks for handlers (absent in tests that build a context by hand). */
  metrics?: BrokerMetrics;
  /** ACL enforcement (`--authorizer acl`); absent: every principal may do everything. */
  authorizer?: AclAuthorizer;
  /** SCRAM users, cached by watches (authentication, DescribeUserScramCredentials). */
  credentials?: ScramCredentialStore;
}
