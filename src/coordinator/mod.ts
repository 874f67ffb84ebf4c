/** The coordinator: a ZooKeeper-protocol znode server with a journal and snapshots. */
export { type Coordinator, type CoordinatorOptions, SERVER_VERSION, startCoordinator } from "./server.ts";
