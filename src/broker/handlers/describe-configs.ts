/**
 * DescribeConfigs: topic resources (type 2) list every topic config with its effective value,
 * marking overrides (source 1, TOPIC_CONFIG) and defaults (source 5, DEFAULT_CONFIG); broker
 * resources (type 4) list the broker's own settings read-only and its dynamic configs (source 2,
 * DYNAMIC_BROKER_CONFIG, or 3, DYNAMIC_DEFAULT_BROKER_CONFIG, when the value is the default
 * every broker shares); the resource "" lists those defaults alone. Overrides are read from the
 * coordinator for each request (one read per entity, all in flight together), so an answer
 * shows what is stored now.
 */
import {
  readDescribeConfigsRequest,
  writeDescribeConfigsResponse,
} from "../../kafka/apis/describe-configs.ts";
import { ErrorCode } from "../../kafka/errors.ts";
import { allowed, clusterAllowed } from "../authorization.ts";
import { AclOperation, ResourceType } from "../../kafka/acl.ts";
import type { BrokerContext } from "../broker-context.ts";
import type { RequestHandler } from "../connection.ts";
import { TOPIC_CONFIGS } from "../topic-config.ts";
import { readEntityConfig } from "../config-entity-store.ts";
import {
  DEFAULT_BROKER_ENTITY,
  DYNAMIC_BROKER_CONFIGS,
  effectiveBrokerConfig,
} from "../dynamic-broker-config.ts";
import { decodeTopicConfig, topicConfigPath } from "../zk-layout.ts";

const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;
const SOURCE_TOPIC = 1;
const SOURCE_DYNAMIC_BROKER = 2;
const SOURCE_DYNAMIC_DEFAULT = 3;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
/** ConfigType STRING (v3 field). */
const TYPE_STRING = 2;

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

export function describeConfigsHandler(context: BrokerContext): RequestHandler {
  return async (context_) => {
    const { header, body } = context_;
    const version = header.apiVersion;
    const request = readDescribeConfigsRequest(body, version);
    const overrides = new Map(
      await Promise.all(
        request.resources
          .filter((resource) => resource.resourceType === TOPIC_RESOURCE)
          .map(async (resource) =>
            [resource.resourceName, await topicOverrides(context, resource.resourceName)] as const
          ),
      ),
    );
    const wantsBroker = request.resources.some((resource) => resource.resourceType === BROKER_RESOURCE);
    const dynamic = wantsBroker ? await dynamicBrokerConfigs(context) : null;
    const results = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      // DescribeConfigs on the topic, or on the cluster for broker configs (as Kafka).
      const permitted = resource.resourceType === TOPIC_RESOURCE
        ? allowed(context, context_, AclOperation.DescribeConfigs, ResourceType.Topic, resource.resourceName)
        : clusterAllowed(context, context_, AclOperation.DescribeConfigs);
      if (!permitted) {
        const topic = resource.resourceType === TOPIC_RESOURCE;
        return {
          ...base,
          errorCode: topic ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: null,
          configs: [],
        };
      }
      let entries: ConfigEntry[];
      if (resource.resourceType === TOPIC_RESOURCE) {
        const configs = overrides.get(resource.resourceName);
        if (!context.metadata.topics.has(resource.resourceName) || configs === undefined) {
          return {
            ...base,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: `Topic ${resource.resourceName} does not exist`,
            configs: [],
          };
        }
        entries = Object.entries(TOPIC_CONFIGS).map(([name, spec]) => {
          const override = configs[name];
          return entry(
            name,
            override ?? spec.defaultValue,
            false,
            override === undefined ? SOURCE_DEFAULT : SOURCE_TOPIC,
            spec.documentation,
          );
        });
      } else if (resource.resourceType === BROKER_RESOURCE && resource.resourceName === "") {
        entries = Object.entries(dynamic!.defaults).map(([name, value]) =>
          entry(name, value, false, SOURCE_DYNAMIC_DEFAULT, DYNAMIC_BROKER_CONFIGS[name]?.documentation ?? "")
        );
      } else if (resource.resourceType === BROKER_RESOURCE) {
        if (resource.resourceName !== String(context.config.brokerId)) {
          return {
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: "Not this broker",
            configs: [],
          };
        }
        const { own, defaults } = dynamic!;
        entries = [
          ...brokerEntries(context),
          ...Object.entries(effectiveBrokerConfig(own, defaults)).map(([name, value]) =>
            entry(
              name,
              value,
              false,
              name in own ? SOURCE_DYNAMIC_BROKER : SOURCE_DYNAMIC_DEFAULT,
              DYNAMIC_BROKER_CONFIGS[name]?.documentation ?? "",
            )
          ),
        ];
      } else {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "Unsupported resource type",
          configs: [],
        };
      }
      const keys = resource.configurationKeys;
      const configs = keys === null || keys === undefined
        ? entries
        : entries.filter((e) => keys.includes(e.name));
      if (!request.includeSynonyms) { for (const config of configs) config.synonyms = []; }
      if (!request.includeDocumentation) { for (const config of configs) config.documentation = null; }
      return { ...base, errorCode: 0, errorMessage: null, configs };
    });
    return (writer) => writeDescribeConfigsResponse(writer, version, { throttleTimeMs: 0, results });
  };
}

function entry(
  name: string,
  value: string,
  readOnly: boolean,
  source: number,
  documentation: string,
): ConfigEntry {
  return {
    name,
    value,
    readOnly,
    isDefault: source === SOURCE_DEFAULT,
    configSource: source,
    isSensitive: false,
    synonyms: [{ name, value, source }],
    configType: TYPE_STRING,
    documentation,
  };
}

function brokerEntries(context: BrokerContext): ConfigEntry[] {
  const c = context.config;
  const settings: [string, string][] = [
    ["broker.id", String(c.brokerId)],
    ["num.partitions", String(c.numPartitions)],
    ["default.replication.factor", String(c.defaultReplicationFactor)],
    ["auto.create.topics.enable", String(c.autoCreateTopics)],
    ["message.max.bytes", String(c.maxMessageBytes)],
    ["socket.request.max.bytes", String(c.maxFrameBytes)],
    ["log.dirs", c.dataDir],
  ];
  return settings.map(([name, value]) => entry(name, value, true, SOURCE_STATIC_BROKER, ""));
}

/** This broker's stored dynamic configs and the defaults every broker shares. */
async function dynamicBrokerConfigs(context: BrokerContext) {
  const [own, defaults] = await Promise.all([
    readEntityConfig(context.coordination, { type: "brokers", name: String(context.config.brokerId) }),
    readEntityConfig(context.coordination, { type: "brokers", name: DEFAULT_BROKER_ENTITY }),
  ]);
  return { own: own.config, defaults: defaults.config };
}

/** A topic's stored overrides ({} when it has none). */
async function topicOverrides(context: BrokerContext, topic: string): Promise<Record<string, string>> {
  const node = await context.coordination.getData(topicConfigPath(topic));
  return node === null ? {} : decodeTopicConfig(topic, node.data);
}
