/**
 * ZooKeeper protocol constants: op codes, special xids, create modes, watcher event types and
 * states, ACL permissions and watch kinds. Values are the wire values of ZooKeeper 3.8
 * (ZooDefs.java, CreateMode.java, Watcher.java).
 */

/** Request types (RequestHeader.type) and multi op types. */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCode = typeof OpCode[keyof typeof OpCode];

const OP_NAMES = new Map<number, string>(Object.entries(OpCode).map(([name, code]) => [code, name]));

/** The op's name for logs and 4lw output, e.g. "getData"; "op(42)" when unknown. */
export function opName(code: number): string {
  return OP_NAMES.get(code) ?? `op(${code})`;
}

/** Xids with a fixed meaning. Everything else is echoed back as it arrived. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** Create flags as sent in CreateRequest.flags. */
export const CreateMode = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;
export type CreateMode = typeof CreateMode[keyof typeof CreateMode];

/** Is `flags` one of the create modes the protocol defines? */
export function isCreateMode(flags: number): flags is CreateMode {
  return Number.isInteger(flags) && flags >= 0 && flags <= 6;
}

export function isEphemeralMode(mode: number): boolean {
  return mode === CreateMode.ephemeral || mode === CreateMode.ephemeralSequential;
}

export function isSequentialMode(mode: number): boolean {
  return mode === CreateMode.persistentSequential || mode === CreateMode.ephemeralSequential ||
    mode === CreateMode.persistentSequentialWithTtl;
}

export function isTtlMode(mode: number): boolean {
  return mode === CreateMode.persistentWithTtl || mode === CreateMode.persistentSequentialWithTtl;
}

/** WatcherEvent.type. 5–7 only ever arise inside clients (watch removed). */
export const EventType = {
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
  dataWatchRemoved: 5,
  childWatchRemoved: 6,
  persistentWatchRemoved: 7,
} as const;
export type EventType = typeof EventType[keyof typeof EventType];

/** WatcherEvent.state. The server only ever sends syncConnected. */
export const KeeperState = {
  disconnected: 0,
  syncConnected: 3,
  authFailed: 4,
  connectedReadOnly: 5,
  saslAuthenticated: 6,
  expired: -112,
  closed: 7,
} as const;
export type KeeperState = typeof KeeperState[keyof typeof KeeperState];

/** ACL permission bits. */
export const Perms = {
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
} as const;

/** CheckWatches / RemoveWatches type. */
export const WatcherType = {
  children: 1,
  data: 2,
  any: 3,
} as const;
export type WatcherType = typeof WatcherType[keyof typeof WatcherType];

/** AddWatch mode. */
export const AddWatchMode = {
  persistent: 0,
  persistentRecursive: 1,
} as const;
export type AddWatchMode = typeof AddWatchMode[keyof typeof AddWatchMode];

/** ephemeralOwner of a container node; session ids must never take this value. */
export const CONTAINER_EPHEMERAL_OWNER = -0x8000_0000_0000_0000n;

/** Default jute.maxbuffer: the largest frame a server accepts. */
export const DEFAULT_MAX_FRAME_BYTES = 0xfffff;
