/**
 * Config entities in the coordinator, Kafka's way: the overrides of a topic or a broker live in
 * /config/<type>/<name>; a change is a compare-and-set write of that node followed by a
 * sequential notification under /config/changes naming it, which every broker watches
 * (config-change-listener.ts). The notification comes after the write, so a broker reading the
 * entity on a notification sees the change (or a later one).
 *
 * @example
 * ```ts
 * const outcome = await alterEntityConfig(coordination, { type: "topics", name: "orders" },
 *   (current) => ({ ...current, "retention.ms": "60000" }));
 * ```
 */
import { BadVersionError, type Coordination, NodeExistsError } from "./coordination.ts";
import {
  CONFIG_CHANGE_PREFIX,
  type ConfigEntity,
  configEntityPath,
  decodeConfigEntity,
  encodeConfigChange,
  encodeConfigEntity,
} from "./zk-layout.ts";

/** Compare-and-set attempts before a write racing other writers gives up. */
const MAX_WRITE_ATTEMPTS = 5;

/** An entity's overrides and the node's version (-1 when the node does not exist). */
export async function readEntityConfig(
  coordination: Coordination,
  entity: ConfigEntity,
): Promise<{ config: Record<string, string>; version: number }> {
  const node = await coordination.getData(configEntityPath(entity));
  if (node === null) return { config: {}, version: -1 };
  return {
    config: decodeConfigEntity(`${entity.type} ${entity.name} config`, node.data),
    version: node.version,
  };
}

/**
 * Apply `change` to the stored overrides (compare-and-set, retried when another writer came
 * first) and announce the change. `change` returns the new overrides, or a string saying why
 * the change is refused (nothing is written then; that string is returned). Returns null on
 * success. `validateOnly` runs `change` on the current overrides and writes nothing.
 */
export async function alterEntityConfig(
  coordination: Coordination,
  entity: ConfigEntity,
  change: (current: Record<string, string>) => Record<string, string> | string,
  validateOnly = false,
): Promise<string | null> {
  const path = configEntityPath(entity);
  for (let attempt = 1;; attempt++) {
    const { config, version } = await readEntityConfig(coordination, entity);
    const next = change(config);
    if (typeof next === "string") return next;
    if (validateOnly) return null;
    try {
      if (version === -1) await coordination.create(path, encodeConfigEntity(next));
      else await coordination.setData(path, encodeConfigEntity(next), version);
      break;
    } catch (error) {
      const raced = error instanceof BadVersionError || error instanceof NodeExistsError;
      if (!raced || attempt >= MAX_WRITE_ATTEMPTS) throw error;
      // Another writer changed the entity meanwhile: apply ours to what it wrote.
    }
  }
  await announceConfigChange(coordination, entity);
  return null;
}

/** Tell every broker that an entity's config changed. */
export async function announceConfigChange(coordination: Coordination, entity: ConfigEntity): Promise<void> {
  await coordination.createSequential(CONFIG_CHANGE_PREFIX, encodeConfigChange(entity));
}
