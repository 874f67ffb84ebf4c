/**
 * The ZooKeeper client protocol, shared by the client (src/zk) and the coordinator server:
 * constants, error codes with KeeperError, records, the connect handshake, request and reply
 * bodies for every op, multi.
 *
 * @example
 * ```ts
 * const w = new Writer();
 * writeRequestHeader(w, { xid: 1, type: OpCode.getData });
 * writeRequestBody(w, { op: OpCode.getData, path: "/a", watch: true });
 * ```
 */
export * from "./codes.ts";
export * from "./errors.ts";
export * from "./records.ts";
export * from "./connect.ts";
export * from "./requests.ts";
export * from "./responses.ts";
export * from "./multi.ts";
export * from "./frames.ts";
