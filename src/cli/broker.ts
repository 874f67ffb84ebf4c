/**
 * `vltava broker start`: run one broker until SIGTERM/SIGINT (clean shutdown). Listener and
 * security flags are Kafka's settings under their Kafka names (listeners,
 * listener.security.protocol.map, advertised.listeners, inter.broker.listener.name,
 * sasl.enabled.mechanisms, ssl.client.auth, connection.failed.authentication.delay.ms).
 */
import { onStopRequest } from "./stop-signals.ts";
import { Option } from "@commander-js/extra-typings";
import { registerCommands } from "./program.ts";
import { CliError } from "./cli-error.ts";
import { registerClusterConfigCommands } from "./cluster-config.ts";
import { integerOption } from "./options.ts";
import { BrokerIdInUseError, ListenerInUseError, startBroker } from "../broker/broker.ts";
import { DEFAULT_BROKER_CONFIG } from "../broker/config.ts";
import { logLinesWritten } from "../broker/log-lines.ts";
import { parseClientAuth } from "../security/tls-options.ts";
import type { SaslMechanismName } from "../security/sasl.ts";

registerCommands((program) => {
  const broker = program.command("broker").description(
    "run a Kafka-protocol broker, or change brokers' configs live",
  );
  // The same commands as `cluster config`, under the name Kafka's kafka-configs users look for.
  registerClusterConfigCommands(broker);
  broker.command("start")
    .description("start a broker and serve until SIGTERM/SIGINT (a clean shutdown)")
    .requiredOption("--id <n>", "broker id (0-1023), unique in the cluster", integerOption(0, 1023))
    .option("--rack <rack>", "rack or zone of this broker: a partition's replicas spread over racks")
    .option(
      "--host <host>",
      "interface of the PLAINTEXT listener (without --listeners)",
      DEFAULT_BROKER_CONFIG.host,
    )
    .option(
      "--port <port>",
      "port of the PLAINTEXT listener (without --listeners)",
      integerOption(0, 65535),
      DEFAULT_BROKER_CONFIG.port,
    )
    .option(
      "--advertised-host <host>",
      "host clients connect to (default: --host; with --listeners, for listeners bound to every interface)",
    )
    .option(
      "--listeners <list>",
      "NAME://HOST:PORT,… to listen on (replaces --host/--port), e.g. SASL_SSL://:9093",
    )
    .option(
      "--listener-security-protocol-map <map>",
      "NAME:PROTOCOL,… for listener names that are not a protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)",
    )
    .option("--advertised-listeners <list>", "NAME://HOST:PORT,… clients are told to connect to")
    .option("--inter-broker-listener <name>", "the listener brokers use among themselves (default PLAINTEXT)")
    .option("--tls-cert <file>", "PEM certificate chain of SSL and SASL_SSL listeners")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--tls-ca <file>", "PEM CA that signs client certificates (for --tls-client-auth)")
    .option(
      "--tls-client-auth <mode>",
      "none | requested | required: ask TLS clients for a certificate (its subject becomes the principal)",
      parseClientAuth,
    )
    .option(
      "--sasl-enabled-mechanisms <list>",
      "mechanisms of SASL listeners, from PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 (default: all three)",
    )
    .addOption(
      new Option(
        "--authorizer <kind>",
        "acl: enforce ACLs (default: none, every principal may do everything)",
      )
        .choices(["acl"] as const),
    )
    .option("--super-users <list>", "principals allowed everything, e.g. User:admin;User:broker")
    .option(
      "--allow-everyone-if-no-acl-found",
      "with --authorizer acl: a resource without any ACL is open to all (Kafka's default false)",
      false,
    )
    .option(
      "--inter-broker-config <file>",
      "Kafka client properties brokers connect to each other with (security.protocol, sasl.*, ssl.*)",
    )
    .option(
      "--failed-authentication-delay-ms <ms>",
      "hold back a failed login's answer this long before closing the connection",
      integerOption(0, 60_000),
      DEFAULT_BROKER_CONFIG.failedAuthenticationDelayMs,
    )
    .option(
      "--coordinator <connect>",
      "ZooKeeper connect string, HOST:PORT[,...][/chroot]",
      DEFAULT_BROKER_CONFIG.coordinator,
    )
    .option(
      "--coordinator-auth <user:password>",
      "authenticate to the coordinator (digest) and protect every znode written (or @FILE holding it)",
    )
    .option("--data-dir <dir>", "where partition logs live (default ./vltava-data/broker-N)")
    .option(
      "--num-partitions <n>",
      "partitions of auto-created topics",
      integerOption(1, 100_000),
      DEFAULT_BROKER_CONFIG.numPartitions,
    )
    .option(
      "--default-replication-factor <n>",
      "replication factor of auto-created topics",
      integerOption(1, 1000),
      DEFAULT_BROKER_CONFIG.defaultReplicationFactor,
    )
    .option("--auto-create-topics", "create unknown topics on Metadata requests", false)
    .addOption(
      new Option("--fsync <policy>", "fsync each append").choices(["always", "never"] as const).default(
        "never" as const,
      ),
    )
    .option(
      "--max-partitions-per-topic <n>",
      "largest partition count of one topic; bigger creations get INVALID_PARTITIONS",
      integerOption(1, 100_000),
      DEFAULT_BROKER_CONFIG.maxPartitionsPerTopic,
    )
    .option(
      "--max-frame-bytes <n>",
      "largest request accepted",
      integerOption(1024, 2 ** 31 - 1),
      DEFAULT_BROKER_CONFIG.maxFrameBytes,
    )
    .option(
      "--max-message-bytes <n>",
      "largest record batch (topic max.message.bytes overrides)",
      integerOption(1024),
      DEFAULT_BROKER_CONFIG.maxMessageBytes,
    )
    .option(
      "--max-in-flight <n>",
      "unanswered requests per connection",
      integerOption(1, 100_000),
      DEFAULT_BROKER_CONFIG.maxInFlightRequests,
    )
    .option(
      "--max-connections <n>",
      "open client connections",
      integerOption(1),
      DEFAULT_BROKER_CONFIG.maxConnections,
    )
    .option(
      "--max-purgatory-waiters <n>",
      "parked long-poll fetches and acks=all produces; beyond it they poll every 10 ms",
      integerOption(0, 10_000_000),
      DEFAULT_BROKER_CONFIG.maxPurgatoryWaiters,
    )
    .option(
      "--max-fetch-sessions <n>",
      "incremental fetch sessions kept (KIP-227); 0 keeps every fetcher on full fetches",
      integerOption(0, 1_000_000),
      DEFAULT_BROKER_CONFIG.maxFetchSessions,
    )
    .option(
      "--max-wait-ms <ms>",
      "cap on a fetch's max_wait_ms and a produce's timeout_ms",
      integerOption(0, 3_600_000),
      DEFAULT_BROKER_CONFIG.maxWaitMs,
    )
    .option(
      "--fetch-max-bytes <n>",
      "record bytes one fetch response carries at most (bounds a fetch's memory)",
      integerOption(1024, 2 ** 30),
      DEFAULT_BROKER_CONFIG.fetchMaxBytes,
    )
    .option(
      "--session-timeout-ms <ms>",
      "coordinator session timeout",
      integerOption(1000, 600_000),
      DEFAULT_BROKER_CONFIG.sessionTimeoutMs,
    )
    .option(
      "--replica-lag-time-max-ms <ms>",
      "a follower not caught up for this long leaves the ISR",
      integerOption(100, 3_600_000),
      DEFAULT_BROKER_CONFIG.replicaLagTimeMaxMs,
    )
    .option(
      "--replica-fetch-wait-max-ms <ms>",
      "how long a follower's fetch waits at its leader when nothing is new (at most the lag time)",
      integerOption(0, 3_600_000),
      DEFAULT_BROKER_CONFIG.replicaFetchWaitMaxMs,
    )
    .option(
      "--metadata-reconcile-interval-ms <ms>",
      "how often to re-read the coordinator tree if it changed (every 10th time regardless), catching up on anything missed",
      integerOption(1_000, 3_600_000),
      DEFAULT_BROKER_CONFIG.metadataReconcileIntervalMs,
    )
    .option(
      "--log-verify-bytes-per-second <n>",
      "start-up CRC check of logs trusted after a clean shutdown, bytes per second (0: off)",
      integerOption(0, 2 ** 40),
      DEFAULT_BROKER_CONFIG.logVerifyBytesPerSecond,
    )
    .option(
      "--offsets-topic-partitions <n>",
      "partitions of __consumer_offsets (offsets.topic.num.partitions)",
      integerOption(1, 1_000),
      DEFAULT_BROKER_CONFIG.offsetsTopicPartitions,
    )
    .option(
      "--offsets-topic-replication-factor <n>",
      "replication factor of __consumer_offsets, capped by the live brokers",
      integerOption(1, 1000),
      DEFAULT_BROKER_CONFIG.offsetsTopicReplicationFactor,
    )
    .option(
      "--offsets-topic-segment-bytes <n>",
      "segment size of the compacted __consumer_offsets",
      integerOption(1024, 2 ** 31 - 1),
      DEFAULT_BROKER_CONFIG.offsetsTopicSegmentBytes,
    )
    .option(
      "--offsets-commit-timeout-ms <ms>",
      "how long an offset commit waits for the offsets partition's ISR",
      integerOption(1, 3_600_000),
      DEFAULT_BROKER_CONFIG.offsetsCommitTimeoutMs,
    )
    .option(
      "--group-initial-rebalance-delay-ms <ms>",
      "how long a new group waits for more members before its first rebalance",
      integerOption(0, 3_600_000),
      DEFAULT_BROKER_CONFIG.groupInitialRebalanceDelayMs,
    )
    .option(
      "--group-min-session-timeout-ms <ms>",
      "smallest session timeout a group member may ask for",
      integerOption(1, 3_600_000),
      DEFAULT_BROKER_CONFIG.groupMinSessionTimeoutMs,
    )
    .option(
      "--group-max-session-timeout-ms <ms>",
      "largest session timeout a group member may ask for",
      integerOption(1, 3_600_000),
      DEFAULT_BROKER_CONFIG.groupMaxSessionTimeoutMs,
    )
    .option(
      "--producer-id-expiration-ms <ms>",
      "how long a partition remembers an idle idempotent producer (its de-duplication state)",
      integerOption(1_000, 2 ** 31 - 1),
      DEFAULT_BROKER_CONFIG.producerIdExpirationMs,
    )
    .option(
      "--transaction-max-timeout-ms <ms>",
      "largest transaction.timeout.ms a transactional producer may ask for (transaction.max.timeout.ms)",
      integerOption(1, 2 ** 31 - 1),
      DEFAULT_BROKER_CONFIG.transactionMaxTimeoutMs,
    )
    .option(
      "--transactional-id-expiration-ms <ms>",
      "forget a transactional id idle this long with no transaction open (transactional.id.expiration.ms)",
      integerOption(1, 2 ** 31 - 1),
      DEFAULT_BROKER_CONFIG.transactionalIdExpirationMs,
    )
    .option(
      "--transaction-abort-interval-ms <ms>",
      "how often the transaction coordinator aborts transactions past their timeout and expires idle ids",
      integerOption(10, 3_600_000),
      DEFAULT_BROKER_CONFIG.transactionAbortIntervalMs,
    )
    .option(
      "--transaction-state-partitions <n>",
      "partitions of __transaction_state (transaction.state.log.num.partitions)",
      integerOption(1, 1_000),
      DEFAULT_BROKER_CONFIG.transactionStateTopicPartitions,
    )
    .option(
      "--transaction-state-replication-factor <n>",
      "replication factor of __transaction_state, capped by the live brokers",
      integerOption(1, 1000),
      DEFAULT_BROKER_CONFIG.transactionStateReplicationFactor,
    )
    .addOption(
      // Fault injection for the coordinator-crash tests: a window between decision and markers.
      new Option(
        "--transaction-marker-delay-ms <ms>",
        "testing: hold each new transaction decision's markers",
      )
        .argParser(integerOption(0, 3_600_000)).default(0).hideHelp(),
    )
    .option(
      "--http-port <port>",
      "serve Prometheus metrics at http://HOST:PORT/metrics (off unless given; 0 picks a free port)",
      integerOption(0, 65535),
    )
    .option(
      "--no-auto-leader-rebalance",
      "do not move leaders back to their preferred replicas (auto.leader.rebalance.enable=false)",
    )
    .option(
      "--leader-imbalance-check-interval-seconds <s>",
      "how often the controller checks leader balance",
      integerOption(1, 86_400),
      DEFAULT_BROKER_CONFIG.leaderImbalanceCheckIntervalMs / 1000,
    )
    .option(
      "--leader-imbalance-per-broker-percentage <n>",
      "share of a broker's preferred partitions led elsewhere that triggers a rebalance",
      integerOption(0, 100),
      DEFAULT_BROKER_CONFIG.leaderImbalancePerBrokerPercentage,
    )
    .action(async (options) => {
      let running;
      try {
        running = await startBroker({
          brokerId: options.id,
          rack: options.rack,
          host: options.host,
          port: options.port,
          advertisedHost: options.advertisedHost,
          listeners: options.listeners,
          listenerSecurityProtocolMap: options.listenerSecurityProtocolMap,
          advertisedListeners: options.advertisedListeners,
          interBrokerListener: options.interBrokerListener,
          tls: {
            certFile: options.tlsCert,
            keyFile: options.tlsKey,
            caFile: options.tlsCa,
            clientAuth: options.tlsClientAuth,
          },
          saslEnabledMechanisms: options.saslEnabledMechanisms?.split(",").map((name) =>
            name.trim() as SaslMechanismName
          ),
          failedAuthenticationDelayMs: options.failedAuthenticationDelayMs,
          interBrokerConfig: options.interBrokerConfig,
          authorizer: options.authorizer,
          superUsers: options.superUsers?.split(";").map((principal) => principal.trim()).filter((p) =>
            p !== ""
          ),
          allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound,
          coordinator: options.coordinator,
          coordinatorAuth: options.coordinatorAuth,
          dataDir: options.dataDir,
          numPartitions: options.numPartitions,
          defaultReplicationFactor: options.defaultReplicationFactor,
          autoCreateTopics: options.autoCreateTopics,
          fsync: options.fsync,
          maxFrameBytes: options.maxFrameBytes,
          maxPartitionsPerTopic: options.maxPartitionsPerTopic,
          maxMessageBytes: options.maxMessageBytes,
          maxInFlightRequests: options.maxInFlight,
          maxConnections: options.maxConnections,
          sessionTimeoutMs: options.sessionTimeoutMs,
          replicaLagTimeMaxMs: options.replicaLagTimeMaxMs,
          replicaFetchWaitMaxMs: options.replicaFetchWaitMaxMs,
          maxPurgatoryWaiters: options.maxPurgatoryWaiters,
          maxFetchSessions: options.maxFetchSessions,
          maxWaitMs: options.maxWaitMs,
          fetchMaxBytes: options.fetchMaxBytes,
          metadataReconcileIntervalMs: options.metadataReconcileIntervalMs,
          logVerifyBytesPerSecond: options.logVerifyBytesPerSecond,
          offsetsTopicPartitions: options.offsetsTopicPartitions,
          offsetsTopicReplicationFactor: options.offsetsTopicReplicationFactor,
          offsetsTopicSegmentBytes: options.offsetsTopicSegmentBytes,
          offsetsCommitTimeoutMs: options.offsetsCommitTimeoutMs,
          groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
          groupMinSessionTimeoutMs: options.groupMinSessionTimeoutMs,
          groupMaxSessionTimeoutMs: options.groupMaxSessionTimeoutMs,
          producerIdExpirationMs: options.producerIdExpirationMs,
          transactionMaxTimeoutMs: options.transactionMaxTimeoutMs,
          transactionalIdExpirationMs: options.transactionalIdExpirationMs,
          transactionAbortIntervalMs: options.transactionAbortIntervalMs,
          transactionStateTopicPartitions: options.transactionStatePartitions,
          transactionStateReplicationFactor: options.transactionStateReplicationFactor,
          transactionMarkerDelayMs: options.transactionMarkerDelayMs,
          httpPort: options.httpPort,
          autoLeaderRebalance: options.autoLeaderRebalance,
          leaderImbalanceCheckIntervalMs: options.leaderImbalanceCheckIntervalSeconds * 1000,
          leaderImbalancePerBrokerPercentage: options.leaderImbalancePerBrokerPercentage,
        });
      } catch (error) {
        if (
          error instanceof BrokerIdInUseError || error instanceof ListenerInUseError ||
          error instanceof RangeError || error instanceof TypeError
        ) {
          throw new CliError(error.message);
        }
        const message = (error as Error).message;
        if ((error as Error).name === "AddrInUse") {
          throw new CliError(`port ${options.port} on ${options.host} is in use (pick another with --port)`);
        }
        throw new CliError(`broker ${options.id} could not start: ${message}`);
      }
      const releaseStopHooks = onStopRequest(() => void running.close());
      if (running.httpPort !== null) {
        console.log(
          `broker ${options.id} metrics on http://${running.config.host}:${running.httpPort}/metrics`,
        );
      }
      const where = options.listeners === undefined
        ? `${running.config.advertisedHost}:${running.port}`
        : running.advertised.map((endpoint, i) =>
          `${endpoint} (${running.config.listeners.listeners[i].protocol})`
        ).join(", ");
      console.log(`broker ${options.id} listening on ${where}`);
      const fatal = await running.closed;
      releaseStopHooks();
      // The log is written asynchronously: let its last lines out before the process exits
      // (bounded: a stderr nobody reads must not keep a stopped broker alive).
      await logLinesWritten(2000);
      if (fatal !== null) throw new CliError(`broker ${options.id} stopped: ${fatal}`);
      console.log(`broker ${options.id} stopped`);
    });
});
