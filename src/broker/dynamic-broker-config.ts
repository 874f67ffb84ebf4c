/**
 * Dynamic broker configs, Kafka's way: the few broker settings that change without a restart
 * live in the coordinator, per broker in /config/brokers/<id> and for every broker in
 * /config/brokers/<default>; a broker's own entry wins over the default. They are written by
 * IncrementalAlterConfigs / AlterConfigs on BROKER resources (resource name "" = the default)
 * and applied live on the change notification (config-change-listener.ts). Today: the
 * replication throttles (replication-quota.ts).
 *
 * @example
 * ```ts
 * validateBrokerConfigs({ "leader.replication.throttled.rate": "10000000" }); // null: valid
 * effectiveBrokerConfig({}, { "leader.replication.throttled.rate": "5" });    // the default's
 * ```
 */
import { FOLLOWER_THROTTLED_RATE, LEADER_THROTTLED_RATE } from "./replication/replication-quota.ts";

/** The entity name of the cluster-wide default (Kafka's). */
export const DEFAULT_BROKER_ENTITY = "<default>";

interface DynamicConfigSpec {
  check: (value: string) => string | null;
  documentation: string;
}

const positiveInteger = (value: string) =>
  /^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))
    ? null
    : "expected an integer >= 1 (bytes per second)";

export const DYNAMIC_BROKER_CONFIGS: Record<string, DynamicConfigSpec> = {
  [LEADER_THROTTLED_RATE]: {
    check: positiveInteger,
    documentation:
      "Bytes/s a leader sends to the replicas its topics' leader.replication.throttled.replicas name",
  },
  [FOLLOWER_THROTTLED_RATE]: {
    check: positiveInteger,
    documentation:
      "Bytes/s a follower fetches for the replicas its topics' follower.replication.throttled.replicas name",
  },
};

/** Error message for the first bad entry, or null when all are valid. */
export function validateBrokerConfigs(config: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(config)) {
    const spec = DYNAMIC_BROKER_CONFIGS[name];
    if (!spec) {
      return `${name} is not a dynamic broker config (dynamic: ${
        Object.keys(DYNAMIC_BROKER_CONFIGS).join(", ")
      })`;
    }
    const problem = spec.check(value);
    if (problem) return `Invalid value "${value}" for ${name}: ${problem}`;
  }
  return null;
}

/** A broker's effective dynamic config: its own entries over the cluster default's. */
export function effectiveBrokerConfig(
  own: Record<string, string>,
  defaults: Record<string, string>,
): Record<string, string> {
  return { ...defaults, ...own };
}

/** The config entity a BROKER resource name means ("" = the default), or null when it is not one. */
export function brokerEntityName(resourceName: string): string | null {
  if (resourceName === "" || resourceName === DEFAULT_BROKER_ENTITY) return DEFAULT_BROKER_ENTITY;
  return /^\d+$/.test(resourceName) ? String(Number(resourceName)) : null;
}
