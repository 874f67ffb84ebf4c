/**
 * Vltava as a library: wire codecs, the ZooKeeper client and recipes, the Kafka client
 * (Producer, Consumer, Admin), and functions that start a coordinator or broker in-process.
 *
 * @module
 */
export * from "./src/wire/mod.ts";
export { VERSION } from "./src/version.ts";
export { type Coordinator, type CoordinatorOptions, startCoordinator } from "./src/coordinator/mod.ts";
