/**
 * AlterConfigs and IncrementalAlterConfigs for topic resources: the new overrides are computed
 * from the stored ones (all replaced, or entry by entry), validated as CreateTopics validates
 * them (INVALID_CONFIG with the reason, nothing written), then written compare-and-set with a
 * change notification (config-entity-store.ts); every broker applies them live on the
 * notification. Any broker answers (the coordinator is the one place written), as in Kafka's
 * ZooKeeper mode. Broker resources ("" = every broker's default, or a broker id) take the dynamic
 * broker configs (dynamic-broker-config.ts), stored in /config/brokers/<id | <default>> and
 * applied live the same way; other broker configs get INVALID_CONFIG naming the dynamic ones.
 */
import { ApiKey } from "../../kafka/api-keys.ts";
import {
  type AlterConfigsResourceResult,
  readAlterConfigsRequest,
  writeAlterConfigsResponse,
} from "../../kafka/apis/alter-configs.ts";
import { ConfigResourceType } from "../../kafka/apis/describe-configs.ts";
import {
  ConfigOperation,
  type IncrementalConfigEntry,
  readIncrementalAlterConfigsRequest,
  writeIncrementalAlterConfigsResponse,
} from "../../kafka/apis/incremental-alter-configs.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import type { BrokerContext } from "../broker-context.ts";
import { alterEntityConfig } from "../config-entity-store.ts";
import type { RequestContext, RequestHandler } from "../connection.ts";
import { allowed, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import { TOPIC_CONFIGS, topicConfigValue, validateTopicConfigs } from "../topic-config.ts";
import { brokerEntityName, DYNAMIC_BROKER_CONFIGS, validateBrokerConfigs } from "../dynamic-broker-config.ts";
import { serverError } from "./common.ts";
import type { ConfigEntity } from "../zk-layout.ts";

/** Topic configs whose value is a comma-separated list (APPEND and SUBTRACT apply). */
const LIST_CONFIGS = new Set(["cleanup.policy"]);

/** A change to a topic's overrides: the new overrides, or why it is refused. */
type Change = (current: Record<string, string>) => Record<string, string> | string;

interface ResourceChange {
  resourceType: number;
  resourceName: string;
  change: Change;
}

export function alterConfigsHandler(context: BrokerContext): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readAlterConfigsRequest(body, version);
    const changes = request.resources.map((resource) => ({
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      change: replaceAll(resource.configs, rulesFor(resource.resourceType)),
    }));
    const responses = await applyPermitted(context, request_, changes, request.validateOnly);
    return (writer) => writeAlterConfigsResponse(writer, version, { throttleTimeMs: 0, responses });
  };
}

export function incrementalAlterConfigsHandler(context: BrokerContext): RequestHandler {
  return async (request_) => {
    const { header, body } = request_;
    const version = header.apiVersion;
    const request = readIncrementalAlterConfigsRequest(body, version);
    const changes = request.resources.map((resource) => ({
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      change: entryByEntry(resource.configs, rulesFor(resource.resourceType)),
    }));
    const responses = await applyPermitted(context, request_, changes, request.validateOnly);
    return (writer) =>
      writeIncrementalAlterConfigsResponse(writer, version, { throttleTimeMs: 0, responses });
  };
}

/** What a resource type's overrides may hold. */
interface Rules {
  /** Why the overrides are refused, or null. */
  validate: (config: Record<string, string>) => string | null;
  /** Why this key is refused, or null. */
  unknown: (name: string) => string | null;
}

const TOPIC_RULES: Rules = {
  validate: validateTopicConfigs,
  unknown: (name) => TOPIC_CONFIGS[name] === undefined ? `Unknown topic config ${name}` : null,
};

const BROKER_RULES: Rules = {
  validate: validateBrokerConfigs,
  unknown: (name) =>
    DYNAMIC_BROKER_CONFIGS[name] === undefined ? validateBrokerConfigs({ [name]: "" }) : null,
};

const rulesFor = (resourceType: number) =>
  resourceType === ConfigResourceType.broker ? BROKER_RULES : TOPIC_RULES;

/** AlterConfigs: the entries given become the overrides (a null value drops the entry). */
function replaceAll(entries: { name: string; value: string | null }[], rules: Rules): Change {
  return () => {
    const next: Record<string, string> = {};
    for (const { name, value } of entries) {
      if (value !== null) next[name] = value;
    }
    return rules.validate(next) ?? next;
  };
}

/** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT applied to the stored overrides. */
function entryByEntry(entries: IncrementalConfigEntry[], rules: Rules): Change {
  return (current) => {
    const next = { ...current };
    for (const { name, operation, value } of entries) {
      const unknown = rules.unknown(name);
      if (unknown !== null) return unknown;
      if (operation === ConfigOperation.delete) {
        delete next[name];
        continue;
      }
      if (value === null) return `No value given for ${name}`;
      if (operation === ConfigOperation.set) {
        next[name] = value;
      } else if (operation === ConfigOperation.append || operation === ConfigOperation.subtract) {
        if (!LIST_CONFIGS.has(name)) return `${name} is not a list: APPEND and SUBTRACT do not apply`;
        const items = listItems(topicConfigValue(next, name) ?? "");
        const given = listItems(value);
        const result = operation === ConfigOperation.append
          ? [...items, ...given.filter((item) => !items.includes(item))]
          : items.filter((item) => !given.includes(item));
        next[name] = result.join(",");
      } else {
        return `Unknown config operation ${operation} for ${name}`;
      }
    }
    return rules.validate(next) ?? next;
  };
}

const listItems = (text: string) => text.split(",").map((item) => item.trim()).filter((item) => item !== "");

/**
 * AlterConfigs on the topic (broker configs: on the cluster), as Kafka checks it; refused
 * resources answer TOPIC/CLUSTER_AUTHORIZATION_FAILED and the rest are applied.
 */
async function applyPermitted(
  context: BrokerContext,
  request: RequestContext,
  changes: ResourceChange[],
  validateOnly: boolean,
): Promise<AlterConfigsResourceResult[]> {
  const permitted = (change: ResourceChange) =>
    change.resourceType === ConfigResourceType.topic
      ? allowed(context, request, AclOperation.AlterConfigs, ResourceType.Topic, change.resourceName)
      : clusterAllowed(context, request, AclOperation.AlterConfigs);
  const applied = await applyChanges(context, changes.filter(permitted), validateOnly);
  let next = 0;
  return changes.map((change) =>
    permitted(change) ? applied[next++] : {
      errorCode: change.resourceType === ConfigResourceType.topic
        ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
        : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      errorMessage: null,
      resourceType: change.resourceType,
      resourceName: change.resourceName,
    }
  );
}

async function applyChanges(
  context: BrokerContext,
  changes: ResourceChange[],
  validateOnly: boolean,
): Promise<AlterConfigsResourceResult[]> {
  const counts = new Map<string, number>();
  for (const { resourceType, resourceName } of changes) {
    const key = `${resourceType}:${resourceName}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return await Promise.all(changes.map(async ({ resourceType, resourceName, change }) => {
    const result = (errorCode: number, errorMessage: string | null) => ({
      errorCode,
      errorMessage,
      resourceType,
      resourceName,
    });
    if ((counts.get(`${resourceType}:${resourceName}`) ?? 0) > 1) {
      return result(ErrorCode.INVALID_REQUEST, `Resource ${resourceName} is named more than once`);
    }
    if (resourceType === ConfigResourceType.broker) {
      const name = brokerEntityName(resourceName);
      if (name === null) {
        return result(
          ErrorCode.INVALID_REQUEST,
          `Broker resource "${resourceName}" is neither a broker id nor ""`,
        );
      }
      return await alter({ type: "brokers", name }, change, validateOnly, result);
    }
    if (resourceType !== ConfigResourceType.topic) {
      return result(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
    }
    if (!context.metadata.topics.has(resourceName)) {
      return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist`);
    }
    return await alter({ type: "topics", name: resourceName }, change, validateOnly, result);
  }));

  async function alter(
    entity: ConfigEntity,
    change: Change,
    validateOnly: boolean,
    result: (errorCode: number, errorMessage: string | null) => AlterConfigsResourceResult,
  ): Promise<AlterConfigsResourceResult> {
    try {
      const refused = await alterEntityConfig(context.coordination, entity, change, validateOnly);
      return refused === null ? result(0, null) : result(ErrorCode.INVALID_CONFIG, refused);
    } catch (error) {
      const { errorCode, errorMessage } = serverError(error);
      return result(errorCode, errorMessage);
    }
  }
}

/** The two handlers by API key, for the broker's handler table. */
export function alterConfigsHandlers(context: BrokerContext): [number, RequestHandler][] {
  return [
    [ApiKey.AlterConfigs, alterConfigsHandler(context)],
    [ApiKey.IncrementalAlterConfigs, incrementalAlterConfigsHandler(context)],
  ];
}
