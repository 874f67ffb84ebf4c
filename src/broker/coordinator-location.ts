/**
 * FindCoordinator's answer for both kinds of coordinator: a group's lives with the leader of its
 * `__consumer_offsets` partition, a transactional id's with the leader of its
 * `__transaction_state` partition. Both create their topic on first use and answer
 * COORDINATOR_NOT_AVAILABLE until it has a live leader the client can reach, so the one lookup
 * serves both services.
 *
 * @example
 * ```ts
 * return await locateCoordinator(metadata, OFFSETS_TOPIC, partition, listener, ensureTopic, log);
 * ```
 */
import { ErrorCode } from "../kafka/errors.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import { listenerAddress } from "./zk-layout.ts";

/** Where a group's or transactional id's coordinator is, or why it cannot be named yet. */
export interface CoordinatorLocation {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

const UNAVAILABLE: Readonly<CoordinatorLocation> = Object.freeze({
  errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  nodeId: -1,
  host: "",
  port: -1,
});

/**
 * The leader of `topic`'s `partition` as the client on `listener` reaches it, creating the topic
 * first (`ensureTopic`) when metadata does not know it; a failed creation is logged and answered
 * as unavailable (clients retry FindCoordinator, and the next attempt creates it again).
 */
export async function locateCoordinator(
  metadata: MetadataCache,
  topic: string,
  partition: number,
  listener: string | undefined,
  ensureTopic: () => Promise<void>,
  log: (message: string) => void,
): Promise<CoordinatorLocation> {
  if (!metadata.topics.has(topic)) {
    try {
      await ensureTopic();
    } catch (error) {
      log(`creating ${topic}: ${error}`);
      return { ...UNAVAILABLE };
    }
  }
  const leader = metadata.partition(topic, partition)?.state?.leader ?? -1;
  const broker = metadata.brokers.get(leader);
  // A coordinator without the client's listener cannot be reached by it: as unavailable.
  const address = broker && (listener === undefined ? broker : listenerAddress(broker, listener));
  if (!broker || !address) return { ...UNAVAILABLE };
  return { errorCode: 0, nodeId: broker.brokerId, host: address.host, port: address.port };
}
